/**
 * Building blocks of the policies' tfjs graphs with hand-written gradients (tf.customGrad), so that a
 * layer costs a few kernels forward and backward instead of the dozen or two that automatic
 * differentiation of its elementwise pieces records (each kernel ≈ 6.5 µs of dispatch on wasm, which
 * dominates at the policies' sizes). The values are the same functions as before to float rounding
 * (test/agents/learner-numerics.test.ts compares losses and gradients with the pre-change graphs).
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Whether a gradient tape is recording (inside tf.grad / variableGrads). Outside one (acting, sampling,
 * scoring) the ops below run as plain kernels, skipping customGrad's bookkeeping.
 */
export function recording(): boolean {
  // tfjs' own test (Engine.isTapeOn): a gradient scope is open and no kernel (customGrad forward) is running.
  const st = (tf.engine() as unknown as { state?: { gradientDepth: number; kernelDepth: number } }).state;
  return st ? st.gradientDepth > 0 && st.kernelDepth === 0 : true;
}

/**
 * y = x·W + b as one fused kernel, with its gradient written out (x [K, M], W [M, N], dY [K, N]):
 *   dx = dY·Wᵀ,  dW = xᵀ·dY,  db = Σ_rows dY.
 * The weight and bias gradients contract over the K rows. When the input is the narrower side (M < N)
 * they are taken from dYᵀ: dW = (dYᵀ·x)ᵀ and db = the row sums of dYᵀ (a last-axis sum); otherwise
 * dW = xᵀ·dY and db = 1ᵀ·dY, a [1, K] product. Either way the wide [K, ·] operand is transposed once and
 * the narrow one is the product's second operand: on wasm, XNNPACK packs that operand afresh on every
 * call (≈ 3× a transpose's cost per element), and 1ᵀ·dY reuses the packing of dY made for xᵀ·dY, while a
 * sum over the rows (a non-last axis) would transpose dY first.
 * `inputGrad: false` for a constant input (observations, one-hot tokens): dx is then never computed
 * (a customGrad computes every input's gradient it is given, so x stays out of its inputs).
 */
export function linear(x: tf.Tensor2D, w: tf.Tensor, b?: tf.Tensor, opts: { inputGrad?: boolean } = {}): tf.Tensor2D {
  if (!recording()) return forward(x, w, b) as tf.Tensor2D;
  if (opts.inputGrad === false) return constInputLinear(x, b)(w, ...(b ? [b] : [])) as tf.Tensor2D;
  return (b ? linearBias(x, w, b) : linearNoBias(x, w)) as tf.Tensor2D;
}

function forward(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  return tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: b });
}

/** [dW, db?] for x [K, M] and dY [K, N] (see linear). */
export function paramGrads(x: tf.Tensor2D, dy: tf.Tensor2D, bias: boolean): tf.Tensor[] {
  const [K, M] = x.shape, N = dy.shape[1];
  if (M < N) {
    const dyT = dy.transpose();
    const dw = tf.matMul(dyT, x).transpose();
    return bias ? [dw, dyT.sum(1)] : [dw];
  }
  const dw = tf.matMul(x, dy, true, false);
  return bias ? [dw, tf.matMul(tf.ones([1, K]), dy).reshape([N])] : [dw];
}

const linearBias = tf.customGrad((...args: unknown[]) => {
  const [x, w, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: forward(x, w, b),
    gradFunc: (dy: tf.Tensor, [xs, ws]: tf.Tensor[]) => [tf.matMul(dy as tf.Tensor2D, ws as tf.Tensor2D, false, true), ...paramGrads(xs as tf.Tensor2D, dy as tf.Tensor2D, true)],
  };
}) as (...t: tf.Tensor[]) => tf.Tensor;

const linearNoBias = tf.customGrad((...args: unknown[]) => {
  const [x, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: forward(x, w),
    gradFunc: (dy: tf.Tensor, [xs, ws]: tf.Tensor[]) => [tf.matMul(dy as tf.Tensor2D, ws as tf.Tensor2D, false, true), ...paramGrads(xs as tf.Tensor2D, dy as tf.Tensor2D, false)],
  };
}) as (...t: tf.Tensor[]) => tf.Tensor;

/** The product for a constant input x: gradients for W (and b) only. */
function constInputLinear(x: tf.Tensor2D, b?: tf.Tensor) {
  return tf.customGrad((...args: unknown[]) => {
    const w = args[0] as tf.Tensor2D;
    (args[args.length - 1] as tf.GradSaveFunc)([x]); // kept for the backward pass (x is not an input)
    return {
      value: forward(x, w, b ? (args[1] as tf.Tensor) : undefined),
      gradFunc: (dy: tf.Tensor, [xs]: tf.Tensor[]) => paramGrads(xs as tf.Tensor2D, dy as tf.Tensor2D, b !== undefined),
    };
  }) as (...t: tf.Tensor[]) => tf.Tensor;
}

/**
 * LayerNorm over the last axis of x [N, d] (Ba et al. 2016): x̂ = (x − μ)/√(σ² + ε), y = x̂·γ + β, with
 * σ² the population variance (as tf.moments and PyTorch). Backward, with g = dy·γ:
 *   dγ = Σ_rows dy·x̂,  dβ = Σ_rows dy,  dx = (g − mean(g) − x̂·mean(g·x̂)) / √(σ² + ε).
 */
export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor2D {
  if (!recording()) return tf.tidy(() => layerNormParts(x, gamma, beta, eps).y);
  let op = layerNormOps.get(eps);
  if (!op) layerNormOps.set(eps, (op = makeLayerNorm(eps)));
  return op(x, gamma, beta) as tf.Tensor2D;
}

/** LayerNorm's forward and what its backward needs: x̂ = (x − μ)/√(σ² + ε) and 1/√(σ² + ε). */
export function layerNormParts(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): { y: tf.Tensor2D; xhat: tf.Tensor2D; inv: tf.Tensor2D } {
  const xc = x.sub(x.mean(-1, true));
  const inv = tf.rsqrt(xc.square().mean(-1, true).add(eps)) as tf.Tensor2D;
  const xhat = xc.mul(inv) as tf.Tensor2D;
  return { y: xhat.mul(gamma).add(beta) as tf.Tensor2D, xhat, inv };
}

const layerNormOps = new Map<number, (...t: tf.Tensor[]) => tf.Tensor>();

function makeLayerNorm(eps: number) {
  return tf.customGrad((...args: unknown[]) => {
    const [x, gamma, beta, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const { y, xhat, inv } = layerNormParts(x, gamma, beta, eps);
    save([xhat, inv, gamma]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, iv, g] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
        const r = layerNormBackward(dy as tf.Tensor2D, xh, iv, g);
        return [r.dx, r.dg, r.db];
      },
    };
  }) as (...t: tf.Tensor[]) => tf.Tensor;
}

/** LayerNorm's backward (formula above) for the gradient dh of its output, from x̂, 1/√(σ² + ε) and γ. */
export function layerNormBackward(dh: tf.Tensor2D, xhat: tf.Tensor2D, inv: tf.Tensor2D, gamma: tf.Tensor): { dx: tf.Tensor2D; dg: tf.Tensor; db: tf.Tensor } {
  const gx = dh.mul(gamma);
  const dx = gx.sub(gx.mean(-1, true)).sub(xhat.mul(gx.mul(xhat).mean(-1, true))).mul(inv) as tf.Tensor2D;
  return { dx, dg: dh.mul(xhat).sum(0), db: dh.sum(0) };
}

/**
 * GELU, tanh approximation (Hendrycks & Gimpel 2016): 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³),
 * computed as x·σ(2u) (the same function: 0.5·(1 + tanh u) = σ(2u)). Backward:
 *   d/dx = s + x·s·(1 − s)·2u′,  s = σ(2u),  2u′ = 2√(2/π)·(1 + 3·0.044715·x²).
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (!recording()) return tf.tidy(() => geluParts(x).y);
  return geluOp(x) as tf.Tensor;
}

/** GELU's forward and what its backward needs: s = σ(2u) and x². */
export function geluParts(x: tf.Tensor): { y: tf.Tensor; s: tf.Tensor; x2: tf.Tensor } {
  const x2 = x.square();
  const s = tf.sigmoid(x2.mul(2 * C * A).add(2 * C).mul(x));
  return { y: x.mul(s), s, x2 };
}

const C = Math.sqrt(2 / Math.PI), A = 0.044715;
const geluOp = tf.customGrad((...args: unknown[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const { y, s, x2 } = geluParts(x);
  save([x, x2, s]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, xx, ss] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      return [geluBackward(dy, xs, ss, xx)];
    },
  };
});

/** GELU's backward (formula above) for the gradient df of its output, from x, s = σ(2u) and x². */
export function geluBackward(df: tf.Tensor, x: tf.Tensor, s: tf.Tensor, x2: tf.Tensor): tf.Tensor {
  return df.mul(s.sub(s.square()).mul(x).mul(x2.mul(6 * C * A).add(2 * C)).add(s));
}

/**
 * tanh(x) computed as 2σ(2x) − 1 (the same function): tfjs-wasm's Tanh is a scalar loop, its Sigmoid
 * is vectorised (measured ~5× faster for the game MLP's [2560, 64] activations). Backward: dy·(1 − y²).
 */
export function tanh(x: tf.Tensor): tf.Tensor {
  if (recording()) return tanhOp(x) as tf.Tensor;
  // Outside a gradient (an actor's batch, usually small): one Tanh kernel costs less than three extra dispatches.
  return x.size < 1024 ? tf.tanh(x) : tf.tidy(() => tf.sigmoid(x.mul(2)).mul(2).sub(1));
}

const tanhOp = tf.customGrad((...args: unknown[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const y = tf.sigmoid(x.mul(2)).mul(2).sub(1);
  save([y]);
  return { value: y, gradFunc: (dy: tf.Tensor, [ys]: tf.Tensor[]) => [dy.mul(tf.scalar(1).sub(ys!.square()))] };
});
