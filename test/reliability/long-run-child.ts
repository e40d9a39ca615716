/**
 * Child process of test/reliability/long-run.test.ts, run as
 *   node --expose-gc --import tsx test/reliability/long-run-child.ts <mode> <n>
 * so that heap figures are this process's alone and taken after full collections. Prints one JSON
 * line. Modes:
 * - estimates <n>: one C3AE-DAA 64 px estimator (SIMD), warm-up, then n estimates over a fixed set of
 *   images (RGBA, RGB, grey, several sizes, interval options); wasm memory and heap before and after.
 * - cycles <n>: n create/estimate/dispose cycles, the last 10 disposed estimators kept referenced;
 *   every wasm memory must be collectable (WeakRef cleared after gc) and the heap flat.
 * - many <n>: n estimators alive at once, all agreeing bit for bit; then all disposed.
 * - frames <n>: the whole-image path with the default estimator (detector + the default's age models):
 *   n frames of a 640 x 480 "video" (the public-domain portrait of test/fixtures/photos/ pasted at
 *   400 px, moving 4 px a frame, 30 frames looped) through a tracker's update() (refine, scan,
 *   detections); every 10th frame also estimateAll() of it (bit-identical each time round the loop),
 *   detectFaces(), and estimate() of a face-free frame (NoFaceError). Wasm memory and heap before
 *   and after.
 */
import { readFileSync } from 'node:fs';
import { createEstimator, createTracker, DisposedError, NoFaceError, type Estimator } from '../../src/index.ts';
import { background, pasteChip } from '../../train/canvas.ts';
import { decodeImage } from '../../train/data.ts';
import { makeImage, makeWeights } from './determinism-fixture.ts';
import { rgba } from './util.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const [mode, nArg] = process.argv.slice(2);
const n = Number(nArg);
const weights = makeWeights();

async function settle(): Promise<{ heapUsed: number; external: number; arrayBuffers: number; rss: number }> {
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((r) => setTimeout(r, 5));
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
}

function images() {
  const grey = makeImage(64, 64);
  const g = new Uint8Array(64 * 64);
  const rgb = new Uint8Array(64 * 64 * 3);
  for (let i = 0; i < g.length; i++) {
    g[i] = grey.data[i * 4];
    rgb.set(grey.data.subarray(i * 4, i * 4 + 3), i * 3);
  }
  return [makeImage(), rgba(120, 150, 2), { data: g, width: 64, height: 64 }, { data: rgb, width: 64, height: 64 }, rgba(1, 1, 3), rgba(200, 24, 4)];
}

async function estimates() {
  const est = await createEstimator({ crop: 'chip', model: weights, backend: 'simd' });
  const imgs = images();
  const ref = imgs.map((im) => est.estimate(im).age);
  const refI5 = est.estimate(imgs[0], { interval: 5 }).age;
  const warm = Math.min(2000, Math.max(200, n / 10));
  for (let i = 0; i < warm; i++) est.estimate(imgs[i % imgs.length], i % 7 === 0 ? { interval: 5 } : undefined);
  const before = await settle();
  const memBefore = est.memoryBytes();
  const checkpoints: number[] = [];
  let mismatches = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const k = i % imgs.length;
    if (i % 7 === 0) {
      if (est.estimate(imgs[0], { interval: 5 }).age !== refI5) mismatches++;
    } else if (est.estimate(imgs[k]).age !== ref[k]) mismatches++;
    if ((i + 1) % Math.ceil(n / 10) === 0 && i + 1 < n) checkpoints.push((await settle()).heapUsed);
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const memAfter = est.memoryBytes();
  const after = await settle();
  est.dispose();
  return { mode, n, warm, ms, usPerEstimate: (1000 * ms) / n, cpuUsPerEstimate: (cpu.user + cpu.system) / n, memBefore, memAfter, before, after, checkpoints, mismatches };
}

async function cycles() {
  const held: Estimator[] = [];
  const refs: Array<WeakRef<WebAssembly.Memory>> = [];
  const img = makeImage();
  let age = NaN;
  let mismatches = 0;
  const cycle = async () => {
    const est = await createEstimator({ crop: 'chip', model: weights });
    const a = est.estimate(img).age;
    if (Number.isNaN(age)) age = a;
    else if (a !== age) mismatches++;
    refs.push(new WeakRef((est as unknown as { arena: { memory: WebAssembly.Memory } }).arena.memory));
    est.dispose();
    // the caller keeps the disposed object (the last 10 here): its memory must still go
    held.push(est);
    if (held.length > 10) held.shift();
  };
  for (let i = 0; i < 10; i++) await cycle();
  const before = await settle();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await cycle();
  const ms = performance.now() - t0;
  const after = await settle();
  const alive = refs.filter((r) => r.deref() !== undefined).length;
  let disposedErrors = 0;
  for (const e of held)
    try {
      e.estimate(img);
    } catch (x) {
      if (x instanceof DisposedError) disposedErrors++;
    }
  return { mode, n, ms, msPerCycle: ms / n, before, after, memoriesAlive: alive, memories: refs.length, disposedErrors, held: held.length, mismatches };
}

async function many() {
  const img = makeImage();
  // the base is taken after one estimator per build has loaded, estimated and gone: the first load
  // of a kernel build and of the modules an estimate needs stays in the module graph for the
  // process's lifetime (about 1.5 MiB of heap, the same for 10 or 80 estimators), and that
  // one-time cost is not what this test measures
  for (const backend of ['simd', 'scalar'] as const) {
    const warm = await createEstimator({ model: weights, backend, crop: 'chip' });
    warm.estimate(img);
    warm.dispose();
  }
  const base = await settle();
  const ests: Estimator[] = [];
  for (let i = 0; i < n; i++) ests.push(await createEstimator({ crop: 'chip', model: weights, backend: i % 2 ? 'scalar' : 'simd' }));
  const ages = ests.map((e) => e.estimate(img).age);
  const simd = new Set(ages.filter((_, i) => i % 2 === 0));
  const scalar = new Set(ages.filter((_, i) => i % 2 === 1));
  const wasmBytes = ests.reduce((s, e) => s + e.memoryBytes(), 0);
  const live = await settle();
  for (const e of ests) e.dispose();
  ests.length = 0;
  const after = await settle();
  return { mode, n, distinctSimd: simd.size, distinctScalar: scalar.size, wasmBytes, base, live, after };
}

async function frames() {
  const W = 640, H = 480, LOOP = 30;
  const portrait = decodeImage(new Uint8Array(readFileSync(new URL('../fixtures/photos/astronaut.jpg', import.meta.url))));
  const toRgba = (rgb: Uint8Array) => {
    const out = new Uint8Array(W * H * 4).fill(255);
    for (let i = 0; i < W * H; i++) out.set(rgb.subarray(3 * i, 3 * i + 3), 4 * i);
    return { data: out, width: W, height: H };
  };
  const video = Array.from({ length: LOOP }, (_, t) => {
    const canvas = background('gradient', W, H, 3);
    pasteChip(canvas, W, H, portrait.data, portrait.width, { cx: 230 + 4 * t, cy: 260, size: 400, angle: 0 });
    return toRgba(canvas);
  });
  const empty = toRgba(background('noise', W, H, 4));
  const est = await createEstimator({ backend: 'simd' });
  const tracker = createTracker({ estimator: est });
  const ref = video.map((f) => est.estimateAll(f).map((x) => x.age));
  let mismatches = 0, noFace = 0, followed = 0;
  const step = (i: number) => {
    const frame = video[i % LOOP];
    followed += tracker.update(frame).length;
    if (i % 10 !== 0) return;
    const ages = est.estimateAll(frame).map((x) => x.age);
    if (ages.length !== ref[i % LOOP].length || ages.some((a, k) => a !== ref[i % LOOP][k])) mismatches++;
    est.detectFaces(frame);
    try {
      est.estimate(empty);
    } catch (e) {
      if (e instanceof NoFaceError) noFace++;
      else throw e;
    }
  };
  const warm = 10 * LOOP; // the engine's warm-up (compiled code and type feedback: about 200 KiB of heap over the first few thousand refines, then flat) mostly before the baseline
  for (let i = 0; i < warm; i++) step(i);
  const before = await settle();
  const memBefore = est.memoryBytes();
  const checkpoints: number[] = [];
  followed = 0;
  noFace = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    step(warm + i);
    if ((i + 1) % Math.ceil(n / 10) === 0 && i + 1 < n) checkpoints.push((await settle()).heapUsed);
  }
  const ms = performance.now() - t0;
  const memAfter = est.memoryBytes();
  const after = await settle();
  est.dispose();
  return { mode, n, warm, ms, msPerFrame: ms / n, memBefore, memAfter, before, after, checkpoints, mismatches, noFace, followed, stats: tracker.stats };
}

const out = mode === 'estimates' ? await estimates() : mode === 'cycles' ? await cycles() : mode === 'frames' ? await frames() : await many();
console.log(JSON.stringify(out));
