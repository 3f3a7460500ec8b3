/**
 * Named experiments kept in the repo: `npm start -- --experiment NAME`. Each file's default export is a
 * partial experiment config, checked against ExperimentConfigInput at compile time (`satisfies`) and
 * validated by runner/config.ts when run.
 */
import type { ExperimentConfigInput } from '../config.ts';
import keydoorThr from './keydoor-thr.ts';
import keydoorExt from './keydoor-ext.ts';
import keydoorPerceptual from './keydoor-perceptual.ts';
import additionThr from './addition-thr.ts';
import additionExt from './addition-ext.ts';
import toolcalcThr from './toolcalc-thr.ts';
import toolcalcExt from './toolcalc-ext.ts';
import dungeonOni from './dungeon-oni.ts';
import dungeonExt from './dungeon-ext.ts';

export const EXPERIMENTS: Record<string, ExperimentConfigInput> = {
  'keydoor-thr': keydoorThr,
  'keydoor-ext': keydoorExt,
  'keydoor-perceptual': keydoorPerceptual,
  'addition-thr': additionThr,
  'addition-ext': additionExt,
  'toolcalc-thr': toolcalcThr,
  'toolcalc-ext': toolcalcExt,
  'dungeon-oni': dungeonOni,
  'dungeon-ext': dungeonExt,
};

export const DEFAULT_EXPERIMENT = 'keydoor-thr';

export function getExperiment(name: string): ExperimentConfigInput {
  const e = EXPERIMENTS[name];
  if (!e) throw new Error(`unknown experiment '${name}'. Named experiments: ${Object.keys(EXPERIMENTS).sort().join(', ')}`);
  return structuredClone(e);
}
