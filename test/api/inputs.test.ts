/**
 * Every kind of image a user holds (src/input.ts) gives the age of the same picture as raw pixels:
 * encoded bytes (Uint8Array, Node Buffer, ArrayBuffer, Uint8ClampedArray, a view into a larger
 * buffer), a file path, a file: URL, a URL object, Blob, File, Response; raw RGBA and RGB. The DOM
 * kinds (HTMLImageElement, canvas, ImageBitmap, VideoFrame) need a browser: test/runtimes/chromium.
 * Options: unknown names and wrong types are OptionsError naming the option.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_MODEL } from '../../src/generated/assets.ts';
import { createEstimator, DaaError, estimate, OptionsError, readImage, type Estimator } from '../../src/index.ts';
import { decodeImage } from '../../src/platform/decode.ts';
import { encodePng, face, modelFile, tmp } from '../runtimes/util.ts';

const f = await face();
const file = new Uint8Array(readFileSync(f.file));
const raw = await decodeImage(file);
const model = await modelFile();
const est: Estimator = await createEstimator(model ? { model } : {});
const ref = est.estimate(raw).age;
console.log(`  reference: ${ref.toFixed(4)} years from raw RGBA pixels [${f.label}]`);

async function failure(p: Promise<unknown> | (() => unknown)): Promise<DaaError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert.instance(e, DaaError, `not a DaaError: ${String(e)}`);
    return e as DaaError;
  }
  throw new Error('no error thrown');
}

test('encoded bytes (sniffed by their first bytes) in every container: the same age as raw pixels, synchronously', () => {
  const big = new Uint8Array(file.length + 17);
  big.set(file, 9);
  const kinds: [string, unknown][] = [
    ['Uint8Array', file],
    ['Node Buffer', readFileSync(f.file)],
    ['ArrayBuffer', file.slice().buffer],
    ['Uint8ClampedArray', new Uint8ClampedArray(file)],
    ['a Uint8Array view at offset 9 of a larger buffer', big.subarray(9, 9 + file.length)],
  ];
  for (const [what, input] of kinds) assert.is(est.estimate(input as Uint8Array).age, ref, what);
});

test('raw pixels stay the fast path: RGBA, RGB, ImageData-like, and a PNG of the same pixels', async () => {
  const px = raw.width * raw.height;
  const rgb = new Uint8Array(px * 3);
  for (let i = 0; i < px; i++) rgb.set(raw.data.subarray(i * 4, i * 4 + 3), i * 3);
  assert.is(est.estimate({ data: rgb, width: raw.width, height: raw.height }).age, ref, 'RGB');
  assert.is(est.estimate({ data: new Uint8ClampedArray(raw.data), width: raw.width, height: raw.height }).age, ref, 'Uint8ClampedArray RGBA');
  const png = await encodePng(raw.data, raw.width, raw.height);
  assert.is(est.estimate(png).age, ref, 'PNG bytes of the same pixels');
});

test('asynchronous kinds through readImage(): path, file: URL, URL, Blob, File, Response', async () => {
  const path = tmp('inputs-face' + (f.file.endsWith('.png') ? '.png' : '.jpg'));
  writeFileSync(path, file);
  const kinds: [string, unknown][] = [
    ['file path', path],
    ['file: URL string', pathToFileURL(path).href],
    ['URL object', pathToFileURL(path)],
    ['Blob', new Blob([file])],
    ['File', new File([file], 'face.jpg', { type: 'image/jpeg' })],
    ['Response', new Response(file)],
    ['raw pixels', raw],
  ];
  for (const [what, input] of kinds) assert.is(est.estimate(await readImage(input as Blob)).age, ref, what);
  if (DEFAULT_MODEL && !model)
    for (const [what, input] of [...kinds, ['Response', new Response(file)], ['bytes', file]] as [string, unknown][])
      if (!(input instanceof Response && input.bodyUsed)) assert.is((await estimate(input as Blob)).age, ref, `estimate(${what})`);
});

test('inputs that cannot be an image: typed errors that say what to do', async () => {
  const blobErr = await failure(() => est.estimate(new Blob([file]) as never));
  assert.is(blobErr.code, 'IMAGE_TYPE');
  assert.match(blobErr.message, /readImage/);
  assert.is((await failure(() => est.estimate('face.jpg' as never))).code, 'IMAGE_TYPE');
  const gif = await failure(() => est.estimate(new TextEncoder().encode('GIF89a.....')));
  assert.is(gif.code, 'IMAGE_DATA');
  assert.match(gif.message, /not a JPEG or PNG.*first bytes 47 49 46 38.*\{ data, width, height \}/);
  assert.is((await failure(() => est.estimate(new Float32Array(4) as never))).code, 'IMAGE_TYPE');
  assert.is((await failure(readImage(new Response('nope', { status: 404 })))).code, 'IMAGE_DATA');
  assert.is((await failure(readImage(tmp('no-such-file.jpg')))).code, 'IMAGE_DATA');
  assert.is((await failure(readImage(new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xe0])])))).code, 'IMAGE_DATA');
  // the estimator is still usable
  assert.is(est.estimate(raw).age, ref);
});

test('options: an unknown name (a typo) is an OptionsError naming it, with the nearest known name', async () => {
  const typo = await failure(createEstimator({ intervall: 5 } as never));
  assert.instance(typo, OptionsError);
  assert.match(typo.message, /unknown option 'intervall'.*did you mean 'interval'/);
  assert.match((await failure(() => est.estimate(raw, { intervall: 2 } as never))).message, /'intervall'.*'interval'/);
  assert.match((await failure(() => est.estimate(raw, { Interval: 2 } as never))).message, /'Interval'.*did you mean 'interval'/);
  assert.match((await failure(createEstimator({ precison: 'int8' } as never))).message, /'precison'.*did you mean 'precision'/);
  assert.match((await failure(createEstimator({ colour: 1 } as never))).message, /unknown option 'colour'/);
  assert.match((await failure(decodeImage(file, { maxPixel: 5 } as never))).message, /'maxPixel'/);
  const trap = new Proxy({}, { ownKeys: () => { throw new Error('trap'); } });
  assert.instance(await failure(() => est.estimate(raw, trap)), OptionsError);
});

test('options: a wrong type is an OptionsError naming the option', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ interval: '5' }, /^interval /],
    [{ interval: 0 }, /^interval /],
    [{ precision: 8 }, /^precision /],
    [{ backend: 'gpu' }, /^backend /],
    [{ head: true }, /^head /],
    [{ model: 5 }, /^model /],
    [{ wasmModule: {} }, /^wasmModule /],
  ];
  for (const [opts, msg] of cases) {
    const e = await failure(createEstimator(model ? { model, ...opts } : opts));
    assert.instance(e, OptionsError, JSON.stringify(opts));
    assert.match(e.message, msg, `${JSON.stringify(opts)}: ${e.message}`);
  }
  assert.match((await failure(() => est.estimate(raw, { interval: 'x' } as never))).message, /^interval /);
  assert.match((await failure(decodeImage(file, { maxPixels: -1 }))).message, /^maxPixels /);
});

test.after(() => est.dispose());
test.run();
