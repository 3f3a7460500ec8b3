// Small helpers shared by the dashboard modules. Plain ES module, no build step.

/** Creates an element: el('div', { class: 'x', onclick }, child, 'text', …). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** Formats a number for tables and tooltips: compact, never "NaN". */
export function fmt(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return '—';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return v.toPrecision(4).replace(/\.?0+$/, '');
}

/**
 * Exponential moving average with TensorBoard's debiasing: s_t = w·s_{t-1} + (1−w)·x_t, shown as
 * s_t / (1 − w^n) so the start is not pulled towards 0. Missing values (null) stay null and do not
 * advance the average.
 */
export function ema(values, weight) {
  if (weight <= 0) return values.slice();
  const out = new Array(values.length);
  let s = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (x === null || x === undefined || !Number.isFinite(x)) {
      out[i] = null;
      continue;
    }
    s = weight * s + (1 - weight) * x;
    n++;
    out[i] = s / (1 - Math.pow(weight, n));
  }
  return out;
}

/** Flattens nested config objects to dotted keys: { a: { b: 1 } } → { 'a.b': 1 }. Arrays are kept as JSON. */
export function flatten(obj, prefix = '', out = {}) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    out[prefix || '(value)'] = Array.isArray(obj) ? JSON.stringify(obj) : obj;
    return out;
  }
  const keys = Object.keys(obj);
  if (keys.length === 0 && prefix) out[prefix] = '{}';
  for (const k of keys) flatten(obj[k], prefix ? `${prefix}.${k}` : k, out);
  return out;
}

/** A stable, readable palette (colour-blind friendly, Okabe–Ito order). */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

/** Triggers a download of `text` as a file. */
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Parses a JSON-lines body; skips blank and broken lines (a run still writing may end mid-line). */
export function parseJsonl(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line);
      if (v && typeof v === 'object') out.push(v);
    } catch {
      /* partial last line */
    }
  }
  return out;
}
