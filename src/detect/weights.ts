/** The face detector's weight file: the daa-wasm container (docs/format.md) with a detector config. */
import { readWeightFileOf, type WeightSchema } from '../format.ts';
import { anchorCount, detectorCost, detectorShapes, validateDetectorConfig, type DetectorConfig } from './arch.ts';
import type { StoredTensor } from '../format.ts';

const DETECTOR_SCHEMA: WeightSchema<DetectorConfig> = {
  parse: validateDetectorConfig,
  shapes: detectorShapes,
  cost: (c, shapes) => {
    const { macs, activationBytes } = detectorCost(c);
    let weights = 0;
    for (const s of shapes.values()) weights += 4 * s.reduce((a, b) => a + b, 1);
    // weights twice (as read, and packed for the 1x1 convs) plus the activations
    return { memoryBytes: 2 * weights + activationBytes + 4 * anchorCount(c) * (1 + c.coords), macs };
  },
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
