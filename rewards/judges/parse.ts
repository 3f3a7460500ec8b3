/**
 * Strict parsing of the judge model's answer. Only the LAST non-empty line counts, and it must be the
 * answer line of the requested format (markdown bold and a trailing period are tolerated). A last line
 * of another shape is 'unparseable'; the right key with a value outside the allowed set is
 * 'invalid_label'. Neither gives a label (ONI: unparseable → no reward).
 */
import type { JudgeErrorKind } from '../types.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: JudgeErrorKind };

function answerLine(text: string, key: string): Parsed<string> {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const last = lines[lines.length - 1];
  if (last === undefined) return { ok: false, error: 'unparseable' };
  const m = last.replace(/\*\*/g, '').match(new RegExp(`^${key}\\s*:\\s*(.*?)\\s*\\.?$`, 'i'));
  if (!m) return { ok: false, error: 'unparseable' };
  return { ok: true, value: m[1]!.toLowerCase() };
}

/** "Label: yes|no" → 1 | 0. */
export function parseLabel(text: string): Parsed<number> {
  const a = answerLine(text, 'label');
  if (!a.ok) return a;
  if (a.value === 'yes') return { ok: true, value: 1 };
  if (a.value === 'no') return { ok: true, value: 0 };
  return { ok: false, error: 'invalid_label' };
}

/** "Score: x", x a plain decimal in [0, 1]. */
export function parseScore(text: string): Parsed<number> {
  const a = answerLine(text, 'score');
  if (!a.ok) return a;
  if (!/^(0|1|0?\.\d+|1\.0+|0\.\d*)$/.test(a.value)) return { ok: false, error: 'invalid_label' };
  const v = Number(a.value);
  return v >= 0 && v <= 1 ? { ok: true, value: v } : { ok: false, error: 'invalid_label' };
}

/** "Preferred: 1|2|tie" → 0 | 1 | 0.5 (index of the preferred item; 0.5 a tie). */
export function parsePreference(text: string): Parsed<0 | 0.5 | 1> {
  const a = answerLine(text, 'preferred');
  if (!a.ok) return a;
  if (a.value === '1') return { ok: true, value: 0 };
  if (a.value === '2') return { ok: true, value: 1 };
  if (a.value === 'tie') return { ok: true, value: 0.5 };
  return { ok: false, error: 'invalid_label' };
}
