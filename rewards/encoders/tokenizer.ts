/**
 * The caption tokenizer of the contrastive text encoder: lower-cased words ([a-z0-9]+) and word bigrams,
 * looked up in a vocabulary built from the training captions; a caption becomes a 0/1 bag-of-n-grams
 * vector (dense, so the text encoder's first layer is a matMul — no tf.gather, whose gradient the wasm
 * backend lacks). Words outside the vocabulary are dropped; `unknownWords` lists them so a caller can say so.
 *
 * Saved with the text model (model.json's userDefinedMetadata), so a loaded text encoder tokenizes exactly
 * as it was trained.
 */

export interface TokenizerJSON { kind: 'bag-of-ngrams'; ngrams: number; vocab: string[] }

export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

function ngramsOf(ws: string[], n: number): string[] {
  const out: string[] = [];
  for (let k = 1; k <= n; k++) for (let i = 0; i + k <= ws.length; i++) out.push(ws.slice(i, i + k).join(' '));
  return out;
}

export class CaptionTokenizer {
  private readonly index: Map<string, number>;
  constructor(readonly vocab: readonly string[], readonly ngrams = 2) {
    if (!Number.isInteger(ngrams) || ngrams < 1) throw new Error(`CaptionTokenizer: ngrams must be an integer >= 1, got ${ngrams}`);
    this.index = new Map(vocab.map((t, i) => [t, i]));
  }

  /** A vocabulary of every word n-gram (n = 1..ngrams) in `captions`, sorted so the result does not depend on their order. */
  static fit(captions: Iterable<string>, ngrams = 2): CaptionTokenizer {
    const seen = new Set<string>();
    for (const c of captions) for (const g of ngramsOf(words(c), ngrams)) seen.add(g);
    if (!seen.size) throw new Error('CaptionTokenizer.fit: the captions contain no words');
    return new CaptionTokenizer([...seen].sort(), ngrams);
  }

  static fromJSON(j: TokenizerJSON, where: string): CaptionTokenizer {
    if (!j || j.kind !== 'bag-of-ngrams' || !Array.isArray(j.vocab) || !j.vocab.every((v) => typeof v === 'string')) {
      throw new Error(`${where}: not a caption tokenizer (expected { kind: 'bag-of-ngrams', ngrams, vocab: string[] })`);
    }
    return new CaptionTokenizer(j.vocab, j.ngrams);
  }

  toJSON(): TokenizerJSON { return { kind: 'bag-of-ngrams', ngrams: this.ngrams, vocab: [...this.vocab] }; }

  get size(): number { return this.vocab.length; }

  /** Row-major [texts.length × size] 0/1 features. */
  features(texts: readonly string[]): Float32Array {
    const V = this.vocab.length, out = new Float32Array(texts.length * V);
    texts.forEach((t, i) => {
      for (const g of ngramsOf(words(t), this.ngrams)) {
        const j = this.index.get(g);
        if (j !== undefined) out[i * V + j] = 1;
      }
    });
    return out;
  }

  /** Words of `text` the vocabulary does not know (they are ignored by `features`). */
  unknownWords(text: string): string[] {
    return words(text).filter((w) => !this.index.has(w));
  }
}
