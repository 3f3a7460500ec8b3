/**
 * The token context of text and tool episodes: [bos, prompt…, then everything appended].
 * One preallocated Int32Array; `view()` is a subarray of it, valid until the next append — copy it
 * if you keep it past the next step.
 */
import { defaultTokenizer } from '../tokenizer.ts';

export class TokenContext {
  readonly buf: Int32Array;
  length = 0;
  constructor(readonly maxLength: number) {
    this.buf = new Int32Array(maxLength);
  }
  /** Clears and writes bos + the prompt. */
  start(prompt: string): void {
    this.length = 0;
    this.push(defaultTokenizer.bos);
    this.appendText(prompt);
  }
  /** Room left before maxLength. */
  get free(): number {
    return this.maxLength - this.length;
  }
  push(id: number): void {
    if (this.length >= this.maxLength) throw new Error(`token context overflow (maxLength ${this.maxLength})`);
    this.buf[this.length++] = id;
  }
  /** Appends as much of `text` as fits; returns how many characters were written. */
  appendText(text: string): number {
    const n = Math.min(text.length, this.free);
    for (let i = 0; i < n; i++) this.buf[this.length++] = defaultTokenizer.charId(text[i]);
    return n;
  }
  view(): Int32Array {
    return this.buf.subarray(0, this.length);
  }
  decode(from = 0): string {
    return defaultTokenizer.decode(this.buf.subarray(from, this.length));
  }
}
