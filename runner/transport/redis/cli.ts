/**
 * Command-line flags shared by the role commands (scripts/learner.ts, scripts/actor.ts,
 * scripts/annotator.ts). The Redis flags are taken out here; everything else is left for the runner's
 * `parseArgs` (--experiment, --config, --key.path VALUE, ...), so every role reads the same experiment.
 *
 *   --redis URL           redis://[:password@]host:port[/db] or rediss://... (default: $THRIVE_REDIS_URL,
 *                         then the config's transport.url). Prefer the environment variable for URLs with a
 *                         password: command lines are visible to every user of the machine (ps).
 *   --namespace NS        key prefix shared by all roles of one run (default: thrive:<experiment name>)
 *   --id ID               this process's id (actors: keep it across restarts of the same actor)
 *   --tls-ca FILE         CA of the server certificate (rediss://)
 *   --tls-cert FILE --tls-key FILE     client certificate (servers with tls-auth-clients yes)
 *   --claim-idle-ms N     take over work left pending this long by a dead process (default 30000)
 *   --purge               learner: delete the namespace's previous state first (a fresh run)
 */
import { ConfigError } from '../../../core/schema.ts';
import { validateExperimentConfig, type ExperimentConfigInput } from '../../config.ts';

export interface RoleArgs {
  url?: string;
  namespace?: string;
  id?: string;
  tls: { caFile?: string; certFile?: string; keyFile?: string };
  claimIdleMs?: number;
  purge: boolean;
  /** The arguments left for the runner's parseArgs. */
  rest: string[];
}

const WITH_VALUE = new Set(['redis', 'namespace', 'id', 'tls-ca', 'tls-cert', 'tls-key', 'claim-idle-ms']);
const BARE = new Set(['purge']);

export const ROLE_USAGE = `Redis flags (every role): --redis URL (or $THRIVE_REDIS_URL) [--namespace NS] [--tls-ca FILE]
  [--tls-cert FILE --tls-key FILE] [--claim-idle-ms N]; actors and annotators: [--id ID]; learner: [--purge].
The experiment flags are those of npm start (--experiment NAME | --config FILE, --key.path VALUE).`;

export function splitRoleArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): RoleArgs {
  const out: RoleArgs = { tls: {}, purge: false, rest: [], url: env.THRIVE_REDIS_URL || undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    const flag = m?.[1];
    if (!flag || (!WITH_VALUE.has(flag) && !BARE.has(flag))) {
      out.rest.push(a);
      continue;
    }
    if (BARE.has(flag)) {
      out.purge = true;
      continue;
    }
    let value = m[2];
    if (value === undefined) {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new ConfigError(`--${flag} needs a value`);
      value = argv[++i];
    }
    switch (flag) {
      case 'redis': out.url = value; break;
      case 'namespace': out.namespace = value; break;
      case 'id':
        if (!/^[A-Za-z0-9._-]+$/.test(value)) throw new ConfigError(`--id must use letters, digits, '.', '_', '-', got ${JSON.stringify(value)}`);
        out.id = value;
        break;
      case 'tls-ca': out.tls.caFile = value; break;
      case 'tls-cert': out.tls.certFile = value; break;
      case 'tls-key': out.tls.keyFile = value; break;
      case 'claim-idle-ms': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 10) throw new ConfigError(`--claim-idle-ms must be an integer >= 10, got ${JSON.stringify(value)}`);
        out.claimIdleMs = n;
        break;
      }
    }
  }
  return out;
}

/** The transport config for a role, from its flags and the experiment config. */
export function roleTransportConfig(role: RoleArgs, experiment: ExperimentConfigInput): Record<string, unknown> {
  const t: { url?: unknown } = experiment.transport ?? {};
  const url = role.url ?? (typeof t.url === 'string' ? t.url : undefined);
  if (!url) throw new ConfigError('no Redis URL: pass --redis URL, set THRIVE_REDIS_URL, or set transport.url in the config');
  const name = typeof experiment.name === 'string' ? experiment.name : 'experiment';
  const config: Record<string, unknown> = { url, namespace: role.namespace ?? `thrive:${name}` };
  const tls = Object.fromEntries(Object.entries(role.tls).filter(([, v]) => v !== undefined));
  if (Object.keys(tls).length > 0) config.tls = tls;
  if (role.claimIdleMs !== undefined) config.claimIdleMs = role.claimIdleMs;
  // The stream's bound follows actors.queueCapacity, as the in-process queue's does; the credits that keep
  // policy lag within actors.maxStaleness follow that and the messages one update consumes.
  try {
    const e = validateExperimentConfig(experiment);
    config.maxQueued = e.actors.queueCapacity;
    config.maxStaleness = e.actors.maxStaleness;
    config.tasksPerUpdate = e.groupsPerUpdate / e.actors.groupsPerTask;
  } catch {
    // An invalid experiment config is reported, naming the key, when the role resolves it.
  }
  return config;
}
