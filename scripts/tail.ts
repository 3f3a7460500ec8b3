/**
 * Tails a run's live stream in the terminal.
 *
 *   npm run tail -- ws://127.0.0.1:PORT/ws            (the URL the run prints; http://… works too)
 *   tsx scripts/tail.ts URL --topics metrics,event --token T --json
 *
 * Flags:
 *   --topics a,b|*   topics to follow (default: metrics,episode,annotator,event; config with --config)
 *   --token T        the run's token when it was started with --host (or env THRIVE_TOKEN)
 *   --json           one JSON line per message instead of the human view (pipe into jq)
 *   --no-history     skip the replay of recent history
 *   --keys a,b       metrics keys to show (default: all numeric keys)
 * Exits 0 when the run ends (server closes), 1 when the connection is refused or fails, 2 on bad args.
 */
// The stream's own surface (light: no TensorFlow.js), not runner/index.ts, so the tail starts fast.
import { connectStream, TOPICS, isTopic } from '../runner/stream/index.ts';
import type { ServerMessage, Topic } from '../runner/stream/index.ts';

interface TailArgs { url: string; topics: Topic[]; token?: string; json: boolean; history: boolean; keys?: string[] }

const FLAGS = ['--topics', '--token', '--json', '--no-history', '--keys', '--help'];

function usage(): string {
  return 'usage: tsx scripts/tail.ts ws://HOST:PORT/ws [--topics metrics,event|*] [--token T] [--json] [--no-history] [--keys a,b]';
}

export function parseTailArgs(argv: string[]): TailArgs {
  let url: string | undefined;
  const out: Omit<TailArgs, 'url'> = { topics: ['metrics', 'episode', 'annotator', 'event'], json: false, history: true, token: process.env.THRIVE_TOKEN || undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--topics') {
      const v = value();
      out.topics = v === '*' ? [...TOPICS] : v.split(',').map((t) => t.trim()).filter(Boolean).map((t) => {
        if (!isTopic(t)) throw new Error(`unknown topic "${t}"; valid: ${TOPICS.join(', ')} or *`);
        return t;
      });
    } else if (a === '--token') out.token = value();
    else if (a === '--json') out.json = true;
    else if (a === '--no-history') out.history = false;
    else if (a === '--keys') out.keys = value().split(',').filter(Boolean);
    else if (a === '--help' || a === '-h') throw new Error(usage());
    else if (a.startsWith('-')) throw new Error(`unknown flag "${a}"; valid: ${FLAGS.join(', ')}`);
    else if (url === undefined) url = a;
    else throw new Error(`unexpected argument "${a}" (the URL is already ${url})`);
  }
  if (!url) throw new Error(`missing the stream URL\n${usage()}`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`"${url}" is not a URL; expected ws://HOST:PORT/ws`);
  }
  if (u.protocol === 'http:' || u.protocol === 'https:') {
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    if (u.pathname === '/' || u.pathname === '') u.pathname = '/ws';
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new Error(`"${url}": use ws://HOST:PORT/ws`);
  if (u.searchParams.has('token') && !out.token) out.token = u.searchParams.get('token')!;
  u.searchParams.delete('token');
  return { url: u.href, ...out };
}

function num(v: unknown): string {
  if (typeof v !== 'number') return v === null ? '—' : String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(2) : v.toPrecision(4).replace(/\.?0+$/, '');
}

/** One human line per message (or a few for config). */
export function formatMessage(m: ServerMessage, keys?: string[]): string | undefined {
  const clock = (t: number) => new Date(t).toISOString().slice(11, 19);
  switch (m.type) {
    case 'welcome':
      return `connected to ${m.runName ?? 'a run'} (protocol v${m.v}); following ${m.subscribed.join(', ') || 'nothing yet'}`;
    case 'dropped':
      return `… ${m.count} messages dropped (this terminal fell behind; ${m.total} in all)`;
    case 'error':
      return `server error ${m.code}: ${m.message}`;
    case 'data': {
      const d = (m.data ?? {}) as Record<string, unknown>;
      if (m.topic === 'metrics') {
        const shown = (keys ?? Object.keys(d).filter((k) => k !== 'step' && k !== 'time' && (typeof d[k] === 'number' || d[k] === null))).filter((k) => k in d);
        return `${clock(m.time)} step ${num(d.step)}  ${shown.map((k) => `${k} ${num(d[k])}`).join('  ')}`;
      }
      if (m.topic === 'episode') {
        const steps = Array.isArray(d.steps) ? d.steps.length : 0;
        const frames = Array.isArray(d.frames) ? `, ${d.frames.length} frames` : '';
        const text = typeof d.completion === 'string' ? `  «${d.completion.split('\n')[0]!.slice(0, 60)}»` : '';
        const parts = d.rewardComponents && typeof d.rewardComponents === 'object'
          ? ` (${Object.entries(d.rewardComponents as Record<string, unknown>).map(([k, v]) => `${k} ${num(v)}`).join(', ')})`
          : '';
        return `${clock(m.time)} episode ${d.envId ?? '?'} seed ${num(d.seed)} ${d.success ? '✓' : '✗'} reward ${num(d.reward)}${parts}, ${steps} steps${frames}${text}`;
      }
      if (m.topic === 'annotator') return `${clock(m.time)} annotator ${Object.entries(d).map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : num(v)}`).join('  ')}`;
      if (m.topic === 'event') {
        const extra = Object.keys(d).filter((k) => k !== 'kind' && k !== 'message');
        return `${clock(m.time)} [${String(d.kind ?? 'event')}] ${String(d.message ?? '')}${extra.length ? ' ' + JSON.stringify(Object.fromEntries(extra.map((k) => [k, d[k]]))) : ''}`;
      }
      return `${clock(m.time)} config ${JSON.stringify(d)}`;
    }
    default:
      return undefined;
  }
}

async function main(): Promise<number> {
  let args: TailArgs;
  try {
    args = parseTailArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  let conn;
  try {
    conn = await connectStream(args.url, { format: 'msgpack', topics: args.history ? args.topics : [], token: args.token, keepAlive: true });
  } catch (e) {
    console.error(`cannot connect to ${args.url}: ${(e as Error).message}`);
    return 1;
  }
  if (!args.history) conn.ws.send(JSON.stringify({ type: 'subscribe', topics: args.topics, history: false }));
  conn.onMessage((m) => {
    if (args.json) {
      if (m.type === 'data' || m.type === 'dropped') process.stdout.write(JSON.stringify(m, (_k, v) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v)) + '\n');
      return;
    }
    const line = formatMessage(m, args.keys);
    if (line !== undefined) process.stdout.write(line + '\n');
  });
  process.once('SIGINT', () => conn.close());
  const { code, reason } = await conn.closed;
  if (!args.json) console.log(`stream closed (${code}${reason ? ` ${reason}` : ''})`);
  return code === 1000 || code === 1001 || code === 1005 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then((code) => process.exit(code));
}
