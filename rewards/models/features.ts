/**
 * Caption features for the learned reward models: hashed character n-grams (n = 1..N) with word
 * boundaries marked, counts L2-normalised. A character-level representation, like ONI's classifier,
 * so unseen captions that share pieces with labelled ones ("You pick up the red key." vs "… blue key.")
 * land nearby.
 */
import { hashString } from '../../core/rng.ts';

export function captionFeatures(captions: string[], dim: number, ngrams: number): Float32Array {
  const out = new Float32Array(captions.length * dim);
  captions.forEach((caption, row) => {
    const text = ` ${caption.toLowerCase()} `;
    const base = row * dim;
    for (let n = 1; n <= ngrams; n++) {
      for (let i = 0; i + n <= text.length; i++) {
        const h = hashString(text.slice(i, i + n), 0x811c9dc5 + n);
        out[base + (h % dim)]! += 1;
      }
    }
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += out[base + j]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let j = 0; j < dim; j++) out[base + j]! /= norm;
  });
  return out;
}
