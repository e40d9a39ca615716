/** The face detector's weight file: the daa-wasm container (docs/format.md) with a detector config. */
import { readWeightFileOf, type WeightSchema } from '../format.ts';
import { detectorShapes, validateDetectorConfig, type DetectorConfig } from './arch.ts';
import { detectorCost } from './plan.ts';
import type { StoredTensor } from '../format.ts';

const DETECTOR_SCHEMA: WeightSchema<DetectorConfig> = {
  parse: validateDetectorConfig,
  shapes: detectorShapes,
  // the plan's own size (src/detect/plan.ts): every buffer the detector places, weights included
  cost: (c) => detectorCost(c),
};

export interface DetectorWeights {
  config: DetectorConfig;
  meta: Record<string, unknown>;
  tensors: Map<string, StoredTensor>;
}

/** Parses and checks a detector weight file (WeightFormatError on any defect). */
export function readDetectorWeights(bytes: Uint8Array | ArrayBuffer): DetectorWeights {
  const f = readWeightFileOf(bytes, DETECTOR_SCHEMA);
  return { config: f.config, meta: f.meta, tensors: f.tensors };
}
