/** Weight format: safetensors bytes and files, shared by checkpoints and the weight broadcast to actors. */
export { encodeSafetensors, decodeSafetensors, saveWeights, loadWeights, writeFileAtomic, checkWeightsMatch } from './safetensors.ts';
export type { WeightsMetadata } from './safetensors.ts';
