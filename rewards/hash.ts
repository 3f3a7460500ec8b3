/**
 * Content hashes (annotation keys, cache keys) and the small seeded helpers rewards/ needs. The 32-bit
 * FNV-1a is core's `hashString` (one copy in the project); the 128-bit keys below are a different job.
 */
import { createHash } from 'node:crypto';
import { hashString } from '../core/rng.ts';

/**
 * cyrb128 (bryc, public domain): a fast non-cryptographic 128-bit string hash. Annotation keys only
 * need to be collision-free in practice (2^-64 birthday bound at a few billion captions), and hashing
 * a caption must cost far less than an env step — node:crypto's createHash costs ~10 µs a call.
 */
function cyrb128(str: string): string {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0, k; i < str.length; i++) {
    k = str.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4; h2 ^= h1; h3 ^= h1; h4 ^= h1;
  const hex = (h: number) => (h >>> 0).toString(16).padStart(8, '0');
  return hex(h1) + hex(h2) + hex(h3) + hex(h4);
}

/** The annotation key of a caption: a content hash of env id and text (the annotator deduplicates on it). */
export function captionKey(envId: string, caption: string): string {
  return cyrb128(`${envId}\u0000${caption}`);
}

/** The annotation key of a frame (optionally with its caption): a content hash of the pixels. */
export function frameKey(envId: string, frame: { rgb: Uint8Array; height: number; width: number }, caption = ''): string {
  return createHash('sha1').update(envId).update('\u0000').update(`${frame.height}x${frame.width}`)
    .update(frame.rgb).update('\u0000').update(caption).digest('hex').slice(0, 20);
}

/** A deterministic uniform in [0, 1) from a string and a seed. */
export function hashUniform(text: string, seed: number): number {
  let h = hashString(text, (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0);
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
