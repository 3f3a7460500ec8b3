/**
 * The message line of Dungeon-v0 (in the spirit of NetHack's): the vocabulary of names and the caption
 * tables, built once at module load and interned, so a step picks strings by index and never formats one
 * (it only joins the sentences of a step that says several things).
 *
 * A level draws indices into these tables (room names, key material, door, treasure, wording, scenery,
 * items, monsters), so the captions of one level are fixed by its seed, and the distinct captions over
 * many levels run into the thousands. Progress on the task chain (the rubric judge's "helpful") is said by
 * exactly four kinds of sentence:
 *   KEY_PICKUP  "You {pick up|take|grab} the {material} key."
 *   UNLOCK      "You unlock the {lock door} with the {material} key."
 *   VAULT_ENTER "You enter the {vault adjective} {treasury|vault|reliquary|strongroom}."   (first entry)
 *   CLAIM       "You {claim|seize|lift} the {treasure}!"                                  (the goal)
 * Every other sentence — rooms entered and re-entered, walls bumped, doors opened, scenery, items picked
 * up (rings of the keys' metals included), monsters, noises (a key turning somewhere, coins clinking) — is
 * irrelevant to progress.
 */

export const DIR4 = ['north', 'east', 'south', 'west'] as const;
export const DIR8 = ['north', 'north-east', 'east', 'south-east', 'south', 'south-west', 'west', 'north-west'] as const;

/** Index into DIR8 of the compass direction of (dx, dy) (x east, y south); (0, 0) counts as north. */
export function dir8(dx: number, dy: number): number {
  const ax = Math.abs(dx), ay = Math.abs(dy);
  if (ax > 2 * ay) return dx > 0 ? 2 : 6;
  if (ay > 2 * ax || ax === 0) return dy > 0 ? 4 : 0;
  if (dy < 0) return dx > 0 ? 1 : 7;
  return dx > 0 ? 3 : 5;
}

export const ROOM_ADJECTIVES = ['blue', 'red', 'green', 'yellow', 'grey', 'black', 'white', 'purple', 'dusty', 'damp', 'mossy', 'cold', 'dim', 'musty', 'gloomy', 'draughty'] as const;
export const ROOM_KINDS = ['kitchen', 'library', 'armory', 'chapel', 'barracks', 'cellar', 'gallery', 'pantry', 'study', 'bedchamber', 'workshop', 'crypt', 'larder', 'guardroom', 'laboratory', 'scriptorium', 'smithy', 'nursery', 'ballroom', 'observatory'] as const;
export const VAULT_ADJECTIVES = ['gilded', 'hidden', 'sealed', 'ancient'] as const;
export const VAULT_KINDS = ['treasury', 'vault', 'reliquary', 'strongroom'] as const;
/** Ordinary room names are indices below this; vault names are ORDINARY_ROOMS + vaultAdjective·4 + vaultKind. */
export const ORDINARY_ROOMS = ROOM_ADJECTIVES.length * ROOM_KINDS.length;

export const KEY_MATERIALS = ['brass', 'iron', 'silver', 'copper', 'bone', 'bronze', 'jade', 'glass', 'steel', 'ivory'] as const;
export const KEY_VERBS = ['pick up', 'take', 'grab'] as const;
export const LOCK_DOORS = ['heavy door', 'iron gate', 'studded door', 'barred gate', 'bronze door', 'iron-bound door'] as const;
export const TREASURES = ['golden chalice', 'jeweled crown', 'silver orb', 'ancient tome', 'crystal skull', 'ruby sceptre', 'ivory idol', 'emerald amulet'] as const;
export const CLAIM_VERBS = ['claim', 'seize', 'lift'] as const;
export const DOOR_WOODS = ['oak', 'pine', 'ash', 'elm', 'cedar', 'birch', 'walnut', 'yew'] as const;

const GODS = ['Orm', 'Vessa', 'Kaltor', 'the Nameless', 'Ysolde', 'Brannoc'];
const CREATURES = ['gnome', 'dwarf', 'troll', 'dragon', 'knight', 'wizard', 'snake', 'lion'];
/** Passable scenery ("There is {it} here."). */
export const FEATURES: readonly string[] = [
  'a fountain', 'a bubbling fountain', 'a dry fountain', 'a marble fountain',
  ...GODS.map((g) => `an altar to ${g}`),
  'an ornate throne', 'a crumbling throne', 'a rusty sink', 'a kitchen sink',
  'a grave', 'an unmarked grave', 'a fresh grave',
  ...CREATURES.map((c) => `a statue of a ${c}`),
  'a pile of bones', 'a tattered tapestry', 'a cold hearth', 'an iron brazier', 'a wooden barrel', 'a broken cart',
];

const ITEM_COLOURS = ['red', 'blue', 'green', 'yellow', 'white', 'black', 'violet', 'orange', 'pink', 'grey'];
const RING_METALS = ['brass', 'iron', 'silver', 'copper', 'gold', 'tin'];
const SCROLL_LABELS = ['VORN ASHET', 'KELU MIRA', 'TADO FEN', 'OSSIL DRAK', 'PRUNE WEX', 'HALLO QUIM', 'ZEBU TORR', 'NIM ELDAR'];
/** Items picked up on entry ("You pick up {it}."); none of them is a key. */
export const ITEMS: readonly string[] = [
  ...ITEM_COLOURS.map((c) => `a ${c} gem`),
  ...ITEM_COLOURS.map((c) => `a ${c} potion`),
  ...RING_METALS.map((m) => `a ${m} ring`),
  ...SCROLL_LABELS.map((l) => `a scroll labelled ${l}`),
  ...DOOR_WOODS.map((w) => `a ${w} wand`),
  ...Array.from({ length: 40 }, (_, i) => `${i + 2} gold pieces`),
  'an apple', 'a loaf of bread', 'a wedge of cheese', 'a candle', 'a coil of rope', 'a tin whistle',
];

export const MONSTER_KINDS = [['rat', 'scurries'], ['newt', 'crawls'], ['bat', 'flutters'], ['kitten', 'pads'], ['jackal', 'slinks'], ['gecko', 'darts'], ['beetle', 'skitters'], ['toad', 'hops']] as const;
export const MONSTER_COLOURS = ['grey', 'brown', 'black', 'spotted', 'pale', 'red'] as const;
/** Monster appearances: colour·MONSTER_KINDS.length + kind. */
export const MONSTERS = MONSTER_COLOURS.length * MONSTER_KINDS.length;

const NOISES_DIRECTED = ['You hear a door creak to the {d}.', 'You hear water dripping to the {d}.', 'You hear the clink of coins to the {d}.', 'You hear footsteps to the {d}.', 'You hear a bell toll to the {d}.', 'You hear a key turn in a lock to the {d}.', 'You hear something scratching to the {d}.'];
const NOISES_PLAIN = ['You hear the wind moan.', 'You hear a distant crash.', 'You hear someone whistling.', 'You hear a low rumble.', 'You smell smoke.', 'You feel a cold draught.', 'The torches flicker.'];

const roomName = (i: number): string => (i < ORDINARY_ROOMS
  ? `${ROOM_ADJECTIVES[Math.floor(i / ROOM_KINDS.length)]} ${ROOM_KINDS[i % ROOM_KINDS.length]}`
  : `${VAULT_ADJECTIVES[Math.floor((i - ORDINARY_ROOMS) / VAULT_KINDS.length)]} ${VAULT_KINDS[(i - ORDINARY_ROOMS) % VAULT_KINDS.length]}`);
const ROOM_NAMES = Array.from({ length: ORDINARY_ROOMS + VAULT_ADJECTIVES.length * VAULT_KINDS.length }, (_, i) => roomName(i));

/** The interned caption tables. Index conventions are given per table. */
export const DMSG = {
  /** [room name] first entry this episode (for a vault name: a progress sentence). */
  enter: ROOM_NAMES.map((n) => `You enter the ${n}.`),
  /** [room name] a later entry. */
  back: ROOM_NAMES.map((n) => `You are back in the ${n}.`),
  /** [room name · 4 + direction] walking into a wall of the room. */
  bump: ROOM_NAMES.flatMap((n) => DIR4.map((d) => `You bump into the ${d} wall of the ${n}.`)),
  /** Walking into a wall from a doorway. */
  bumpDoorway: 'You bump into the wall.',
  /** [verb · KEY_MATERIALS.length + material] */
  keyPickup: KEY_VERBS.flatMap((v) => KEY_MATERIALS.map((m) => `You ${v} the ${m} key.`)),
  /** [lock door · KEY_MATERIALS.length + material] */
  unlock: LOCK_DOORS.flatMap((d) => KEY_MATERIALS.map((m) => `You unlock the ${d} with the ${m} key.`)),
  /** [lock door] walking into it without its key. */
  locked: LOCK_DOORS.map((d) => `The ${d} is locked.`),
  /** [verb · TREASURES.length + treasure] reaching the goal. */
  claim: CLAIM_VERBS.flatMap((v) => TREASURES.map((t) => `You ${v} the ${t}!`)),
  /** [wood] opening a closed (unlocked) door. */
  openDoor: DOOR_WOODS.map((w) => `You open the ${w} door.`),
  /** [feature] standing on scenery. */
  featureHere: FEATURES.map((f) => `There is ${f} here.`),
  /** [item] picking an item up. */
  itemPickup: ITEMS.map((it) => `You pick up ${it}.`),
  /** [(feature, or FEATURES.length + item) · 8 + DIR8 index] the landmark of a room just entered. */
  see: [...FEATURES, ...ITEMS].flatMap((x) => DIR8.map((d) => `You see ${x} to the ${d}.`)),
  /** [appearance · 4 + direction] a monster moving in the agent's room. */
  monsterMove: MONSTER_COLOURS.flatMap((c) => MONSTER_KINDS.flatMap(([k, verb]) => DIR4.map((d) => `The ${c} ${k} ${verb} ${d}.`))),
  /** [appearance] walking into a monster: you trade places. */
  swap: MONSTER_COLOURS.flatMap((c) => MONSTER_KINDS.map(([k]) => `You swap places with the ${c} ${k}.`)),
  /** Ambient sounds (a random one on a fraction of steps). */
  noises: [...NOISES_DIRECTED.flatMap((n) => DIR8.map((d) => n.replace('{d}', d))), ...NOISES_PLAIN],
};
