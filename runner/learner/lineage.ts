/**
 * The learner's version lineage: which published weight versions the learner's current weights descend
 * from, so policy lag can be counted in updates along that history even when version numbers jump.
 *
 * Why versions jump: a learner resumed from its checkpoint (version c) after a crash may already have
 * published versions c+1 .. p that actor processes hold. Actors only take versions newer than theirs, so the
 * resumed learner republishes the checkpoint's weights as version v' = p + 1 (a *fork*: v' holds c's
 * weights) and counts on from there. Versions c+1 .. v'−1 were made by updates that died with the process:
 * they are *abandoned* — no longer ancestors of anything the learner will publish.
 *
 * Lag along the lineage: each fork removes (v' − c) from the count, so
 *   position(v) = v − Σ_{forks with v' ≤ v} (v' − c),      lag = position(current) − position(sampled).
 * A rollout sampled with an abandoned version (or one the learner never published, e.g. newer than its
 * current version) has no lag on this history: lag() returns null and the learner drops it (counted as
 * `abandonedDropped`), see learner/worker.ts.
 */

/**
 * Version `version` holds the weights of version `parent` (no update between them); versions
 * parent+1 .. version−1 are abandoned. parent −1 = a fresh start at `version` (no earlier version is an ancestor).
 */
export interface VersionFork {
  parent: number;
  version: number;
}

export class VersionLineage {
  private readonly forks: VersionFork[];

  constructor(forks: readonly VersionFork[] = []) {
    this.forks = forks.map((f) => ({ parent: f.parent, version: f.version }));
    for (let i = 0; i < this.forks.length; i++) {
      const f = this.forks[i];
      const prev = this.forks[i - 1];
      if (!(Number.isSafeInteger(f.parent) && Number.isSafeInteger(f.version) && f.parent >= -1 && f.version > f.parent)) {
        throw new Error(`version lineage: fork ${JSON.stringify(f)} must have integer versions with -1 <= parent < version`);
      }
      if (prev && f.parent < prev.version) {
        throw new Error(`version lineage: fork ${JSON.stringify(f)} starts before the previous fork ends (${prev.version}); forks must be in version order`);
      }
    }
  }

  /**
   * Records that the learner resumed the weights of version `parent` as version `version` (> parent).
   * Forks recorded after `parent` belong to a history the resume abandons and are dropped.
   */
  fork(parent: number, version: number): void {
    if (version <= parent) throw new Error(`version lineage: cannot fork version ${parent} as ${version} (must be higher)`);
    while (this.forks.length > 0 && this.forks[this.forks.length - 1].version > parent) this.forks.pop();
    this.forks.push({ parent, version });
  }

  /** True when weights of `version` are an ancestor (or the same) of the weights of `current`. */
  contains(version: number, current: number): boolean {
    if (!Number.isSafeInteger(version) || version < 0 || version > current) return false;
    return !this.forks.some((f) => f.parent < version && version < f.version);
  }

  /** Updates between `version` and `current` along the lineage, or null when `version` is not on it. */
  lag(current: number, version: number): number | null {
    if (!this.contains(version, current)) return null;
    return this.position(current) - this.position(version);
  }

  private position(v: number): number {
    let p = v;
    for (const f of this.forks) if (f.version <= v) p -= f.version - f.parent;
    return p;
  }

  toJSON(): VersionFork[] {
    return this.forks.map((f) => ({ ...f }));
  }
}
