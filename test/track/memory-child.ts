/**
 * Child process of test/track/memory.test.ts, run as
 *   node --expose-gc --import tsx test/track/memory-child.ts <mode> <frames>
 * so that heap figures are this process's alone and taken after full collections. Prints one JSON
 * line. Modes:
 * - pure: createTracker().observe(faces) over a cycle of simulated detection frames (two faces
 *   crossing, a face leaving and returning, spurious boxes, empty stretches longer than the timeout
 *   so that every track ends and new ids are handed out all the time);
 * - video: createTracker({ detect, refine, estimate }).update(frame) on small pixel frames (the
 *   near-duplicate measure, the detect / follow policy), the same detections behind the functions;
 * - estimator: the whole path, createTracker({ estimator }) on a real estimator (detector, alignment,
 *   age model), frames of rendered 640 x 480 scenes (two faces crossing, a face leaving and coming
 *   back) rendered into one reused buffer; without the UTKFace data, frames of a synthetic picture.
 *   Also reports the estimator's linear memory (it must not grow either).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createEstimator, createTracker, type Estimator, type FaceObservation } from '../../src/index.ts';
import { loadTestChips, makeScene, SceneRenderer } from '../../train/video.ts';
import { DATA_DIR } from '../runtimes/util.ts';
import { Rng } from '../util/rng.ts';
import { makePeople, simulateDetections } from './util.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const [mode, nArg] = process.argv.slice(2);
const n = Number(nArg);

async function settle() {
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((r) => setTimeout(r, 5));
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, rss: m.rss };
}

// a cycle of frames: the detections are made once (the generator is not what is measured)
const rng = new Rng(12345);
const cycle: FaceObservation[][] = [];
for (const [kind, seed] of [['cross', 1], ['leave', 2], ['mixed', 3], ['cross', 4]] as const) {
  const scene = makeScene(kind, seed, kind === 'leave' ? { away: 20 } : {});
  const people = makePeople(2, rng);
  for (let t = 0; t < scene.frames; t++) cycle.push(simulateDetections(scene, t, people, rng, { spurious: 0.05 }));
  for (let t = 0; t < 40; t++) cycle.push([]); // longer than the timeout: every track ends
}

/** The whole path: a real estimator behind the tracker, rendered frames (see the header). */
async function estimatorMode(): Promise<{ step: () => number; tracker: ReturnType<typeof createTracker>; est: Estimator }> {
  const est = await createEstimator();
  const tracker = createTracker({ estimator: est });
  const W = 640, H = 480;
  const frame = new Uint8ClampedArray(W * H * 4);
  const real = existsSync(join(DATA_DIR, 'labels.csv'));
  const renderers = real ? (['cross', 'leave'] as const).map((kind, k) => new SceneRenderer(makeScene(kind, 40 + k, { frames: 60 }), loadTestChips(DATA_DIR, 2, 40 + k))) : [];
  if (!real) for (let i = 0; i < frame.length; i += 4) (frame[i] = (i >> 2) % W), (frame[i + 1] = ((i >> 2) / W) & 255), (frame[i + 2] = 90), (frame[i + 3] = 255);
  let t = 0;
  const step = () => {
    if (real) renderers[Math.floor(t / 60) % 2].render(t % 60, frame);
    else frame[(t * 4) % frame.length] ^= 1; // a changed pixel per frame: no frame is a duplicate
    t++;
    return tracker.update({ data: frame, width: W, height: H }).length;
  };
  return { step, tracker, est };
}

async function main() {
  if (mode === 'estimator') return run(await estimatorMode());
  const W = 64, H = 48;
  const frames = [0, 1, 2].map((k) => {
    const data = new Uint8Array(W * H * 4);
    for (let i = 0; i < data.length; i++) data[i] = (i * (k + 7)) & 255;
    return { data, width: W, height: H };
  });
  let t = 0;
  const tracker =
    mode === 'pure'
      ? createTracker({ timeout: 30 })
      : createTracker<{ data: Uint8Array; width: number; height: number }>({
          timeout: 30,
          detectEvery: 4,
          detect: () => cycle[t % cycle.length],
          refine: (_f, seed) => {
            const d = cycle[t % cycle.length].find((d) => Math.abs(d.box.x - seed.box.x) < 0.5 * d.box.width);
            return d ? { box: d.box, keypoints: d.keypoints, score: d.score } : null; // no age: estimate runs
          },
          estimate: () => ({ age: 30 + (t % 7), spread: 0.5 }),
        });
  const step = () => {
    // every 5th video frame repeats the one before: the near-duplicate path runs too
    const r = mode === 'pure' ? tracker.observe(cycle[t % cycle.length]) : tracker.update(frames[t % 5 === 4 ? (t - 1) % 3 : t % 3]);
    t++;
    return r.length;
  };
  await run({ step, tracker, est: null });
}

async function run({ step, tracker, est }: { step: () => number; tracker: ReturnType<typeof createTracker>; est: Estimator | null }) {
  const warm = mode === 'estimator' ? Math.max(120, n / 10) : Math.max(2000, n / 10);
  const wasmBefore = () => est?.memoryBytes() ?? 0;
  for (let i = 0; i < warm; i++) step();
  const before = await settle();
  const wasm0 = wasmBefore();
  const checkpoints: number[] = [];
  const t0 = performance.now();
  let reported = 0;
  for (let i = 0; i < n; i++) {
    reported += step();
    if ((i + 1) % Math.ceil(n / 10) === 0 && i + 1 < n) checkpoints.push((await settle()).heapUsed);
  }
  const ms = performance.now() - t0;
  const after = await settle();
  console.log(JSON.stringify({ mode, n, warm, ms, usPerFrame: (1000 * ms) / n, before, after, checkpoints, reported, stats: tracker.stats, live: tracker.tracks().length, wasmBytes: [wasm0, wasmBefore()] }));
}
main();
