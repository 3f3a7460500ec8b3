/**
 * The main thread's handle on the learner thread (./worker.ts): start it, hand it rollouts, ask it for a
 * checkpoint, stop it. Every exchange is a typed message of the LearnerIn / LearnerOut protocol; a fatal
 * error or an unexpected exit of the thread rejects whatever is waiting and is reported through `onFatal`.
 */
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../thread.ts';
import type { TrajectoryMessage } from '../transport/types.ts';
import type { LearnerIn, LearnerInit, LearnerOut, LearnerUpdate } from './worker.ts';

type Out<T extends LearnerOut['type']> = Extract<LearnerOut, { type: T }>;

export class LearnerClient {
  private readonly worker: Worker;
  private readonly listeners = new Set<(m: LearnerOut) => void>();
  private reqId = 0;
  readonly exited: Promise<number>;

  constructor(init: LearnerInit) {
    this.worker = startTsWorker(new URL('./worker.ts', import.meta.url), { workerData: init as unknown as Record<string, unknown> });
    this.worker.on('message', (m: LearnerOut) => { for (const l of this.listeners) l(m); });
    this.exited = new Promise((resolve) => this.worker.on('exit', resolve));
    this.worker.on('error', (err) => { for (const l of this.listeners) l({ type: 'fatal', message: err.stack ?? String(err) }); });
  }

  /** Every message the thread posts (annotation requests, faults, sample episodes, fatal errors). */
  on(fn: (m: LearnerOut) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The next message of `type` (matching `pred`); rejects on a fatal error of the thread. */
  next<T extends LearnerOut['type']>(type: T, pred: (m: Out<T>) => boolean = () => true): Promise<Out<T>> {
    return new Promise((resolve, reject) => {
      const off = this.on((m) => {
        if (m.type === 'fatal') { off(); reject(new Error(`learner thread failed: ${m.message}`)); }
        else if (m.type === type && pred(m as Out<T>)) { off(); resolve(m as Out<T>); }
      });
    });
  }

  send(m: LearnerIn, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  /**
   * Hands the rollouts to the learner thread (their buffers are transferred) and resolves once it has
   * consumed them: with the update they completed, if any. `flush` (lockstep) makes them one whole update.
   */
  async consume(rollouts: TrajectoryMessage[], flush: boolean): Promise<LearnerUpdate | null> {
    const consumed = this.next('consumed');
    this.send(
      { type: 'batch', items: rollouts.map((m) => ({ id: m.id, bytes: m.payload })), flush },
      rollouts.map((m) => m.payload.buffer as ArrayBuffer),
    );
    return (await consumed).update ?? null;
  }

  /** The learner's state for a checkpoint (weights, optimiser, reward model, annotation and version history). */
  async checkpoint(): Promise<Out<'checkpoint'>> {
    const reqId = ++this.reqId;
    const reply = this.next('checkpoint', (r) => r.reqId === reqId);
    this.send({ type: 'checkpoint', reqId });
    return reply;
  }

  /** Asks the thread to dispose its tensors and exit; terminates it if it has not within `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    this.send({ type: 'stop' });
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, graceMs).unref())]);
    await this.worker.terminate();
  }
}
