/** The public API: estimate/createEstimator, typed errors on bad input, interval, dispose. */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_CONFIG } from '../../src/arch.ts';
import { DEFAULT_MODEL } from '../../src/generated/assets.ts';
import {
  createEstimator,
  DaaError,
  DisposedError,
  estimate,
  ImageInputError,
  ModelNotFoundError,
  OptionsError,
  WeightFormatError,
  MAX_SIDE,
} from '../../src/index.ts';
import { exportWeights } from '../../train/export.ts';
import { DaaModel } from '../../train/model.ts';
import { makeRng } from '../../train/data.ts';

await tf.setBackend('cpu');
const model = new DaaModel({ ...DEFAULT_CONFIG, inputSize: 64 }, 3);
model.randomizeBatchNorm();
model.v('dec.fc.w').assign(tf.randomNormal([64, 1], 0, 1, 'float32', 9));
const bytes = exportWeights(model, 'fp32');

function rgba(w: number, h: number, seed = 1): { data: Uint8ClampedArray; width: number; height: number } {
  const rng = makeRng(seed);
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rng() * 256);
  return { data, width: w, height: h };
}

async function code(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert.instance(e, DaaError, `not a DaaError: ${String(e)}`);
    return (e as DaaError).code;
  }
  return 'no error';
}

test('estimate() with no installed model says so (or estimates with the installed one)', async () => {
  if (DEFAULT_MODEL) {
    const r = await estimate(rgba(128, 128), { crop: 'chip' });
    assert.ok(Number.isFinite(r.age));
  } else {
    try {
      await estimate(rgba(128, 128), { crop: 'chip' });
      assert.unreachable('estimated with no model');
    } catch (e) {
      assert.instance(e, ModelNotFoundError);
      assert.match((e as Error).message, /no trained model is installed/);
    }
  }
});

test('estimate result: age is the mean of perTemplate, spread their std; deterministic', async () => {
  const est = await createEstimator({ crop: 'chip', model: bytes });
  const img = rgba(100, 120);
  const r = est.estimate(img);
  assert.is(r.perTemplate.length, 100);
  const mean = r.perTemplate.reduce((a, b) => a + b, 0) / 100;
  assert.ok(Math.abs(mean - r.age) < 1e-9);
  const sd = Math.sqrt(r.perTemplate.reduce((a, b) => a + (b - mean) ** 2, 0) / 100);
  assert.ok(Math.abs(sd - r.spread) < 1e-9);
  assert.equal(est.estimate(img), r);
  est.dispose();
});

test('RGB, RGBA and grey inputs of the same picture agree exactly', async () => {
  const est = await createEstimator({ crop: 'chip', model: bytes });
  const g = rgba(40, 30, 5);
  const grey = new Uint8Array(40 * 30);
  for (let i = 0; i < grey.length; i++) grey[i] = g.data[i * 4];
  const rgb = new Uint8Array(40 * 30 * 3);
  const rgbaImg = new Uint8ClampedArray(40 * 30 * 4);
  for (let i = 0; i < grey.length; i++) {
    rgb.fill(grey[i], i * 3, i * 3 + 3);
    rgbaImg.fill(grey[i], i * 4, i * 4 + 3);
    rgbaImg[i * 4 + 3] = 7; // alpha is ignored
  }
  const a = est.estimate({ data: grey, width: 40, height: 30 }).age;
  const b = est.estimate({ data: rgb, width: 40, height: 30 }).age;
  const c = est.estimate({ data: rgbaImg, width: 40, height: 30 }).age;
  assert.is(a, b);
  assert.is(b, c);
  est.dispose();
});

test('interval sampling: template counts and option checks', async () => {
  const est = await createEstimator({ crop: 'chip', model: bytes, interval: 5 });
  const img = rgba(64, 64);
  assert.is(est.estimate(img).perTemplate.length, 20);
  for (const [k, n] of [[1, 100], [2, 50], [10, 10], [20, 5], [50, 2], [3, 34], [100, 1]]) assert.is(est.estimate(img, { interval: k }).perTemplate.length, n);
  assert.is(est.estimate(img).perTemplate.length, 20, 'a per-call interval does not stick');
  for (const bad of [0, -1, 2.5, 101, NaN, '2', null]) assert.is(await code(() => est.estimate(img, { interval: bad as number })), 'OPTIONS', `interval ${String(bad)}`);
  est.dispose();
});

test('flip: the mean of the image and its mirror; mirrored chip warps; option checks', async () => {
  // the shipped model where there is one (the random-weight model reads nearly every image alike)
  const est = await createEstimator({ crop: 'chip', model: DEFAULT_MODEL ? undefined : bytes });
  const img = rgba(48, 40, 5);
  const mirror = { ...img, data: new Uint8ClampedArray(img.data.length) };
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++)
      for (let c = 0; c < 4; c++) mirror.data[(y * img.width + x) * 4 + c] = img.data[(y * img.width + img.width - 1 - x) * 4 + c];
  const a = est.estimate(img), b = est.estimate(mirror), f = est.estimate(img, { flip: true });
  if (DEFAULT_MODEL) assert.ok(Math.abs(a.age - b.age) > 1e-4, `the random image and its mirror read differently (${a.age}, ${b.age})`);
  assert.ok(Math.abs(f.age - (a.age + b.age) / 2) < 1e-9, `flip ${f.age} vs mean ${(a.age + b.age) / 2}`);
  assert.ok(Math.abs(f.spread - Math.sqrt((a.spread ** 2 + b.spread ** 2) / 2)) < 1e-9);
  f.perTemplate.forEach((v, k) => assert.ok(Math.abs(v - (a.perTemplate[k] + b.perTemplate[k]) / 2) < 1e-4, `template ${k}`)); // perTemplate is f32
  assert.equal(est.estimate(img).age, a.age, 'flip does not stick, and the caller image is untouched');
  // an aligned face (the chip warp path, its mirror the warp mirrored: test/kernels/detect.test.ts)
  const kp = [{ x: 15, y: 16 }, { x: 31, y: 15 }, { x: 23, y: 22 }, { x: 23, y: 28 }, { x: 9, y: 18 }, { x: 38, y: 17 }];
  const fa = est.estimateFace(img, { keypoints: kp }), ff = est.estimateFace(img, { keypoints: kp }, { flip: true });
  assert.ok(Number.isFinite(ff.age) && ff.perTemplate.length === fa.perTemplate.length);
  if (DEFAULT_MODEL) assert.ok(Math.abs(ff.age - fa.age) > 1e-4, 'estimateFace with flip averages in a second view');
  for (const bad of [1, 'yes', null]) assert.is(await code(() => est.estimate(img, { flip: bad as unknown as boolean })), 'OPTIONS', `flip ${String(bad)}`);
  est.dispose();
});

test('bad images: typed errors, and the estimator keeps working', async () => {
  const est = await createEstimator({ crop: 'chip', model: bytes });
  const ok = rgba(32, 32);
  const before = est.estimate(ok).age;
  const cases: Array<[string, unknown, string]> = [
    ['null', null, 'IMAGE_TYPE'],
    ['string', 'face.jpg', 'IMAGE_TYPE'],
    ['number', 42, 'IMAGE_TYPE'],
    ['plain array data', { data: [1, 2, 3, 4], width: 1, height: 1 }, 'IMAGE_TYPE'],
    ['float data', { data: new Float32Array(4), width: 1, height: 1 }, 'IMAGE_TYPE'],
    ['missing data', { width: 2, height: 2 }, 'IMAGE_TYPE'],
    ['wrong length', { data: new Uint8Array(10), width: 2, height: 2 }, 'IMAGE_DATA'],
    ['zero width', { data: new Uint8Array(0), width: 0, height: 2 }, 'IMAGE_SIZE'],
    ['negative height', { data: new Uint8Array(4), width: 1, height: -1 }, 'IMAGE_SIZE'],
    ['fractional width', { data: new Uint8Array(4), width: 1.5, height: 1 }, 'IMAGE_SIZE'],
    ['NaN width', { data: new Uint8Array(4), width: NaN, height: 1 }, 'IMAGE_SIZE'],
    ['string width', { data: new Uint8Array(4), width: '1', height: 1 }, 'IMAGE_SIZE'],
    ['huge side', { data: new Uint8Array(4), width: MAX_SIDE + 1, height: 1 }, 'IMAGE_SIZE'],
    ['huge area', { data: new Uint8Array(4), width: 5000, height: 5000 }, 'IMAGE_SIZE'],
  ];
  for (const [what, img, want] of cases) {
    const got = await code(() => est.estimate(img as never));
    assert.is(got, want, what);
    try {
      est.estimate(img as never);
    } catch (e) {
      assert.instance(e, ImageInputError, what);
    }
  }
  assert.is(est.estimate(ok).age, before, 'same answer after the bad inputs');
  // tiny crops are upsampled, large ones downsampled
  assert.ok(Number.isFinite(est.estimate(rgba(1, 1)).age));
  assert.ok(Number.isFinite(est.estimate(rgba(1000, 700)).age));
  assert.is(est.estimate(ok).age, before);
  est.dispose();
});

test('bad options and models: typed errors', async () => {
  assert.is(await code(createEstimator({ crop: 'chip', model: bytes, precision: 'fp16' as never })), 'OPTIONS');
  assert.is(await code(createEstimator({ crop: 'chip', model: bytes, precision: 'int8' })), 'OPTIONS');
  assert.is(await code(createEstimator({ crop: 'chip', model: bytes, backend: 'gpu' as never })), 'OPTIONS');
  assert.is(await code(createEstimator({ crop: 'chip', model: bytes, interval: 0 })), 'OPTIONS');
  assert.is(await code(createEstimator({ crop: 'chip', model: 12 as never })), 'OPTIONS');
  assert.is(await code(createEstimator({ crop: 'chip', model: 'no-such-model' })), 'NO_MODEL');
  assert.is(await code(createEstimator({ crop: 'chip', model: '/nonexistent/model.daaw' })), 'NO_MODEL');
  const bad = bytes.slice();
  bad[bad.length - 3] ^= 1;
  try {
    await createEstimator({ crop: 'chip', model: bad });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, WeightFormatError);
    assert.is((e as WeightFormatError).code, 'WEIGHTS_CHECKSUM');
  }
  assert.is(await code(createEstimator({ crop: 'chip', model: bytes.buffer.slice(0) as ArrayBuffer })), 'no error');
});

test('dispose: later use is a DisposedError; other estimators are unaffected', async () => {
  const a = await createEstimator({ crop: 'chip', model: bytes });
  const b = await createEstimator({ crop: 'chip', model: bytes, backend: 'scalar' });
  const img = rgba(48, 48);
  const ageB = b.estimate(img).age;
  a.dispose();
  assert.ok(a.disposed);
  assert.throws(() => a.estimate(img), (e: unknown) => e instanceof DisposedError);
  assert.is(b.estimate(img).age, ageB);
  b.dispose();
});

test('simd and scalar builds agree within f32 rounding', async () => {
  const a = await createEstimator({ crop: 'chip', model: bytes, backend: 'simd' });
  const b = await createEstimator({ crop: 'chip', model: bytes, backend: 'scalar' });
  const img = rgba(128, 128, 9);
  assert.ok(Math.abs(a.estimate(img).age - b.estimate(img).age) < 1e-4);
  a.dispose();
  b.dispose();
});

test.run();
