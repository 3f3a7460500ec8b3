/**
 * One pre-LayerNorm transformer block (GPT-2 layout, agents/policies/token.ts) as a single tf.customGrad
 * with its backward pass written out, for the learner:
 *
 *   h = LN₁(x);  [q k v] = h·W_qkv + b_qkv;  per head: P = softmax(q·kᵀ/√d_h + mask);  o = P·v
 *   x₁ = x_Q + o·W_p + b_p;  y = x₁ + gelu(LN₂(x₁)·W_fc + b_fc)·W_m + b_m
 *
 * (x_Q: the rows of the kept query positions; the last block keeps only the positions the loss scores.)
 * Recorded op by op, autodiff tapes ~60 kernels per block, each saving (cloning) its inputs; as one op the
 * forward's kernels are not taped and the backward is ~35 kernels. The gradients, with g the incoming one:
 *   MLP:   dW_m = fᵀ·g, db_m = Σg, df = g·W_mᵀ;  dz = df·gelu′(z);  dW_fc = h₂ᵀ·dz, db_fc = Σdz, dh₂ = dz·W_fcᵀ
 *   LN:    dγ = Σ dh·x̂, dβ = Σ dh, dx = (dh·γ − mean(dh·γ) − x̂·mean(dh·γ·x̂)) / √(σ² + ε)
 *   attention: dP = dO·vᵀ, dS = P ⊙ (dP − Σ_j dP ⊙ P)/√d_h, dq = dS·k, dk = dSᵀ·q, dv = Pᵀ·dO
 * test/agents/learner-numerics.test.ts checks them against the op-by-op graph's (a stored reference).
 */
import * as tf from '@tensorflow/tfjs';
import { geluBackward, geluParts, layerNormBackward, layerNormParts, linear, paramGrads } from './ops.ts';

export interface BlockShape {
  B: number;
  /** Positions per sequence. */
  T: number;
  heads: number;
  /** First kept query position (0: all); the output has B·(T − from) rows. */
  from: number;
  eps: number;
}

/** Parameter order of `transformerBlock` (after x). */
export const BLOCK_PARAMS = ['ln1.g', 'ln1.b', 'attn.qkv.w', 'attn.qkv.b', 'attn.proj.w', 'attn.proj.b', 'ln2.g', 'ln2.b', 'mlp.fc.w', 'mlp.fc.b', 'mlp.proj.w', 'mlp.proj.b'] as const;

/** y [B·(T − from), d] from x [B·T, d], the block's parameters (BLOCK_PARAMS order) and the additive mask [B, 1, T − from, T]. */
export function transformerBlock(x: tf.Tensor2D, params: tf.Tensor[], mask: tf.Tensor4D, s: BlockShape): tf.Tensor2D {
  const { B, T, heads: H, from, eps } = s;
  const d = x.shape[1];
  const dh = d / H, Q = T - from, scale = 1 / Math.sqrt(dh);
  const toHeads = (t: tf.Tensor, rows: number) => t.reshape([B, rows, H, dh]).transpose([0, 2, 1, 3]).reshape([B * H, rows, dh]);
  const fromHeads = (t: tf.Tensor, rows: number) => t.reshape([B, H, rows, dh]).transpose([0, 2, 1, 3]).reshape([B * rows, d]) as tf.Tensor2D;
  /** Rows from… of each sequence of a [B·T, c] tensor, and its inverse (zeros for the dropped rows). */
  const keepRows = (t: tf.Tensor2D) => (from === 0 ? t : (t.reshape([B, T, -1]).slice([0, from, 0], [B, Q, -1]).reshape([B * Q, -1]) as tf.Tensor2D));
  const padRows = (t: tf.Tensor, c: number) => (from === 0 ? t : t.reshape([B, Q, c]).pad([[0, 0], [from, 0], [0, 0]]).reshape([B * T, c]));

  const op = tf.customGrad((...args: unknown[]) => {
    const xs = args[0] as tf.Tensor2D;
    const [g1, b1, wqkv, bqkv, wp, bp, g2, b2, wfc, bfc, wm, bm] = args.slice(1, 13) as tf.Tensor[];
    const save = args[13] as tf.GradSaveFunc;
    const ln1 = layerNormParts(xs, g1 as tf.Tensor1D, b1 as tf.Tensor1D, eps);
    const qkv = linear(ln1.y, wqkv!, bqkv);
    const [q0, k, v] = tf.split(qkv.reshape([B, T, 3 * H, dh]).transpose([0, 2, 1, 3]), 3, 1).map((t) => t.reshape([B * H, T, dh]));
    const q = from === 0 ? q0! : q0!.slice([0, from, 0], [B * H, Q, dh]);
    const p = tf.softmax(tf.matMul(q, k!, false, true).mul(scale).reshape([B, H, Q, T]).add(mask)).reshape([B * H, Q, T]);
    const o2 = fromHeads(tf.matMul(p, v!), Q);
    const x1 = keepRows(xs).add(linear(o2, wp!, bp)) as tf.Tensor2D;
    const ln2 = layerNormParts(x1, g2 as tf.Tensor1D, b2 as tf.Tensor1D, eps);
    const z = linear(ln2.y, wfc!, bfc);
    const gl = geluParts(z);
    save([ln1.y, ln1.xhat, ln1.inv, q, k!, v!, p, o2, ln2.y, ln2.xhat, ln2.inv, z, gl.s, gl.x2, gl.y, g1!, wqkv!, wp!, g2!, wfc!, wm!]);
    return {
      value: x1.add(linear(gl.y as tf.Tensor2D, wm!, bm)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [h1, xh1, inv1, qs, ks, vs, ps, o2s, h2, xh2, inv2, zs, sg, z2, f, g1s, wqkvs, wps, g2s, wfcs, wms] = saved as tf.Tensor2D[];
        const g = dy as tf.Tensor2D;
        // MLP
        const [dWm, dbm] = paramGrads(f!, g, true);
        const dz = geluBackward(tf.matMul(g, wms!, false, true), zs!, sg!, z2!) as tf.Tensor2D;
        const [dWfc, dbfc] = paramGrads(h2!, dz, true);
        const ln2g = layerNormBackward(tf.matMul(dz, wfcs!, false, true), xh2!, inv2!, g2s!);
        const dx1 = g.add(ln2g.dx) as tf.Tensor2D;
        // attention
        const [dWp, dbp] = paramGrads(o2s!, dx1, true);
        const dO = toHeads(tf.matMul(dx1, wps!, false, true), Q);
        const dP = tf.matMul(dO, vs!, false, true);
        const dS = ps!.mul(dP.sub(dP.mul(ps!).sum(-1, true))).mul(scale) as tf.Tensor3D;
        const dq = tf.matMul(dS, ks!);
        const dk = tf.matMul(dS, qs!, true, false);
        const dv = tf.matMul(ps!, dO, true, false);
        const dq0 = from === 0 ? dq : dq.pad([[0, 0], [from, 0], [0, 0]]);
        const dqkv = tf.concat([dq0, dk, dv].map((t) => t.reshape([B, H, T, dh])), 1).transpose([0, 2, 1, 3]).reshape([B * T, 3 * d]) as tf.Tensor2D;
        const [dWqkv, dbqkv] = paramGrads(h1!, dqkv, true);
        const ln1g = layerNormBackward(tf.matMul(dqkv, wqkvs!, false, true), xh1!, inv1!, g1s!);
        const dx = ln1g.dx.add(padRows(dx1, d));
        return [dx, ln1g.dg, ln1g.db, dWqkv!, dbqkv!, dWp!, dbp!, ln2g.dg, ln2g.db, dWfc!, dbfc!, dWm!, dbm!];
      },
    };
  }) as (...t: tf.Tensor[]) => tf.Tensor;
  return op(x, ...params) as tf.Tensor2D;
}
