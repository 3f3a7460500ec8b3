/**
 * Tool-call syntax (all tags literal, lower case):
 *   the policy writes  <call>TOOL(ARGS)</call>   e.g. <call>calc(37*24+5)</call>
 *   the env appends    <result>VALUE</result>    e.g. <result>893</result>
 *               or     <error>MESSAGE</error>    (malformed call, unknown tool, tool failure)
 *   the policy ends    <answer>TEXT</answer>     e.g. <answer>893</answer>
 * A call is recognised when the policy's text ends with </call>; the call is the text from the last
 * <call> before it. An answer is recognised when the text ends with </answer>.
 */
export const CALL_OPEN = '<call>';
export const CALL_CLOSE = '</call>';
export const ANSWER_OPEN = '<answer>';
export const ANSWER_CLOSE = '</answer>';

export type ParsedCall =
  | { ok: true; tool: string; args: string }
  | { ok: false; error: string };

/** Parses the call that `text` (the policy's latest turn) ends with. */
export function parseCall(text: string): ParsedCall {
  const end = text.length - CALL_CLOSE.length;
  const start = text.lastIndexOf(CALL_OPEN, end);
  if (start < 0) return { ok: false, error: `malformed call: ${CALL_CLOSE} without ${CALL_OPEN}` };
  const inner = text.slice(start + CALL_OPEN.length, end);
  const m = /^\s*([a-z_]+)\((.*)\)\s*$/s.exec(inner);
  if (!m) return { ok: false, error: 'malformed call: expected tool(args)' };
  return { ok: true, tool: m[1], args: m[2] };
}

/** The answer that `text` ends with, or null when there is no <answer> opener. */
export function parseAnswer(text: string): string | null {
  const end = text.length - ANSWER_CLOSE.length;
  const start = text.lastIndexOf(ANSWER_OPEN, end);
  if (start < 0) return null;
  return text.slice(start + ANSWER_OPEN.length, end).trim();
}

export function callText(tool: string, args: string): string {
  return `${CALL_OPEN}${tool}(${args})${CALL_CLOSE}`;
}
export function resultText(value: string): string {
  return `<result>${value}</result>`;
}
export function errorText(message: string): string {
  return `<error>${message}</error>`;
}
export function answerText(answer: string): string {
  return `${ANSWER_OPEN}${answer}${ANSWER_CLOSE}`;
}
