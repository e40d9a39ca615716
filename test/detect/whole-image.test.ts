/**
 * The detect + align + estimate path on generated scenes (kept small for CI; the full sweep is
 * `npx tsx scripts/eval-detect.ts canvases|negatives|chips`):
 * - UTKFace test chips pasted into 640 x 480 canvases (flat, noise, gradient backgrounds) at face sizes
 *   96..512 px, rotated up to 30 degrees: every face found, at the right place (at most one extra detection in 24 canvases);
 * - face-free images (flat, noise, gradients; several sizes): no face, NoFaceError from estimate(),
 *   an empty list from estimateAll();
 * - the age of a pasted, rotated chip against the age of the chip itself (crop 'chip'), with the 96 px
 *   default and with a 64 px model (the chip is warped at the loaded model's input size);
 * - a 2 x 2 collage of four chips: four faces, each with its own chip's age;
 * - bad input and options stay typed errors and leave the estimator usable.
 * Tests that need UTKFace skip (counted as skipped) when it is absent (DAA_DATA, else ../shared/data/utkface).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEstimator, NoFaceError, ImageInputError, OptionsError, type Estimator } from '../../src/index.ts';
import { FACE_TEMPLATE } from '../../src/detect/align.ts';
import { decodeImage, imageDir, readLabels, type RgbImage } from '../../train/data.ts';
import { background, pasteChip, placePoint, type Background, type Placement } from '../../train/canvas.ts';
import { utkRoot } from './util.ts';

const root = utkRoot();
if (!root) console.log('  SKIP: no UTKFace data (DAA_DATA or ../shared/data/utkface): the UTKFace tests of test/detect/whole-image.test.ts are skipped');
const withData = root ? test : test.skip;
const est: Estimator = await createEstimator({ backend: 'simd' });

function chips(n: number): Array<{ img: RgbImage; age: number }> {
  const rows = readLabels(root!).filter((r) => r.split === 'test');
  const step = Math.floor(rows.length / n);
  return Array.from({ length: n }, (_, i) => rows[i * step]).map((r) => ({
    img: decodeImage(new Uint8Array(readFileSync(join(imageDir(root!), r.file))), r.file), age: r.age,
  }));
}

withData('pasted chips (S 96..512, rotation <= 30 degrees, 3 backgrounds) are found where they were pasted', () => {
  const sizes = [96, 128, 192, 256, 384, 512];
  const W = 640, H = 480;
  let i = 0;
  const extra: string[] = [];
  for (const { img } of chips(24)) {
    const S = sizes[i % sizes.length];
    const kind: Background = (['flat', 'noise', 'gradient'] as const)[i % 3];
    const canvas = background(kind, W, H, 300 + i);
    const angle = ((i * 37) % 61) - 30;
    const d = (S * Math.SQRT2) / 2;
    const at: Placement = { cx: Math.min(W - d, Math.max(d, 150 + ((i * 71) % 340))), cy: Math.min(H - d, Math.max(d, 120 + ((i * 53) % 240))), size: S, angle };
    if (S === 512) Object.assign(at, { cx: W / 2, cy: H / 2 });
    pasteChip(canvas, W, H, img.data, img.width, at);
    const faces = est.detectFaces({ data: canvas, width: W, height: H });
    const eyes = [placePoint(FACE_TEMPLATE[0], at), placePoint(FACE_TEMPLATE[1], at)];
    const hit = faces.find((f) => Math.hypot(f.keypoints[0].x - eyes[0].x, f.keypoints[0].y - eyes[0].y) < 0.1 * S
      && Math.hypot(f.keypoints[1].x - eyes[1].x, f.keypoints[1].y - eyes[1].y) < 0.1 * S);
    assert.ok(hit, `case ${i}: chip at S ${S}, angle ${angle}, ${kind}: not found (faces ${JSON.stringify(faces.map((f) => f.box))})`);
    if (faces.length > 1) extra.push(`case ${i} (S ${S}): ${JSON.stringify(faces.filter((f) => f !== hit).map((f) => [f.box, f.score]))}`);
    i++;
  }
  // a false detection inside a pasted chip's own background happens (docs/detect.md measures the rate)
  assert.ok(extra.length <= 1, `detections besides the pasted face: ${extra.join('; ')}`);
  if (extra.length) console.log(`  extra detection: ${extra[0]}`);
});

test('face-free images: no detection, NoFaceError from estimate(), [] from estimateAll()', () => {
  const kinds: Background[] = ['flat', 'noise', 'gradient'];
  let i = 0;
  for (const [W, H] of [[640, 480], [128, 128], [320, 240], [96, 96]]) for (const kind of kinds) {
    const img = { data: background(kind, W, H, 900 + i++), width: W, height: H };
    assert.is(est.detectFaces(img).length, 0, `${kind} ${W}x${H}: false detection`);
    assert.equal(est.estimateAll(img), []);
    assert.throws(() => est.estimate(img), (e: unknown) => e instanceof NoFaceError && e.code === 'NO_FACE', `${kind} ${W}x${H}`);
  }
  // a flat grey webcam frame (the example that used to read 55.9 years)
  const grey = { data: new Uint8Array(640 * 480 * 4).fill(128), width: 640, height: 480 };
  assert.throws(() => est.estimate(grey), (e: unknown) => e instanceof NoFaceError);
  // crop 'chip' still answers for any image: the caller says it is a face
  assert.ok(Number.isFinite(est.estimate(grey, { crop: 'chip' }).age));
});

withData('the age of a pasted, rotated chip is close to the age of the chip itself', () => {
  const W = 640, H = 480;
  let sum = 0, n = 0;
  chips(12).forEach(({ img }, i) => {
    const alone = est.estimate(img, { crop: 'chip' }).age;
    const canvas = background('gradient', W, H, 700 + i);
    const at: Placement = { cx: 320, cy: 240, size: 160 + 16 * i, angle: i % 2 ? 20 : -15 };
    pasteChip(canvas, W, H, img.data, img.width, at);
    const e = est.estimate({ data: canvas, width: W, height: H });
    assert.ok(e.face, 'estimate() reports the face it used');
    const d = Math.abs(e.age - alone);
    assert.ok(d < 8, `case ${i}: pasted ${e.age.toFixed(1)} vs alone ${alone.toFixed(1)}`);
    sum += d; n++;
  });
  assert.ok(sum / n < 3, `mean |pasted - alone| ${(sum / n).toFixed(2)} years`);
});

withData("alignment fills the loaded model's input: a 64 px model (c3ae-daa) beside the 96 px default", async () => {
  // the template is in fractions of the chip side; the chip is warped at the model's own input size
  const small = await createEstimator({ model: 'weights/c3ae-daa.fp32.daaw', backend: 'simd' });
  assert.is(small.config.inputSize, 64);
  assert.is(est.config.inputSize, 96);
  const W = 640, H = 480;
  let sum = 0;
  const cases = chips(6);
  cases.forEach(({ img }, i) => {
    const alone = small.estimate(img, { crop: 'chip' }).age;
    const canvas = background('gradient', W, H, 900 + i);
    pasteChip(canvas, W, H, img.data, img.width, { cx: 320, cy: 240, size: 180 + 20 * i, angle: i % 2 ? 15 : -10 });
    const e = small.estimate({ data: canvas, width: W, height: H }, { crop: 'detect' });
    const d = Math.abs(e.age - alone);
    assert.ok(d < 8, `case ${i}: pasted ${e.age.toFixed(1)} vs alone ${alone.toFixed(1)} (64 px model)`);
    sum += d;
  });
  small.dispose();
  assert.ok(sum / cases.length < 3, `mean |pasted - alone| ${(sum / cases.length).toFixed(2)} years (64 px model)`);
});

withData('detection runs where there is no `process` global (browsers, workerd): the library reads no Node state', () => {
  const [{ img }] = chips(1);
  const W = 480, H = 360;
  const canvas = background('noise', W, H, 31);
  pasteChip(canvas, W, H, img.data, img.width, { cx: 240, cy: 180, size: 200, angle: 10 });
  const frame = { data: canvas, width: W, height: H };
  const withProcess = est.detectFaces(frame);
  assert.ok(withProcess.length >= 1, 'the pasted face is found');
  const g = globalThis as { process?: unknown };
  const saved = g.process;
  let without: unknown;
  try {
    delete g.process;
    without = est.detectFaces(frame); // every look of the whole-image search: letterbox, tiles, second and third looks
  } catch (e) {
    without = e;
  } finally {
    g.process = saved;
  }
  assert.equal(without, withProcess, `without process: ${without instanceof Error ? without.message : JSON.stringify(without)}`);
});

withData('a 2 x 2 collage of four chips: four faces, largest first, each with its own age', () => {
  const four = chips(4);
  const side = 200, W = 2 * side + 40, H = 2 * side + 40;
  const canvas = background('flat', W, H, 11);
  const placed: Placement[] = [];
  four.forEach(({ img }, k) => {
    const at = { cx: 20 + side / 2 + (k % 2) * side, cy: 20 + side / 2 + (k >> 1) * side, size: side - 20 - 8 * k, angle: 0 };
    pasteChip(canvas, W, H, img.data, img.width, at);
    placed.push(at);
  });
  const faces = est.estimateAll({ data: canvas, width: W, height: H });
  assert.is(faces.length, 4);
  for (let k = 1; k < 4; k++) assert.ok(faces[k - 1].box.width * faces[k - 1].box.height >= faces[k].box.width * faces[k].box.height, 'largest first');
  placed.forEach((at, k) => {
    const f = faces.find((g) => Math.abs(g.box.x + g.box.width / 2 - at.cx) < at.size / 4 && Math.abs(g.box.y + g.box.height / 2 - at.cy) < at.size / 4);
    assert.ok(f, `face ${k} not found`);
    // the same chip alone at the same place on the same background: the aligned crop reaches a little
    // past the pasted chip (its framing is the detector's, not the paste's), and the model reacts to
    // what it sees there (a flat colour), so the bar is against that, not against the chip by itself
    const solo = background('flat', W, H, 11);
    pasteChip(solo, W, H, four[k].img.data, four[k].img.width, at);
    const alone = est.estimateAll({ data: solo, width: W, height: H });
    assert.is(alone.length, 1, `face ${k} alone: one face`);
    assert.ok(Math.abs(f!.age - alone[0].age) < 8, `face ${k}: ${f!.age.toFixed(1)} in the collage vs ${alone[0].age.toFixed(1)} alone on the same canvas`);
  });
});

withData('scanFaces: one cycle of parts finds what detectFaces finds; known faces are skipped; bad options are OptionsErrors', () => {
  const four = chips(3);
  const W = 640, H = 480;
  const canvas = background('gradient', W, H, 5);
  // three faces of three sizes: one for the letterbox, two for the tiles
  [{ cx: 170, cy: 200, size: 220, angle: 0 }, { cx: 450, cy: 150, size: 110, angle: 5 }, { cx: 520, cy: 380, size: 56, angle: -5 }].forEach((at, k) =>
    pasteChip(canvas, W, H, four[k].img.data, four[k].img.width, at));
  const frame = { data: canvas, width: W, height: H };
  const all = est.detectFaces(frame);
  assert.is(all.length, 3, 'detectFaces finds the three');
  const found: { box: { x: number; y: number; width: number; height: number } }[] = [];
  let windows = 0;
  for (let from = 0; from === 0 || from < windows; from += 5) {
    const r = est.scanFaces(frame, { from, count: 5 });
    windows = r.windows;
    for (const f of r.faces) if (!found.some((g) => iouOf(g.box, f.box) > 0.5)) found.push(f);
  }
  assert.ok(windows > 10, `tiles down to 32 px (${windows} windows)`);
  for (const f of all) assert.ok(found.some((g) => iouOf(g.box, f.box) > 0.7), `a face of detectFaces at ${JSON.stringify(f.box)} was not found by the scan`);
  assert.is(found.length, 3, 'nothing else');
  // the faces already followed are skipped, at their boxes; the others still found
  const r = est.scanFaces(frame, { from: 0, count: windows, known: [all[0].box, all[1].box] });
  assert.is(r.faces.length, 1);
  assert.ok(iouOf(r.faces[0].box, all[2].box) > 0.7);
  // `from` wraps: -1 is the last window
  assert.equal(est.scanFaces(frame, { from: -1, count: 1 }), est.scanFaces(frame, { from: windows - 1, count: 1 }));
  for (const [bad, re] of [[{ from: 1.5 }, /from must be an integer/], [{ count: 0 }, /count must be an integer in 1\.\.1000/], [{ known: {} }, /known must be an array/], [{ known: [{ x: 0, y: 0, width: -1, height: 1 }] }, /known\[0\]/], [{ form: 1 }, /did you mean 'from'/]] as const) {
    try {
      est.scanFaces(frame, bad as object);
      assert.unreachable(JSON.stringify(bad));
    } catch (e) {
      assert.instance(e, OptionsError);
      assert.match((e as Error).message, re);
    }
  }
  assert.is(est.scanFaces(frame, { count: windows }).faces.length, 3, 'usable afterwards');
});

withData('mirrored confirmation: a face the third look scores just under 0.75 is confirmed by that window and its mirror image together', async () => {
  // Pinned cases from the canvases eval (`npx tsx scripts/eval-detect.ts canvases --limit 500`, SIMD
  // build, 2026-12-06): faces found only through FaceDetector.confirmedMirrored. A change of the
  // detector's numbers may move them off the threshold; then find new ones the same way (a face
  // found with the rule and lost with it switched off).
  const cases = [
    { file: '54_1_0_20170109132244248.jpg', kind: 'flat' as Background, seed: 4414, at: { cx: 419.2105727879409, cy: 339.2379934668936, size: 96, angle: 2.094988338649273 } },
    { file: '26_1_1_20170117091458401.jpg', kind: 'gradient' as Background, seed: 2280, at: { cx: 544.5237526275339, cy: 71.66860218291026, size: 48, angle: 19.5373700466007 } },
  ];
  const simd = await createEstimator({ backend: 'simd' });
  const det = (simd as unknown as { faceDetector(): { confirmedMirrored: (...a: unknown[]) => boolean } }).faceDetector();
  const rule = det.confirmedMirrored;
  const W = 640, H = 480;
  for (const c of cases) {
    const chip = decodeImage(new Uint8Array(readFileSync(join(imageDir(root!), c.file))), c.file);
    const canvas = background(c.kind, W, H, c.seed);
    pasteChip(canvas, W, H, chip.data, chip.width, c.at);
    const frame = { data: canvas, width: W, height: H };
    const at = (faces: { box: { x: number; y: number; width: number; height: number } }[]) => faces.filter((f) => c.at.cx >= f.box.x && c.at.cx <= f.box.x + f.box.width && c.at.cy >= f.box.y && c.at.cy <= f.box.y + f.box.height);
    let used = 0;
    det.confirmedMirrored = (...a: unknown[]) => { const ok = rule.apply(det, a); if (ok) used++; return ok; };
    assert.is(at(simd.detectFaces(frame)).length, 1, `${c.file} (${c.kind}, seed ${c.seed}): found`);
    assert.ok(used > 0, `${c.file}: confirmed by the mirrored look`);
    det.confirmedMirrored = () => false;
    assert.is(at(simd.detectFaces(frame)).length, 0, `${c.file}: not found without the mirrored confirmation`);
    det.confirmedMirrored = rule;
  }
  simd.dispose();
});

function iouOf(a: { x: number; y: number; width: number; height: number }, b: { x: number; y: number; width: number; height: number }): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x), h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? (w * h) / (a.width * a.height + b.width * b.height - w * h) : 0;
}

test('bad input and options: typed errors, the estimator stays usable', () => {
  const is = (C: abstract new (...a: never[]) => Error) => (e: unknown) => e instanceof C;
  assert.throws(() => est.estimateAll(null as never), is(ImageInputError));
  assert.throws(() => est.detectFaces({ data: new Uint8Array(5), width: 2, height: 2 }), is(ImageInputError));
  assert.throws(() => est.estimate({ data: new Uint8Array(12), width: 2, height: 2 }, { crop: 'face' as never }), is(OptionsError));
  assert.throws(() => est.estimate({ data: new Uint8Array(12), width: 2, height: 2 }, { minScore: 2 }), is(OptionsError));
  assert.throws(() => est.estimate({ data: new Uint8Array(12), width: 2, height: 2 }, { minFaceSize: 1 }), is(OptionsError));
  assert.throws(() => est.estimate({ data: new Uint8Array(12), width: 2, height: 2 }), is(NoFaceError));
  assert.ok(Number.isFinite(est.estimate({ data: new Uint8Array(96 * 96 * 3).fill(90), width: 96, height: 96 }, { crop: 'chip' }).age));
});

test.run();
