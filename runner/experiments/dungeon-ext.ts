/** `dungeon-oni`'s extrinsic-only baseline: plain GRPO on Dungeon-v0 with the treasure's reward only. */
import base from './dungeon-oni.ts';

export default {
  ...base,
  name: 'dungeon-ext',
  description: 'Dungeon-v0 baseline: GRPO with the extrinsic (treasure) reward only',
  rewards: null,
};
