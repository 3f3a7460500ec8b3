/**
 * The character-level tokenizer shared by the text/tool envs and the token policies.
 *
 * Ids: 0 = pad, 1 = bos, 2 = eos, 3 = unk, then '\n' = 4, then printable ASCII ' ' (32) … '~' (126)
 * as 5 … 99. vocabSize = 100. Any other character encodes to unk.
 */
export class CharTokenizer {
  readonly pad = 0;
  readonly bos = 1;
  readonly eos = 2;
  readonly unk = 3;
  readonly vocabSize: number;
  /** The characters of ids specials.length … vocabSize − 1, in order. */
  readonly chars: string;
  private readonly toId = new Int32Array(128).fill(3);

  constructor(chars = '\n' + Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('')) {
    if (new Set(chars).size !== chars.length) throw new Error('CharTokenizer: duplicate characters in the alphabet');
    for (const c of chars) if (c.charCodeAt(0) >= 128) throw new Error(`CharTokenizer: only ASCII characters are supported, got '${c}'`);
    this.chars = chars;
    this.vocabSize = 4 + chars.length;
    for (let i = 0; i < chars.length; i++) this.toId[chars.charCodeAt(i)] = 4 + i;
  }

  /** Id of one character (unk if outside the alphabet). */
  charId(c: string): number {
    const code = c.charCodeAt(0);
    return code < 128 ? this.toId[code] : this.unk;
  }

  /** Text → ids. `bos`/`eos` add the special ids around the text. */
  encode(text: string, opts: { bos?: boolean; eos?: boolean } = {}): Int32Array {
    const n = text.length + (opts.bos ? 1 : 0) + (opts.eos ? 1 : 0);
    const out = new Int32Array(n);
    let j = 0;
    if (opts.bos) out[j++] = this.bos;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      out[j++] = code < 128 ? this.toId[code] : this.unk;
    }
    if (opts.eos) out[j++] = this.eos;
    return out;
  }

  /** The text of one id: '' for pad/bos/eos, '\uFFFD' for unk. */
  idToText(id: number): string {
    if (id >= 4 && id < this.vocabSize) return this.chars[id - 4];
    if (id === this.unk) return '\uFFFD';
    if (id >= 0 && id < 4) return '';
    throw new Error(`CharTokenizer: token id ${id} outside the vocabulary [0, ${this.vocabSize})`);
  }

  /** Ids → text; specials (pad, bos, eos) are dropped. */
  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.idToText(ids[i]);
    return s;
  }
}

/** The one tokenizer instance envs and policies share. */
export const defaultTokenizer = new CharTokenizer();
