// @ts-check
// Small helpers shared by the dashboard modules. Plain ES module, no build step.

/**
 * @typedef {Node | string | number | null | undefined | false} Leaf
 * @typedef {Leaf | Leaf[]} Child
 * @typedef {Record<string, unknown>} Attrs
 */

/**
 * Creates an element: el('div', { class: 'x', onclick }, child, 'text', …). `dataset` sets data-*;
 * `on…` functions become listeners; false/null/undefined attributes are left out.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), /** @type {EventListener} */ (v));
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  append(node, children);
  return node;
}

/**
 * @param {Element} node
 * @param {Child[]} children
 */
function append(node, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** The element with this id (the page's fixed skeleton, index.html); throws naming a missing one. */
export function byId(/** @type {string} */ id) {
  const e = document.getElementById(id);
  if (!e) throw new Error(`index.html has no #${id}`);
  return e;
}

/**
 * Formats a number for tables and tooltips: compact, never "NaN".
 * @param {unknown} v
 * @returns {string}
 */
export function fmt(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return '—';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  // Thousands keep their digits ("46,250", not "4.625e+4"); smaller numbers keep 4 significant ones.
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  return v.toPrecision(4).replace(/\.?0+$/, '');
}

/**
 * Axis tick labels: thousands as k, millions as M ("15k", "2.5M"), small numbers as fmt does.
 * @param {number} v
 */
export function axisLabel(v) {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  return fmt(v);
}

/**
 * Exponential moving average with TensorBoard's debiasing: s_t = w·s_{t-1} + (1−w)·x_t, shown as
 * s_t / (1 − w^n) so the start is not pulled towards 0. Missing values (null) stay null and do not
 * advance the average.
 * @param {(number | null | undefined)[]} values
 * @param {number} weight
 * @returns {(number | null)[]}
 */
export function ema(values, weight) {
  if (weight <= 0) return values.map((v) => (v === undefined ? null : v));
  /** @type {(number | null)[]} */
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

/**
 * Flattens nested config objects to dotted keys: { a: { b: 1 } } → { 'a.b': 1 }. Arrays are kept as JSON.
 * @param {unknown} obj
 * @param {string} [prefix]
 * @param {Record<string, unknown>} [out]
 * @returns {Record<string, unknown>}
 */
export function flatten(obj, prefix = '', out = {}) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    out[prefix || '(value)'] = Array.isArray(obj) ? JSON.stringify(obj) : obj;
    return out;
  }
  const keys = Object.keys(obj);
  if (keys.length === 0 && prefix) out[prefix] = '{}';
  for (const k of keys) flatten(/** @type {Record<string, unknown>} */ (obj)[k], prefix ? `${prefix}.${k}` : k, out);
  return out;
}

/** A stable, readable palette (colour-blind friendly, Okabe–Ito order). */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

/**
 * Triggers a download of `text` as a file.
 * @param {string} name
 * @param {string} text
 * @param {string} type
 */
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * Parses a JSON-lines body; skips blank and broken lines (a run still writing may end mid-line).
 * @param {string} text
 * @returns {Record<string, any>[]}
 */
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

/**
 * `text` cut to `max` characters in the middle ("keydoor-thr-2026…-120000"), so runs that share a long
 * prefix still look different.
 * @param {string} text
 * @param {number} max
 */
export function middleEllipsis(text, max) {
  if (text.length <= max) return text;
  const keep = max - 1;
  const head = Math.ceil(keep / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (keep - head))}`;
}

/**
 * Short labels that tell runs apart: the common prefix of the names (up to a separator) becomes '…'
 * ("keydoor-thr-20260101-120000", "keydoor-thr-20260101-130000" → "…120000", "…130000"); then each is
 * cut in the middle to `max`. A single name is only cut.
 * @param {string[]} names
 * @param {number} [max]
 * @returns {string[]}
 */
export function shortLabels(names, max = 28) {
  if (names.length < 2) return names.map((n) => middleEllipsis(n, max));
  let p = 0;
  const first = names[0] ?? '';
  while (p < first.length && names.every((n) => n[p] === first[p])) p++;
  // Back to just after a separator, so "…run-2" rather than "…un-2"; keep at least a few characters.
  while (p > 0 && !/[-_.\/: ]/.test(first[p - 1] ?? '')) p--;
  const cut = p >= 6 ? names.map((n) => `…${n.slice(p)}`) : names.slice();
  return cut.map((n) => middleEllipsis(n, max));
}

/**
 * Long absolute paths inside a message shortened to their last two parts ("/tmp/x/runs/a-1/checkpoints/3"
 * → "…/checkpoints/3"); the full text stays in the element's title.
 * @param {string} text
 */
export function shortenPaths(text) {
  return text.replace(/(?:\/[^\s/()'",]+){3,}/g, (p) => `…/${p.split('/').slice(-2).join('/')}`);
}

/**
 * The last finite value of `key` in the records, or undefined.
 * @param {import('./model.js').MetricsRecord[]} records
 * @param {string} key
 */
export function lastValue(records, key) {
  for (let i = records.length - 1; i >= 0; i--) {
    const v = records[i]?.[key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}
