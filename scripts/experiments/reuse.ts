/**
 * Finished jobs taken from elsewhere instead of training the same run again:
 *
 * - Arm.sameRunAs: an arm whose config is the same run as another suite's arm takes that arm's finished job
 *   (runs/experiments/<suite>/<arm>-s<seed>/job.json, a sibling of this suite's directory), relabelled with
 *   this arm's name and marked `reusedFrom`.
 * - Writing a results file keeps the jobs of the one it replaces that this checkout's runs/ lacks (keptJobs),
 *   so running some seeds or arms of a study never drops the others from docs/results.
 * - `--restore`: runs/ is not kept between machines, docs/results/<suite>.json is (it holds every finished
 *   job whole). Restoring writes its jobs back as job.json files, so a study can go on where it stopped on
 *   another machine, or be replotted with more arms. A job is restored only if its arm's config in that file
 *   is the suite's config now; otherwise the old runs are not this arm's runs and restoring stops.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Arm, Suite } from './suites.ts';
import type { JobResult, SuiteResults } from './run.ts';
import { writeJson } from './json-file.ts';

export function reusedJob(arm: Arm, seed: number, suiteDir: string): JobResult | null {
  if (!arm.sameRunAs) return null;
  const { suite, arm: other } = arm.sameRunAs;
  const path = join(dirname(suiteDir), suite, `${other}-s${seed}`, 'job.json');
  if (!existsSync(path)) return null;
  const job = JSON.parse(readFileSync(path, 'utf8')) as JobResult;
  if (job.arm !== other || job.seed !== seed) throw new Error(`${path}: holds arm '${job.arm}' seed ${job.seed}, not '${other}' seed ${seed}`);
  return { ...job, arm: arm.name, reusedFrom: `${suite}/${other}` };
}

/** Equal as JSON text is equal: configs are plain JSON data (a results file's copy went through JSON already). */
const sameConfig = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The jobs of an earlier results file to keep in the one that replaces it: each arm × seed `have` lacks whose
 * arm is still the suite's with the same config. `dropped` names those that are not (their arm was removed
 * or its config changed, so they are not this arm's runs now; git history still has them).
 */
export function keptJobs(suite: Suite, earlier: SuiteResults, have: ReadonlySet<string>): { kept: JobResult[]; dropped: string[] } {
  const kept: JobResult[] = [];
  const dropped: string[] = [];
  for (const job of earlier.jobs) {
    if (have.has(`${job.arm}-s${job.seed}`)) continue;
    const arm = suite.arms.find((a) => a.name === job.arm);
    const then = earlier.arms.find((a) => a.name === job.arm)?.config;
    if (arm && sameConfig(then, arm.config)) kept.push(job);
    else dropped.push(`${job.arm} seed ${job.seed}`);
  }
  return { kept, dropped };
}

/** Writes the finished jobs of `results` (a docs/results/<suite>.json) under suiteDir where none is; returns how many. */
export function restoreJobs(suite: Suite, results: SuiteResults, suiteDir: string, from: string): number {
  if (results.suite !== suite.name) throw new Error(`${from} holds suite '${results.suite}', not '${suite.name}'`);
  let n = 0;
  for (const job of results.jobs) {
    const arm = suite.arms.find((a) => a.name === job.arm);
    if (!arm) throw new Error(`${from}: arm '${job.arm}' is not an arm of suite '${suite.name}' now (arms: ${suite.arms.map((a) => a.name).join(', ')}); nothing restored`);
    const then = results.arms.find((a) => a.name === job.arm)?.config;
    if (!sameConfig(then, arm.config)) throw new Error(`${from}: arm '${job.arm}' had another config when its runs were made; they are not this arm's runs — nothing restored`);
  }
  for (const job of results.jobs) {
    const path = join(suiteDir, `${job.arm}-s${job.seed}`, 'job.json');
    if (existsSync(path)) continue;
    writeJson(path, job);
    n++;
  }
  const warm = join(suiteDir, 'warm-start.eval.json');
  if (results.warmStart && !existsSync(warm)) writeJson(warm, [results.warmStart]);
  return n;
}
