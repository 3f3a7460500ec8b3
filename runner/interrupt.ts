/**
 * The commands' Ctrl-C contract: the first Ctrl-C (SIGINT), a SIGTERM, a SIGHUP or the death of the parent
 * process aborts the returned signal, so the run writes a checkpoint, summary.json and its 'end' event and
 * stops; a second Ctrl-C, pressed later, exits at once.
 *
 * Why "later": a Ctrl-C in a terminal signals the whole process group — npm, sh and node all receive it —
 * and wrappers may relay the signal to their child again. Those copies arrive within milliseconds of the
 * original and are the same key press, so SIGINTs within DUPLICATE_MS of the first are ignored. (The
 * package's scripts run `node --import tsx` directly: tsx's CLI wrapper would re-send the signal, and
 * SIGKILL the process if it did not acknowledge it within 30 ms — during a checkpoint write, say.)
 */

/** SIGINTs this soon after the first are copies of the same Ctrl-C (group delivery and relays). */
export const DUPLICATE_MS = 1000;

export function interruptSignal(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): AbortSignal {
  const ctrl = new AbortController();
  let first = 0;
  const stop = (why: string) => {
    if (ctrl.signal.aborted) return;
    log(`\n${why}: writing a checkpoint (Ctrl-C again to exit at once)`);
    ctrl.abort();
  };
  process.on('SIGINT', () => {
    const now = Date.now();
    if (first === 0) { first = now; stop('interrupted'); return; }
    if (now - first < DUPLICATE_MS) return;
    log('second Ctrl-C: exiting without waiting for the checkpoint');
    process.exit(130);
  });
  process.on('SIGTERM', () => stop('terminated'));
  process.on('SIGHUP', () => stop('hang-up'));
  // The parent died (npm killed, the terminal closed): stop as on Ctrl-C rather than train on as an orphan.
  const parent = process.ppid;
  const watch = setInterval(() => { if (process.ppid !== parent) { clearInterval(watch); stop('parent process exited'); } }, 500);
  watch.unref();
  return ctrl.signal;
}
