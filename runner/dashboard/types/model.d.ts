// Type-check only: the shapes the dashboard's modules pass each other (runner/dashboard/tsconfig.json
// resolves `import('./model.js')` here through rootDirs). The shapes of what the server sends are
// runner/stream/messages.ts (./protocol.js); the topics' payloads are described in docs/dashboard.md.

/** One metrics record: `{ step, time, envSteps, ...numbers }` (null where the run sent NaN). */
export type MetricsRecord = Record<string, number | null | undefined>;

/** A run the page shows: the live one, another live run added by URL, or one on disk. */
export interface Run {
  id: string;
  /** Full name (the run directory or the welcome's runName). */
  label: string;
  /** What legends and lists show: the part that tells this run from the others (util.js shortLabels). */
  short?: string;
  live: boolean;
  remote?: boolean;
  status?: string;
  statusInfo?: string;
  records: MetricsRecord[];
  config: Record<string, unknown> | null;
  color: string;
  visible: boolean;
  /** Its 'event' topic messages or events.jsonl lines, oldest first. */
  events: LoggedEvent[];
  /** Latest annotator stats ('annotator' topic), if the run publishes them. */
  annotator?: Record<string, unknown> | null;
  client?: { close(): void };
}

export interface RunEvent {
  kind?: string;
  message?: string;
  /** ms since epoch (stream) — or the run's seconds (events.jsonl `time`). */
  time?: number;
  [key: string]: unknown;
}

/** An event as the page keeps it: `when` is ms since epoch (the stream) or the run's seconds (events.jsonl). */
export interface LoggedEvent {
  when: number | undefined;
  clock: 'epoch' | 'run';
  data: RunEvent;
}

/** A run on disk, as /api/runs lists it. */
export interface DiskRun {
  name: string;
  mtime: number;
  files: string[];
  summary?: unknown;
}

export interface EpisodeStep {
  action?: unknown;
  message?: string;
  reward?: number | null;
  intrinsic?: number | null;
}

export interface EpisodeFrame {
  rgb: Uint8Array | number[];
  height: number;
  width: number;
}

/** A sample episode (the 'episode' topic, or a line of episodes.jsonl without frames). */
export interface EpisodeData {
  step?: number;
  envId?: string;
  family?: string;
  seed?: number;
  reward?: number | null;
  success?: boolean;
  rewardComponents?: Record<string, unknown>;
  steps?: EpisodeStep[];
  /** Names of the discrete actions, by action number (e.g. ['north', 'east', 'south', 'west']). */
  actionNames?: string[];
  frames?: EpisodeFrame[] | number;
  completion?: string;
  transcript?: unknown;
}

/** /api/info. */
export interface ServerInfo {
  v: number;
  runName: string | null;
  live: boolean;
  topics: string[];
  runsDir: boolean;
}
