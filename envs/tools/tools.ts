/**
 * The tools a tool-use episode can call: a calculator and a key-value lookup over a small,
 * procedurally generated (fictional) knowledge base. A tool either returns a result string or throws
 * ToolError (the env turns that into an <error> observation — never an exception out of step()).
 */
import { Rng } from '../../core/rng.ts';

export class ToolError extends Error {}

/**
 * calc(expr): integers, + − * /, parentheses, unary minus; at most 64 characters. Results print as
 * integers when whole, otherwise with up to 4 decimals. Division by zero is a ToolError.
 */
export function calc(expr: string): string {
  if (expr.length > 64) throw new ToolError('expression too long (max 64 characters)');
  const s = expr.replace(/\s+/g, '');
  let i = 0;
  const fail = (what: string): never => { throw new ToolError(`bad expression at ${i}: ${what}`); };
  const number = (): number => {
    const m = /^\d+(\.\d+)?/.exec(s.slice(i));
    if (!m) return fail(i < s.length ? `unexpected '${s[i]}'` : 'unexpected end');
    i += m[0].length;
    return Number(m[0]);
  };
  const factor = (): number => {
    if (s[i] === '-') { i++; return -factor(); }
    if (s[i] === '(') {
      i++;
      const v = sum();
      if (s[i] !== ')') fail("missing ')'");
      i++;
      return v;
    }
    return number();
  };
  const product = (): number => {
    let v = factor();
    while (s[i] === '*' || s[i] === '/') {
      const op = s[i++];
      const w = factor();
      if (op === '/' && w === 0) throw new ToolError('division by zero');
      v = op === '*' ? v * w : v / w;
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (s[i] === '+' || s[i] === '-') v = s[i++] === '+' ? v + product() : v - product();
    return v;
  };
  if (s.length === 0) fail('empty');
  const v = sum();
  if (i !== s.length) fail(`unexpected '${s[i]}'`);
  if (!Number.isFinite(v)) throw new ToolError('result is not finite');
  return formatNumber(v);
}

export function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toFixed(4)));
}

// ── Knowledge base ───────────────────────────────────────────────────────────────────────────────

export const KB_ATTRIBUTES = ['age', 'city', 'color'] as const;
export type KbAttribute = (typeof KB_ATTRIBUTES)[number];
const CITIES = ['oslo', 'rome', 'lima', 'kyiv', 'baku', 'riga', 'doha', 'bern', 'nice', 'pune', 'ulm', 'graz'];
const KB_COLORS = ['red', 'blue', 'green', 'pink', 'gold', 'gray', 'teal', 'plum'];

/** entity → attribute → value; fixed (seeded with the constant 'thrive-kb'), the same in every process. */
export type KnowledgeBase = ReadonlyMap<string, Readonly<Record<KbAttribute, string>>>;

function buildKb(): KnowledgeBase {
  const rng = new Rng('thrive-kb');
  const C = 'bdfgklmnprstvz', V = 'aeiou';
  const kb = new Map<string, Record<KbAttribute, string>>();
  while (kb.size < 80) {
    const name = C[rng.int(C.length)] + V[rng.int(V.length)] + C[rng.int(C.length)] + V[rng.int(V.length)];
    if (kb.has(name)) continue;
    kb.set(name, { age: String(rng.range(10, 99)), city: rng.pick(CITIES), color: rng.pick(KB_COLORS) });
  }
  return kb;
}

export const KNOWLEDGE_BASE: KnowledgeBase = buildKb();

/** lookup(entity.attribute), e.g. lookup(guki.age) → "15". */
export function lookup(key: string): string {
  const m = /^\s*([a-z]+)\.([a-z]+)\s*$/.exec(key);
  if (!m) throw new ToolError(`key must look like name.attribute (attributes: ${KB_ATTRIBUTES.join(', ')})`);
  const entity = KNOWLEDGE_BASE.get(m[1]);
  if (!entity) throw new ToolError(`no entry '${m[1]}'`);
  if (!(KB_ATTRIBUTES as readonly string[]).includes(m[2])) throw new ToolError(`no attribute '${m[2]}' (attributes: ${KB_ATTRIBUTES.join(', ')})`);
  return entity[m[2] as KbAttribute];
}

export const TOOLS: Readonly<Record<string, (args: string) => string>> = { calc, lookup };
