/**
 * Hostile and extreme images: every bad input is a typed ImageInputError (or DaaError) and leaves the
 * estimator unchanged; every accepted input has a documented result (docs/reliability.md). Memory:
 * the image staging area is the only per-size allocation, it grows to the largest image seen (at most
 * MAX_PIXELS * 4 bytes) and never again.
 */
import { runInNewContext } from 'node:vm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Arena } from '../../src/arena.ts';
import { DaaError, ImageInputError } from '../../src/errors.ts';
import { createEstimator, MAX_PIXELS, MAX_SIDE } from '../../src/index.ts';
import { makeImage, makeWeights } from './determinism-fixture.ts';
import { codeOf, mib, rgba } from './util.ts';

const est = await createEstimator({ crop: 'chip', model: makeWeights() });
const ok = makeImage();
const ref = est.estimate(ok).age;

async function rejects(image: unknown, code: string, what: string, opts?: unknown) {
  const got = await codeOf(() => est.estimate(image as never, opts as never));
  assert.is(got, code, what);
  try {
    est.estimate(image as never, opts as never);
  } catch (e) {
    assert.ok(e instanceof DaaError, what);
    if (code.startsWith('IMAGE')) assert.instance(e, ImageInputError, what);
  }
}

test('sizes: zero, negative, fractional, NaN, infinite, non-number, past the limits -> IMAGE_SIZE', async () => {
  const d = new Uint8Array(4);
  const bad: unknown[] = [0, -0, -1, 1.5, 0.5, NaN, Infinity, -Infinity, '1', 1n, null, undefined, true, {}, [1], Number.MAX_SAFE_INTEGER, 2 ** 32 + 1, MAX_SIDE + 1];
  for (const v of bad) {
    await rejects({ data: d, width: v, height: 1 }, 'IMAGE_SIZE', `width ${String(v)}`);
    await rejects({ data: d, width: 1, height: v }, 'IMAGE_SIZE', `height ${String(v)}`);
  }
  // within MAX_SIDE but over MAX_PIXELS: rejected before the data is looked at
  await rejects({ data: d, width: 4097, height: 4096 }, 'IMAGE_SIZE', '4097x4096');
  await rejects({ data: d, width: MAX_SIDE, height: MAX_PIXELS / MAX_SIDE + 1 }, 'IMAGE_SIZE', 'one row over');
  assert.is(est.estimate(ok).age, ref);
});

test('data: non-arrays, other typed arrays, wrong lengths, detached buffers, lying objects -> typed errors', async () => {
  const types: Array<[string, unknown]> = [
    ['undefined', undefined],
    ['null', null],
    ['string', 'abcd'],
    ['number', 4],
    ['plain Array', [1, 2, 3, 4]],
    ['array-like object', { length: 4, 0: 1, 1: 2, 2: 3, 3: 4 }],
    ['ArrayBuffer', new ArrayBuffer(4)],
    ['DataView', new DataView(new ArrayBuffer(4))],
    ['Int8Array', new Int8Array(4)],
    ['Uint16Array', new Uint16Array(4)],
    ['Int32Array', new Int32Array(4)],
    ['Float32Array', new Float32Array(4)],
    ['Float64Array', new Float64Array(4)],
    ['BigUint64Array', new BigUint64Array(4)],
    ['Proxy of a Uint8Array', new Proxy(new Uint8Array(4), {})],
    ['object with a Uint8Array prototype', Object.create(Uint8Array.prototype)],
  ];
  for (const [what, data] of types) await rejects({ data, width: 1, height: 1 }, 'IMAGE_TYPE', what);
  for (const [what, image] of [['null', null], ['undefined', undefined], ['string', 'face.jpg'], ['number', 7], ['function', () => 0], ['symbol', Symbol('x')]] as const)
    await rejects(image, 'IMAGE_TYPE', `image ${what}`);
  // wrong lengths: neither w*h*4, *3 nor *1
  for (const n of [0, 2, 5, 8, 11, 13, 17, 100]) await rejects({ data: new Uint8Array(n), width: 2, height: 2 }, 'IMAGE_DATA', `${n} bytes for 2x2`);
  // a detached buffer (transferred away) has length 0
  const det = new Uint8Array(16);
  structuredClone(det.buffer, { transfer: [det.buffer] });
  await rejects({ data: det, width: 2, height: 2 }, 'IMAGE_DATA', 'detached');
  // an own `length` cannot lie about the bytes
  const liar = new Uint8Array(4);
  Object.defineProperty(liar, 'length', { value: 64 * 64 * 4 });
  await rejects({ data: liar, width: 64, height: 64 }, 'IMAGE_DATA', 'own length property');
  // getters that throw are reported as IMAGE_TYPE
  const throwing = new Proxy({}, { get: () => { throw new Error('boom'); } });
  await rejects(throwing, 'IMAGE_TYPE', 'throwing getter');
  await rejects({ get data(): Uint8Array { throw 42; }, width: 1, height: 1 }, 'IMAGE_TYPE', 'throwing data getter (non-Error)');
  // estimate options are read before the image: an options getter that detaches the image's buffer
  // is seen by the image check, never by the copy
  const victim = ok.data.slice();
  const opts = { get interval() { structuredClone(victim.buffer, { transfer: [victim.buffer] }); return 1; } };
  await rejects({ data: victim, width: ok.width, height: ok.height }, 'IMAGE_DATA', 'detached by an options getter', opts);
  // options that are not an object, or whose getter throws
  for (const o of [null, 5, 'x', new Proxy({}, { get: () => { throw new Error('boom'); } })]) await rejects(ok, 'OPTIONS', `options ${String(typeof o)}`, o);
  assert.is(est.estimate(ok).age, ref, 'the estimator is unchanged after every rejection');
});

test('accepted kinds of data: Buffer, subarray views, shared and resizable buffers, other realms -> the same age', async () => {
  const same = (data: Uint8Array | Uint8ClampedArray, what: string) => assert.is(est.estimate({ data, width: ok.width, height: ok.height }).age, ref, what);
  same(Buffer.from(ok.data), 'Buffer');
  const big = new Uint8Array(ok.data.length + 37);
  big.set(ok.data, 13);
  same(big.subarray(13, 13 + ok.data.length), 'subarray at an odd offset');
  const shared = new Uint8Array(new SharedArrayBuffer(ok.data.length));
  shared.set(ok.data);
  same(shared, 'SharedArrayBuffer');
  const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer;
  const resizable = new Resizable(ok.data.length, { maxByteLength: 2 * ok.data.length });
  const tracking = new Uint8Array(resizable);
  tracking.set(ok.data);
  same(tracking, 'length-tracking view of a resizable buffer');
  const foreign = runInNewContext('new Uint8ClampedArray(n)', { n: ok.data.length }) as Uint8ClampedArray;
  foreign.set(ok.data);
  same(foreign, 'a Uint8ClampedArray of another realm');
  // a subclass with a lying length getter: the real length is used
  class Lying extends Uint8Array {
    override get length() {
      return 3;
    }
  }
  const l = new Lying(ok.data.length);
  l.set(ok.data);
  same(l, 'subclass with a length getter');
  // the image object itself: a getter is read once
  let reads = 0;
  const once = { data: ok.data, get width() { reads++; return ok.width; }, height: ok.height };
  assert.is(est.estimate(once).age, ref);
  assert.is(reads, 1, 'width read once');
});

test('channels: grey (1), RGB (3), RGBA (4, alpha ignored) of the same picture agree exactly', async () => {
  for (const [w, h] of [[1, 1], [1, 17], [17, 1], [5, 3], [64, 64], [97, 131]]) {
    const src = rgba(w, h, w * 31 + h);
    const grey = new Uint8Array(w * h);
    const rgb = new Uint8Array(w * h * 3);
    const rgbaA = new Uint8Array(w * h * 4);
    const rgbaB = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) {
      grey[i] = src.data[i * 4];
      rgb.fill(grey[i], i * 3, i * 3 + 3);
      rgbaA.fill(grey[i], i * 4, i * 4 + 3);
      rgbaB.fill(grey[i], i * 4, i * 4 + 3);
      rgbaA[i * 4 + 3] = 0;
      rgbaB[i * 4 + 3] = 255;
    }
    const a = est.estimate({ data: grey, width: w, height: h }).age;
    assert.is(est.estimate({ data: rgb, width: w, height: h }).age, a, `${w}x${h} rgb`);
    assert.is(est.estimate({ data: rgbaA, width: w, height: h }).age, a, `${w}x${h} rgba alpha 0`);
    assert.is(est.estimate({ data: rgbaB, width: w, height: h }).age, a, `${w}x${h} rgba alpha 255`);
  }
});

test('tiny crops are upsampled: 1x1, 1xN, Nx1 give finite ages; a flat colour gives the same age at every size', async () => {
  for (const [w, h] of [[1, 1], [1, 2], [2, 1], [1, 100], [100, 1], [1, MAX_SIDE], [MAX_SIDE, 1], [3, 3]]) {
    const r = est.estimate(rgba(w, h, w + h));
    assert.ok(Number.isFinite(r.age) && Number.isFinite(r.spread), `${w}x${h}`);
  }
  for (const c of [0, 77, 255]) {
    const flat = (w: number, h: number) => est.estimate({ data: new Uint8Array(w * h).fill(c), width: w, height: h }).age;
    const a = flat(1, 1);
    for (const [w, h] of [[1, 9], [9, 1], [64, 64], [200, 100]]) assert.is(flat(w, h), a, `flat ${c} at ${w}x${h}`);
  }
});

test('huge images are downsampled; the staging area is the only per-size allocation, bounded by MAX_PIXELS * 4', async () => {
  const e = await createEstimator({ crop: 'chip', model: makeWeights() });
  e.estimate(ok);
  const base = e.memoryBytes();
  const huge = rgba(4096, 4096, 11); // 64 MiB RGBA, the largest image accepted
  let t = performance.now();
  const r1 = e.estimate(huge);
  const firstMs = performance.now() - t;
  const grown = e.memoryBytes();
  t = performance.now();
  const r2 = e.estimate(huge);
  const againMs = performance.now() - t;
  assert.ok(Number.isFinite(r1.age));
  assert.is(r2.age, r1.age);
  assert.ok(grown - base <= 4096 * 4096 * 4 + 65536, `grew ${grown - base} bytes`);
  assert.ok(grown - base >= 4096 * 4096 * 4 - 2 * 1048576, 'the staging area holds the image');
  // any other accepted shape fits in the staging area already: no more growth
  for (const [w, h, ch] of [[MAX_SIDE, 1024, 4], [MAX_SIDE, 1024, 3], [1024, MAX_SIDE, 1], [4096, 4096, 3], [1, 1, 4]] as const) {
    const data = new Uint8Array(w * h * ch);
    assert.ok(Number.isFinite(e.estimate({ data, width: w, height: h }).age), `${w}x${h}x${ch}`);
  }
  assert.is(e.memoryBytes(), grown, 'memory does not grow again');
  assert.is(e.estimate(ok).age, ref, 'small images after huge ones: same answer');
  console.log(`  4096x4096 RGBA: first estimate ${firstMs.toFixed(0)} ms (staging grows), then ${againMs.toFixed(0)} ms; wasm memory ${mib(base)} -> ${mib(grown)}, flat afterwards`);
  e.dispose();
});

test('arena: growth past its limit or past the memory maximum is DaaError MEMORY and changes nothing', () => {
  const a = new Arena(new WebAssembly.Memory({ initial: 1, maximum: 2 }), 0, 1 << 30);
  const p = a.alloc(1000);
  assert.throws(() => a.alloc(3 * 65536), (e: unknown) => e instanceof DaaError && e.code === 'MEMORY');
  assert.throws(() => a.growLast(p, 5 * 65536), (e: unknown) => e instanceof DaaError && e.code === 'MEMORY');
  assert.is(a.used, 1008);
  const b = new Arena(new WebAssembly.Memory({ initial: 1 }), 0, 65536);
  assert.throws(() => b.alloc(65537), (e: unknown) => e instanceof DaaError && e.code === 'MEMORY');
  assert.throws(() => b.alloc(NaN), (e: unknown) => e instanceof DaaError && e.code === 'MEMORY');
  assert.is(b.alloc(16), 0);
});

test('after all of it the estimator still gives the first answer', () => {
  assert.is(est.estimate(ok).age, ref);
  est.dispose();
});

test.run();
