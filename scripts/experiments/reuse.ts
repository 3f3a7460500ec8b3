/**
 * Arm.sameRunAs: an arm whose config is the same run as another suite's arm takes that arm's finished job
 * (runs/experiments/<suite>/<arm>-s<seed>/job.json, a sibling of this suite's directory) instead of
 * training the same thing twice. The job is relabelled with this arm's name and marked `reusedFrom`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Arm } from './suites.ts';
import type { JobResult } from './run.ts';

export function reusedJob(arm: Arm, seed: number, suiteDir: string): JobResult | null {
  if (!arm.sameRunAs) return null;
  const { suite, arm: other } = arm.sameRunAs;
  const path = join(dirname(suiteDir), suite, `${other}-s${seed}`, 'job.json');
  if (!existsSync(path)) return null;
  const job = JSON.parse(readFileSync(path, 'utf8')) as JobResult;
  if (job.arm !== other || job.seed !== seed) throw new Error(`${path}: holds arm '${job.arm}' seed ${job.seed}, not '${other}' seed ${seed}`);
  return { ...job, arm: arm.name, reusedFrom: `${suite}/${other}` };
}
