/**
 * Test helper (not a test file): starts a throwaway redis-server on loopback on a free port, without
 * persistence, optionally with a password and/or a TLS port backed by a self-signed certificate made with
 * openssl in a temp dir. Killed by `stop()` and, as a safety net, when the test process exits.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  /** redis://[:password@]127.0.0.1:port, or rediss://... when started with tls. */
  url: string;
  port: number;
  /** The CA (= the self-signed server cert) for rediss:// clients. */
  caFile?: string;
  pid: number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export function haveRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** True when this redis-server build has TLS (Debian's does). */
export function redisSupportsTls(): boolean {
  // With both ports 0 a TLS-capable build exits at once ("not listen anywhere"); one without TLS rejects the directive.
  const r = spawnSync('redis-server', ['--port', '0', '--tls-port', '0', '--save', '', '--bind', '127.0.0.1'], { encoding: 'utf8', timeout: 5000 });
  return r.status !== null && !/Bad directive|FATAL CONFIG/i.test(`${r.stdout}${r.stderr}`);
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export async function startRedis(opts: { password?: string; tls?: boolean; port?: number } = {}): Promise<RedisServer> {
  if (!haveRedisServer()) throw new Error('redis-server not found on PATH: apt-get install redis-server (.ci/run does)');
  const port = opts.port ?? (await freePort());
  const args = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'];
  let caFile: string | undefined;
  let dir: string | undefined;
  if (opts.tls) {
    dir = mkdtempSync(join(tmpdir(), 'thrive-redis-tls-'));
    caFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    const r = spawnSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', caFile, '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl could not make a test certificate: ${r.stderr}`);
    args.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', caFile, '--tls-key-file', keyFile,
      '--tls-ca-cert-file', caFile, '--tls-auth-clients', 'no');
  } else {
    args.push('--port', String(port));
  }
  if (opts.password) args.push('--requirepass', opts.password);
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not become ready in 10 s:\n${out}`)), 10_000);
    const onData = (d: Buffer) => {
      out += d;
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code} before it was ready:\n${out}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  const auth = opts.password ? `:${encodeURIComponent(opts.password)}@` : '';
  return {
    url: `${opts.tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${port}`,
    port,
    caFile,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await gone;
      }
      live.delete(child);
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** uvu has no async `rejects`: resolves if `p` rejects with a message matching `re`, else throws. */
export async function rejects(p: Promise<unknown>, re: RegExp): Promise<Error> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof Error) || !re.test(e.message)) throw new Error(`expected a rejection matching ${re}, got: ${(e as Error)?.message ?? e}`);
    return e;
  }
  throw new Error(`expected a rejection matching ${re}, but it resolved`);
}
