/**
 * Child process of test/track/memory.test.ts, run as
 *   node --expose-gc --import tsx test/track/memory-child.ts <mode> <frames>
 * so that heap figures are this process's alone and taken after full collections. Prints one JSON
 * line. Modes:
 * - pure: createTracker().observe(faces) over a cycle of simulated detection frames (two faces
 *   crossing, a face leaving and returning, spurious boxes, empty stretches longer than the timeout
 *   so that every track ends and new ids are handed out all the time);
 * - video: createTracker({ detect, refine, estimate }).update(frame) on small pixel frames (the
 *   near-duplicate measure, the detect / follow policy), the same detections behind the functions.
 */
import { createTracker, type FaceObservation } from '../../src/index.ts';
import { makeScene } from '../../train/video.ts';
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

async function main() {
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
  const warm = Math.max(2000, n / 10);
  for (let i = 0; i < warm; i++) step();
  const before = await settle();
  const checkpoints: number[] = [];
  const t0 = performance.now();
  let reported = 0;
  for (let i = 0; i < n; i++) {
    reported += step();
    if ((i + 1) % Math.ceil(n / 10) === 0 && i + 1 < n) checkpoints.push((await settle()).heapUsed);
  }
  const ms = performance.now() - t0;
  const after = await settle();
  console.log(JSON.stringify({ mode, n, warm, ms, usPerFrame: (1000 * ms) / n, before, after, checkpoints, reported, stats: tracker.stats, live: tracker.tracks().length }));
}
main();
