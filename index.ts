/**
 * thrive: reinforcement-learning experiments in TypeScript. The package's main entry is the runner's
 * library API — `new Experiment(config).train()` / `runExperiment(config)`, the named experiments, the
 * config types and the live stream. Each room has its own subpath:
 *
 *   import { runExperiment, getExperiment } from 'thrive';
 *   import { makeEnv, registerEnv, checkEnv } from 'thrive/envs';
 *   import { GamePolicy, TokenPolicy, GrpoLearner } from 'thrive/agents';
 *   import { createJudge, Annotator } from 'thrive/rewards';
 *
 * The sources are TypeScript: run scripts that import thrive with tsx (a dependency of thrive), e.g.
 * `npx tsx my-script.ts`.
 */
export * from './runner/index.ts';
