/**
 * The common start of the role commands (scripts/learner.ts, actor.ts, annotator.ts): flags parsed
 * (usage on --help, exit 2 naming the bad flag), a process id, and Redis connections (exit 3 naming the
 * error). Process-level by design: these are only called from the role scripts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { parseArgs, USAGE, type CliArgs } from '../../cli.ts';
import { roleTransportConfig, splitRoleArgs, ROLE_USAGE, type RoleArgs } from './cli.ts';
import { createRedisTransport, type RedisTransport } from './transport.ts';
import { defaultRedisLog, OutageTracker } from './connection.ts';
import { redactUrl, validateRedisTransportConfig } from './config.ts';

export interface RoleCommand {
  role: RoleArgs;
  args: CliArgs;
  transportConfig: Record<string, unknown>;
  /** The config the run will have: a resumed run's saved config.json with the resume's overrides, else the given one. */
  runConfig: Record<string, unknown>;
  /** --id, or `<host>-<pid>`. */
  id: string;
}

/** Parses a role command's flags; `usage` is its own line (script name and extra flags). */
export function parseRoleCommand(argv: string[], usage: string): RoleCommand {
  try {
    const role = splitRoleArgs(argv);
    const args = parseArgs(role.rest);
    if (args.help) {
      console.log(`usage: ${usage}\n${ROLE_USAGE}\n${USAGE}`);
      process.exit(0);
    }
    // A resumed learner continues its saved config: the namespace and flow parameters come from it.
    const runConfig = args.resume ? savedConfig(args.resume, args.config as Record<string, unknown>) : args.config as Record<string, unknown>;
    const transportConfig = roleTransportConfig(role, runConfig);
    const id = role.id ?? `${hostname().replace(/[^A-Za-z0-9._-]/g, '_')}-${process.pid}`;
    return { role, args, transportConfig, runConfig, id };
  } catch (err) {
    console.error(`error: ${(err as Error).message}\n${ROLE_USAGE}`);
    process.exit(2);
  }
}

/** RUN_DIR/config.json with the resume's own overrides (the budget) on top, for the transport config. */
function savedConfig(runDir: string, overrides: Record<string, unknown>): Record<string, unknown> {
  let saved: Record<string, unknown>;
  try {
    saved = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`--resume ${runDir}: cannot read its config.json (${(err as Error).message}); give a run directory (runs/<name>-<time>)`);
  }
  return { ...saved, ...overrides };
}

/**
 * One transport per name, or exit 3 with Redis's error. They share one outage tracker: an outage is
 * logged (one line when it starts, one when it ends) and counted once for the process.
 */
export async function connectRoleTransports(config: Record<string, unknown>, names: string[]): Promise<RedisTransport[]> {
  try {
    const c = validateRedisTransportConfig(config);
    const outages = new OutageTracker(defaultRedisLog, redactUrl(c.url), c.maxBackoffMs);
    const out: RedisTransport[] = [];
    for (const name of names) out.push(await createRedisTransport(config, { name, outages }));
    return out;
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    process.exit(3);
  }
}
