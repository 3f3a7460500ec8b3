/**
 * Every Redis key and channel of one run, under its namespace. One place, so docs/distributed.md and
 * the code cannot drift apart.
 */
export interface RedisKeys {
  /** Stream of trajectory messages (consumer group `trajGroup`). */
  traj: string;
  trajGroup: string;
  /** Channel: the learner acknowledged messages (space and credits freed); waiting actors retry at once. */
  trajAcked: string;
  /** Sorted set: outstanding flow-control credits, scored by the weight version their task samples with (./flow.ts). */
  credits: string;
  /** Sorted set: credit → lease expiry (Redis clock, ms); +inf once its message is in the stream. */
  creditLeases: string;
  /** Hash: the learner's flow parameters (maxStaleness, tasksPerUpdate). */
  flow: string;
  /** Hash: `<role>:<id>` → JSON of a live process (actors, annotators; ./presence.ts). */
  live: string;
  /** Sorted set: `<role>:<id>` → heartbeat expiry (Redis clock, ms). */
  liveExpiry: string;
  /** Counter per actor id: its incarnation (incremented each time an actor process starts). */
  incarnation(actorId: string): string;
  /** Hash: `<actorId>/<incarnation>` → contiguous high-water mark of acknowledged sequence numbers. */
  dedupHwm: string;
  /** Sorted set per actor incarnation: acknowledged sequence numbers above its high-water mark. */
  dedupAbove(field: string): string;
  /** Weight blob of one version. */
  weight(version: number): string;
  /** Key prefix of weight blobs (for the retention Lua script). */
  weightPrefix: string;
  /** String: newest published version. */
  weightLatest: string;
  /** Sorted set of stored versions (retention). */
  weightVersions: string;
  /** Channel: a new version number (never the blob). */
  weightAnnounce: string;
  /** Stream of annotation requests (consumer group `annGroup`). */
  annRequests: string;
  annGroup: string;
  /** Stream of labels back (consumer group per reader). */
  annLabels: string;
  labelGroup(reader: string): string;
  /** String: the learner role's run state ('running', then 'completed' / 'interrupted' / 'failed'). */
  runState: string;
}

export function redisKeys(ns: string): RedisKeys {
  return {
    traj: `${ns}:traj`,
    trajGroup: 'learner',
    trajAcked: `${ns}:traj:acked`,
    credits: `${ns}:credit:h`,
    creditLeases: `${ns}:credit:lease`,
    flow: `${ns}:flow`,
    live: `${ns}:live`,
    liveExpiry: `${ns}:live:exp`,
    incarnation: (actorId) => `${ns}:actor:${actorId}:incarnation`,
    dedupHwm: `${ns}:dedup:hwm`,
    dedupAbove: (field) => `${ns}:dedup:above:${field}`,
    weight: (version) => `${ns}:w:${version}`,
    weightPrefix: `${ns}:w:`,
    weightLatest: `${ns}:wlatest`,
    weightVersions: `${ns}:wversions`,
    weightAnnounce: `${ns}:wannounce`,
    annRequests: `${ns}:ann:requests`,
    annGroup: 'annotator',
    annLabels: `${ns}:ann:labels`,
    labelGroup: (reader) => `labels:${reader}`,
    runState: `${ns}:run`,
  };
}
