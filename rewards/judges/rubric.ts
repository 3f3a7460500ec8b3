/**
 * Rubric judge: deterministic rules over captions, per env. The embedded default when no LLM server is
 * configured, so `npm start` needs nothing else. Optional label noise (seeded per caption, so repeatable)
 * and latency let experiments study an imperfect, slow judge.
 *
 * Which rules apply comes from the env's EnvContext (its spec): the built-in envs have rules written for
 * their messages, picked by the env's family and then its id; any other env of a family (a plug-in env)
 * gets that family's generic rules — games: GAME_RULES; text: the outcome messages only ('Answered "…":
 * correct.' 1, '…: wrong.' / 'No answer within N tokens.' 0, else 0); tools: the tool-transcript rule.
 *
 * Games (ONI's helpfulness question, answered by rules over the envs room's message strings):
 *   helpful:     "You pick up the {color} key." · "You unlock the door with the {color} key." ·
 *                "You open the door." · "You enter a new room." · "You see the goal." · "You reach the goal!" ·
 *                "You enter an unexplored corridor." (Maze)
 *   not helpful: "You bump into a wall." · "The door is locked." · "You move {direction}." · '' · anything else
 *   A caption holding several sentences is helpful when any of them is.
 *   Dungeon-v0 has its own rules (DUNGEON_RULES): a key picked up, a lock opened, the vault entered,
 *   the treasure claimed; nothing else.
 * Text (the caption is a completion, possibly with its prompt):
 *   Addition: an equation "a + b = c" is helpful iff it is correct; a bare completion is helpful iff it is
 *   a well-formed integer. Reverse/Sort: "x -> y" pairs are checked; a bare completion is helpful iff it
 *   is one non-empty token of letters/digits (format only — the rubric cannot see the prompt).
 * Tools (the caption is a tool transcript): helpful iff it contains a tool call and no error.
 */
import type { RubricJudgeConfig } from '../config.ts';
import { hashString } from '../../core/rng.ts';
import { hashUniform, sleep } from '../hash.ts';
import type { AnnotationRequest, EnvContext, Judge, JudgeResult, PairResult } from '../types.ts';
import type { EnvFamily } from '../../core/types.ts';
import { envOfItem } from './context.ts';

/** Bump when a rule changes: part of the judge id that keys the label cache. */
export const RUBRIC_VERSION = 2;

/** Game message rules, in the exact strings of the envs room's contract. */
export const GAME_RULES: ReadonlyArray<{ pattern: RegExp; helpful: boolean }> = [
  { pattern: /^You pick up the [a-z]+ key\.$/, helpful: true },
  { pattern: /^You unlock the door with the [a-z]+ key\.$/, helpful: true },
  { pattern: /^You open the door\.$/, helpful: true },
  { pattern: /^You enter a new room\.$/, helpful: true },
  { pattern: /^You see the goal\.$/, helpful: true },
  { pattern: /^You reach the goal!$/, helpful: true },
  { pattern: /^You enter an unexplored corridor\.$/, helpful: true },
  { pattern: /^You bump into a wall\.$/, helpful: false },
  { pattern: /^The door is locked\.$/, helpful: false },
  { pattern: /^You move [a-z]+\.$/, helpful: false },
];

/**
 * Dungeon-v0's rules (its message line is NetHack-like and far richer than the other games'): a sentence
 * is helpful iff it reports progress on the task chain — a key picked up, a lock opened with it, the
 * vault entered, the treasure claimed. Everything else (rooms, walls, doors, scenery, items, monsters,
 * noises) is not, including look-alikes: "You pick up a brass ring.", "You hear a key turn in a lock …",
 * "You enter the dusty library.", "The heavy door is locked.".
 */
export const DUNGEON_RULES: ReadonlyArray<{ pattern: RegExp; helpful: boolean }> = [
  { pattern: /^You (pick up|take|grab) the [a-z]+ key\.$/, helpful: true },
  { pattern: /^You unlock the [a-z -]+ with the [a-z]+ key\.$/, helpful: true },
  { pattern: /^You enter the [a-z]+ (treasury|vault|reliquary|strongroom)\.$/, helpful: true },
  { pattern: /^You (claim|seize|lift) the [a-z ]+!$/, helpful: true },
];

/** Per-env rule sets replacing GAME_RULES for that env id. */
const GAME_RULES_BY_ENV: Record<string, ReadonlyArray<{ pattern: RegExp; helpful: boolean }>> = {
  'Dungeon-v0': DUNGEON_RULES,
};

/** Splits a caption into sentences ("You open the door. You enter a new room." → two). */
function sentences(caption: string): string[] {
  return caption.match(/[^.!?]+[.!?]+/g)?.map((s) => s.trim()) ?? (caption.trim() ? [caption.trim()] : []);
}

export function gameRule(caption: string, envId?: string): number {
  const rules = (envId !== undefined && GAME_RULES_BY_ENV[envId]) || GAME_RULES;
  for (const s of sentences(caption)) {
    if (rules.some((r) => r.helpful && r.pattern.test(s))) return 1;
  }
  return 0;
}

/** Outcome messages shared by the text and tool envs. */
function outcomeRule(c: string): number | null {
  if (/^Answered ".*": correct\.$/.test(c)) return 1;
  if (/^Answered ".*", expected ".*": wrong\.$/.test(c)) return 0;
  if (/^No answer within \d+ tokens\.$/.test(c) || /limit of \d+ (tokens|tool calls) reached\.$/.test(c)) return 0;
  return null;
}

/** The generic rule of the text family: the outcome messages of the text envs' contract, else 0. */
function textOutcomeRule(caption: string): number {
  const c = caption.trim();
  return c ? outcomeRule(c) ?? 0 : 0;
}

/** Addition-v0: outcome messages; an equation "a + b = c" is helpful iff correct; a bare completion iff an integer. */
function additionRule(caption: string): number {
  const c = caption.trim();
  if (!c) return 0;
  const outcome = outcomeRule(c);
  if (outcome !== null) return outcome;
  const eq = c.match(/(-?\d+)\s*\+\s*(-?\d+)\s*=\s*(-?\d+)\s*$/);
  if (eq) return Number(eq[1]) + Number(eq[2]) === Number(eq[3]) ? 1 : 0;
  return /^-?\d+$/.test(c) ? 1 : 0;
}

/** Reverse-v0 / Sort-v0: outcome messages; "x -> y" pairs are checked; a bare completion iff one token of letters/digits. */
function stringTaskRule(transform: (s: string) => string): (caption: string) => number {
  return (caption) => {
    const c = caption.trim();
    if (!c) return 0;
    const outcome = outcomeRule(c);
    if (outcome !== null) return outcome;
    const arrow = c.match(/^(\S+)\s*(?:->|=>|→)\s*(\S*)$/);
    if (arrow) {
      const [, input, output] = arrow as unknown as [string, string, string];
      return output === transform(input) ? 1 : 0;
    }
    return /^[A-Za-z0-9]+$/.test(c) ? 1 : 0;
  };
}

function toolRule(caption: string): number {
  const outcome = outcomeRule(caption.trim());
  if (outcome !== null) return outcome;
  if (/^Called [A-Za-z_]\w*\(.*\) → .*\.$/s.test(caption.trim())) return 1;
  if (/^(Malformed tool call|Unknown tool|Tool \w+ failed)/.test(caption.trim())) return 0;
  const c = caption.toLowerCase();
  if (!c.trim()) return 0;
  if (/\b(error|invalid|unknown tool|exception|failed)\b/.test(c)) return 0;
  return /\b(call|calc|lookup|tool)\b|<tool|\w+\(.*\)/.test(c) ? 1 : 0;
}

type Rule = (caption: string) => number;
const builtinGameRule: Rule = (c) => gameRule(c);

/** Per family: the rules written for the built-in envs' messages (by env id), and the family's generic rule. */
const RULES: Record<EnvFamily, { byEnv: Record<string, Rule>; generic: Rule }> = {
  games: {
    byEnv: { 'KeyDoor-v0': builtinGameRule, 'MultiRoom-v0': builtinGameRule, 'Maze-v0': builtinGameRule, 'Dungeon-v0': (c) => gameRule(c, 'Dungeon-v0') },
    generic: builtinGameRule,
  },
  text: {
    byEnv: {
      'Addition-v0': additionRule,
      'Reverse-v0': stringTaskRule((s) => [...s].reverse().join('')),
      'Sort-v0': stringTaskRule((s) => [...s].sort().join('')),
    },
    generic: textOutcomeRule,
  },
  tools: {
    byEnv: { 'ToolCalc-v0': toolRule, 'ToolLookup-v0': toolRule, 'ToolChain-v0': toolRule, 'ToolMix-v0': toolRule },
    generic: toolRule,
  },
};

/** What the rubric does with captions of a family it has no rules of its own for (for warnings). */
const GENERIC_RULES_DOC: Record<EnvFamily, string> = {
  games: "the games' generic rules (the grid worlds' message strings, GAME_RULES: 'You pick up the red key.', 'You open the door.', 'You reach the goal!', …)",
  text: "the text family's generic rules (only the outcome messages 'Answered \"…\": correct.' → 1; '…: wrong.', 'No answer within N tokens.' → 0)",
  tools: "the tools family's generic rule (a tool-call transcript without an error → 1)",
};

/**
 * The noiseless rubric label of one caption of `env`: the rules written for that built-in env (chosen by
 * the context's family, then its id), else the family's generic rule, else 0.
 */
export function rubricLabel(env: EnvContext, caption: string): number {
  const rules = RULES[env.family];
  if (!rules) return 0;
  return (Object.hasOwn(rules.byEnv, env.id) ? rules.byEnv[env.id]! : rules.generic)(caption);
}

/**
 * null when the rubric has rules written for `env` (a built-in env); otherwise what it does with the
 * env's captions instead, in words (for the runner's pre-run warning).
 */
export function rubricCoverage(env: EnvContext): string | null {
  const rules = RULES[env.family];
  if (!rules) return `nothing: family ${JSON.stringify(env.family)} has no rules, every label is 0`;
  return Object.hasOwn(rules.byEnv, env.id) ? null : GENERIC_RULES_DOC[env.family];
}

/**
 * The 32-bit seed of the noise hash. hashUniform takes `seed | 0`, which would make seeds that differ by a
 * multiple of 2^32 (0 and 2^32, say) flip exactly the same captions; seeds outside the int32 range are
 * hashed from their decimal text instead. Seeds inside it are used as they are, so labels (and caches)
 * made with them do not change.
 */
export function noiseSeed(seed: number): number {
  return Number.isInteger(seed) && seed >= -(2 ** 31) && seed < 2 ** 31 ? seed : hashString(`rubric-seed:${seed}`) | 0;
}

export class RubricJudge implements Judge {
  readonly kind = 'rubric' as const;
  readonly id: string;
  private readonly seed32: number;
  labelSync?: (items: AnnotationRequest[]) => JudgeResult[];
  compareSync?: (pairs: Array<[AnnotationRequest, AnnotationRequest]>) => PairResult[];

  /**
   * `envContext`: the env whose captions this judge labels (the runner passes the one built from the env's
   * spec). Without it, each item's env id is looked up in envs' registry; an id not registered gets 0.
   * An env labelled by its family's generic rules is part of the id (its cached labels are kept apart
   * from those of the rules written for the built-in envs).
   */
  constructor(readonly config: RubricJudgeConfig, readonly envContext?: EnvContext) {
    const generic = envContext && rubricCoverage(envContext) !== null ? `-generic-${envContext.family}` : '';
    this.id = `rubric-v${RUBRIC_VERSION}${generic}-noise${config.noise}-seed${config.seed}`;
    this.seed32 = noiseSeed(config.seed);
    if (config.latencyMs === 0) {
      this.labelSync = (items) => this.answer(items);
      this.compareSync = (pairs) => this.answerPairs(pairs);
    }
  }

  /**
   * The (possibly noisy) label. Reproducible by construction: whether a caption's label flips is a pure
   * function of (env id, caption, seed) — a hash, no random state — so it does not depend on batch size,
   * order, sync or async labelling, the number of judges or the process. `env` overrides the item's context.
   */
  labelOf(item: AnnotationRequest, env = envOfItem(this.envContext, item.envId)): number {
    const clean = env ? rubricLabel(env, item.caption) : 0;
    if (this.config.noise > 0 && hashUniform(`${item.envId}\u0000${item.caption}`, this.seed32) < this.config.noise) {
      return 1 - clean;
    }
    return clean;
  }

  private answer(items: AnnotationRequest[]): JudgeResult[] {
    return items.map((it) => ({ ok: true, label: this.labelOf(it) }));
  }

  private answerPairs(pairs: Array<[AnnotationRequest, AnnotationRequest]>): PairResult[] {
    return pairs.map(([a, b]) => {
      const la = this.labelOf(a), lb = this.labelOf(b);
      return { ok: true, preferred: la === lb ? 0.5 : la > lb ? 0 : 1 };
    });
  }

  async label(items: AnnotationRequest[]): Promise<JudgeResult[]> {
    if (this.config.latencyMs > 0) await sleep(this.config.latencyMs);
    return this.answer(items);
  }

  async compare(pairs: Array<[AnnotationRequest, AnnotationRequest]>): Promise<PairResult[]> {
    if (this.config.latencyMs > 0) await sleep(this.config.latencyMs);
    return this.answerPairs(pairs);
  }
}
