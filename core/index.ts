/**
 * core/: what every room may share — the contract types (types.ts), the one source of seeded randomness
 * and FNV-1a hashing (rng.ts) and the one config validator (schema.ts). No room-specific code lives here.
 */
export type * from './types.ts';
export * from './rng.ts';
export * from './schema.ts';
