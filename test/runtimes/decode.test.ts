/**
 * daa-wasm/decode (src/platform/decode.ts), which the CLI, the edge worker and the runtime tests use:
 * PNG (every colour type, bit depths 1-16, palettes with tRNS, Adam7, all five filters) against a
 * reference encoder written here, pngjs files, JPEG pixels equal to the training pipeline's decoder,
 * and clear errors for bad bytes.
 */
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ImageInputError } from '../../src/errors.ts';
import { decodeImage, jpegOrientation, sniffImage } from '../../src/platform/decode.ts';
import { decodeImage as trainDecode } from '../../train/data.ts';
import { encodePng, face, modelFile, orientedJpegs, orientedPngs, readPng, SHOW_FOR_ORIENTATION, syntheticRgba } from './util.ts';
import { createEstimator } from '../../src/index.ts';
import { pngChunk } from '../reliability/image-mutate.ts';
import decodeStored from 'jpeg-js/lib/decoder.js';


interface Spec {
  w: number;
  h: number;
  ctype: 0 | 2 | 3 | 4 | 6;
  depth: 1 | 2 | 4 | 8 | 16;
  interlace?: boolean;
  palette?: number[][];
  trns?: number[];
}
const CH = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

/** A reference PNG encoder: samples(x, y) are raw sample values; filters cycle 0..4 by scanline. */
function encode(s: Spec, samples: (x: number, y: number) => number[]): Uint8Array {
  const ch = CH[s.ctype];
  const bpp = Math.max(1, (ch * s.depth) >> 3);
  const passes = s.interlace
    ? [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]]
    : [[0, 0, 1, 1]];
  const rows: number[] = [];
  let line = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((s.w - x0) / dx);
    const ph = Math.ceil((s.h - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const stride = Math.ceil((pw * ch * s.depth) / 8);
    let prev = new Uint8Array(stride);
    for (let py = 0; py < ph; py++) {
      const raw = new Uint8Array(stride);
      let bit = 0;
      for (let px = 0; px < pw; px++)
        for (const v of samples(x0 + px * dx, y0 + py * dy)) {
          if (s.depth === 16) (raw[bit >> 3] = v >> 8), (raw[(bit >> 3) + 1] = v & 255);
          else if (s.depth === 8) raw[bit >> 3] = v;
          else raw[bit >> 3] |= v << (8 - s.depth - (bit & 7));
          bit += s.depth;
        }
      const f = line++ % 5;
      rows.push(f);
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? raw[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][f];
        rows.push((raw[i] - pred) & 255);
      }
      prev = raw;
    }
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, s.w);
  dv.setUint32(4, s.h);
  ihdr.set([s.depth, s.ctype, 0, 0, s.interlace ? 1 : 0], 8);
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr)];
  if (s.palette) parts.push(pngChunk('PLTE', new Uint8Array(s.palette.flat())));
  if (s.trns) parts.push(pngChunk('tRNS', new Uint8Array(s.trns)));
  const z = deflateSync(new Uint8Array(rows));
  parts.push(pngChunk('IDAT', z.subarray(0, 7)), pngChunk('IDAT', z.subarray(7)), pngChunk('IEND', new Uint8Array(0)));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}

test('PNG: every colour type and bit depth, palettes with tRNS, Adam7, all filters', async () => {
  const w = 13, h = 11;
  const val = (x: number, y: number, k: number, max: number) => (x * 7 + y * 13 + k * 29 + x * y) % (max + 1);
  const cases: Spec[] = [];
  for (const interlace of [false, true]) {
    for (const depth of [1, 2, 4, 8, 16] as const) cases.push({ w, h, ctype: 0, depth, interlace });
    for (const depth of [1, 2, 4, 8] as const)
      cases.push({ w, h, ctype: 3, depth, interlace, palette: Array.from({ length: 1 << depth }, (_, i) => [(i * 3) & 255, 255 - i, (i * 41) & 255]), trns: [0, 128] });
    for (const ctype of [2, 4, 6] as const) for (const depth of [8, 16] as const) cases.push({ w, h, ctype, depth, interlace });
  }
  for (const s of cases) {
    const max = (1 << s.depth) - 1;
    const ch = CH[s.ctype];
    const samples = (x: number, y: number) => Array.from({ length: ch }, (_, k) => val(x, y, k, max));
    const img = await decodeImage(encode(s, samples));
    assert.is(img.width, w);
    assert.is(img.height, h);
    const name = `ctype ${s.ctype} depth ${s.depth}${s.interlace ? ' interlaced' : ''}`;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const v = samples(x, y);
        const to8 = (u: number) => (s.depth === 16 ? u >> 8 : s.depth === 8 ? u : Math.round((u * 255) / max));
        let want: number[];
        if (s.ctype === 3) want = [...s.palette![v[0]], v[0] < s.trns!.length ? s.trns![v[0]] : 255];
        else if (ch <= 2) want = [to8(v[0]), to8(v[0]), to8(v[0]), ch === 2 ? to8(v[1]) : 255];
        else want = [to8(v[0]), to8(v[1]), to8(v[2]), ch === 4 ? to8(v[3]) : 255];
        const i = (y * w + x) * 4;
        assert.equal([...img.data.subarray(i, i + 4)], want, `${name} at ${x},${y}`);
      }
  }
});

test('PNG written by pngjs (RGB, RGBA, grey) decodes to the same pixels as pngjs reads', async () => {
  const rgba = syntheticRgba(37, 23);
  for (const colorType of [0, 2, 4, 6]) {
    const png = await encodePng(rgba, 37, 23, { colorType });
    const mine = await decodeImage(png);
    const theirs = readPng(png);
    assert.equal([...mine.data], [...theirs.data], `colorType ${colorType}`);
  }
});

test('JPEG: the same pixels as the training pipeline decoder (jpeg-js)', async () => {
  const f = await face();
  const bytes = new Uint8Array(readFileSync(f.file));
  const mine = await decodeImage(bytes);
  const train = trainDecode(bytes, f.file);
  assert.is(mine.width, train.width);
  for (let p = 0; p < train.width * train.height; p++)
    for (let c = 0; c < 3; c++) if (mine.data[p * 4 + c] !== train.data[p * 3 + c]) assert.unreachable(`pixel ${p} channel ${c} differs`);
});

test('jpegOrientation reads the EXIF orientation (both byte orders), 1 without EXIF', async () => {
  const f = await face();
  const jpg = new Uint8Array(readFileSync(f.file));
  if (sniffImage(jpg) !== 'jpeg') return console.log('  SKIP: no JPEG face (UTKFace data absent): EXIF orientation reading not checked');
  const withExif = (le: boolean, v: number) => {
    const u16 = (n: number) => (le ? [n & 255, n >> 8] : [n >> 8, n & 255]);
    const u32 = (n: number) => (le ? [...u16(n & 0xffff), ...u16(n >>> 16)] : [...u16(n >>> 16), ...u16(n & 0xffff)]);
    const tiff = [...(le ? [0x49, 0x49] : [0x4d, 0x4d]), ...u16(42), ...u32(8), ...u16(1), ...u16(0x0112), ...u16(3), ...u32(1), ...u16(v), 0, 0, ...u32(0)];
    const app1 = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
    return new Uint8Array([0xff, 0xd8, 0xff, 0xe1, (app1.length + 2) >> 8, (app1.length + 2) & 255, ...app1, ...jpg.subarray(2)]);
  };
  assert.is(jpegOrientation(jpg), 1);
  assert.is(jpegOrientation(withExif(true, 6)), 6);
  assert.is(jpegOrientation(withExif(false, 3)), 3);
  assert.is(jpegOrientation(withExif(true, 99)), 1);
  assert.is((await decodeImage(withExif(true, 6))).width, (await decodeImage(jpg)).width, 'the EXIF segment does not change the pixels');
});

/**
 * The 8 files are 8 separate JPEG encodes of the turned picture, so their upright pixels differ by
 * re-encoding noise (mean |difference| under 2 levels) and the ages by as much as the model moves on
 * that noise: about 1 year for the 96 px default (an accuracy matter, measured and reported, not
 * EXIF's). What EXIF handling must get exactly right is checked exactly: decodeImage's pixels are
 * the stored pixels turned upright by this test's own transforms, and so is the age.
 */
const ORIENTED_AGE_REENCODE = 2;

test('EXIF orientations 1-8: decodeImage returns the upright face (pixels) and the same age for each', async () => {
  const f = await face();
  const files = await orientedJpegs(f.file);
  const model = await modelFile();
  const est = await createEstimator({ crop: 'chip', ...(model ? { model } : {}) });
  const upright = await decodeImage(files[0].bytes);
  const ages: number[] = [];
  for (const { orientation, bytes } of files) {
    assert.is(jpegOrientation(bytes), orientation);
    const img = await decodeImage(bytes);
    assert.equal([img.width, img.height], [upright.width, upright.height], `orientation ${orientation}: size`);
    let diff = 0;
    for (let i = 0; i < img.data.length; i++) diff += Math.abs(img.data[i] - upright.data[i]);
    const mad = diff / img.data.length;
    assert.ok(mad < 2, `orientation ${orientation}: mean |pixel - upright| ${mad.toFixed(2)} (want < 2)`);
    const age = est.estimate(img).age;
    ages.push(age);
    const stored = decodeStored(bytes, { useTArray: true, formatAsRGBA: true });
    const shown = SHOW_FOR_ORIENTATION[orientation]({ data: stored.data, width: stored.width, height: stored.height });
    assert.equal([shown.width, shown.height], [img.width, img.height], `orientation ${orientation}: size of the stored pixels shown upright`);
    let exact = 0;
    for (let i = 0; i < img.data.length; i++) exact += img.data[i] !== shown.data[i] ? 1 : 0;
    assert.is(exact, 0, `orientation ${orientation}: decodeImage's pixels are the stored pixels shown upright`);
    assert.is(est.estimate(shown).age, age, `orientation ${orientation}: same age as the stored pixels shown upright`);
    // the stored pixels, unrotated, are a different picture for every orientation but 1
    if (orientation > 1) {
      let d2 = 0;
      if (stored.width === img.width) for (let i = 0; i < img.data.length; i++) d2 += Math.abs(img.data[i] - stored.data[i]);
      assert.ok(stored.width !== img.width || d2 / img.data.length > 5, `orientation ${orientation}: the stored pixels would pass for upright`);
    }
  }
  est.dispose();
  const spreadAge = Math.max(...ages) - Math.min(...ages);
  console.log(`  orientations 1-8: ages ${ages.map((a) => a.toFixed(3)).join(' ')} (max - min ${spreadAge.toFixed(3)} years) [${f.label}]`);
  assert.ok(spreadAge < ORIENTED_AGE_REENCODE, `ages of the 8 re-encoded orientations differ by ${spreadAge} (bar ${ORIENTED_AGE_REENCODE})`);
});

test('PNG eXIf orientations 1-8: decodeImage returns exactly the upright picture; an eXIf after the image data, or a broken one, is ignored', async () => {
  const f = await face();
  const files = await orientedPngs(f.file);
  const upright = await decodeImage(new Uint8Array(readFileSync(f.file)));
  for (const { orientation, bytes } of files) {
    const img = await decodeImage(bytes);
    assert.equal([img.width, img.height], [upright.width, upright.height], `orientation ${orientation}: size`);
    let diff = 0;
    for (let i = 0; i < img.data.length; i++) diff += img.data[i] !== upright.data[i] ? 1 : 0;
    assert.is(diff, 0, `orientation ${orientation}: the upright pixels exactly`);
  }
  // orientation 6 with the eXIf chunk moved after IDAT (before IEND): browsers ignore it, so do we
  const six = files[5].bytes;
  const exifLen = new DataView(six.buffer, six.byteOffset).getUint32(33) + 12;
  const exif = six.slice(33, 33 + exifLen);
  const rest = six.subarray(33 + exifLen);
  const late = new Uint8Array(six.length);
  late.set(six.subarray(0, 33));
  late.set(rest.subarray(0, rest.length - 12), 33);
  late.set(exif, 33 + rest.length - 12);
  late.set(rest.subarray(rest.length - 12), 33 + rest.length - 12 + exifLen);
  const stored = await decodeImage(late);
  assert.equal([stored.width, stored.height], [upright.height, upright.width], 'eXIf after IDAT: the stored (turned) picture');
  // broken eXIf bodies (truncated, bad byte order, offsets past the end) read as orientation 1
  for (const body of [new Uint8Array(0), new Uint8Array([0x49, 0x49]), new Uint8Array([0x58, 0x58, 42, 0, 8, 0, 0, 0]), new Uint8Array([0x49, 0x49, 42, 0, 255, 255, 0, 0])]) {
    const png = await encodePng(upright.data, upright.width, upright.height);
    const chunk = pngChunk('eXIf', body);
    const b = new Uint8Array(png.length + chunk.length);
    b.set(png.subarray(0, 33));
    b.set(chunk, 33);
    b.set(png.subarray(33), 33 + chunk.length);
    const img = await decodeImage(b);
    assert.equal([img.width, img.height], [upright.width, upright.height], `broken eXIf ${[...body]}: as stored`);
  }
});

test('bad bytes: ImageInputError with a clear message', async () => {
  const err = async (b: Uint8Array) => {
    try {
      await decodeImage(b);
    } catch (e) {
      assert.instance(e, ImageInputError);
      return (e as Error).message;
    }
    return 'no error';
  };
  assert.is(sniffImage(new Uint8Array([1, 2, 3])), null);
  assert.match(await err(new TextEncoder().encode('GIF89a....')), /not a JPEG or PNG/);
  assert.match(await err(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1])), /JPEG decode failed/);
  const good = encode({ w: 4, h: 4, ctype: 2, depth: 8 }, () => [1, 2, 3]);
  assert.match(await err(good.subarray(0, 40)), /PNG decode failed/);
  const noIdat = encode({ w: 4, h: 4, ctype: 2, depth: 8 }, () => [1, 2, 3]);
  noIdat[noIdat.length - 20] ^= 0xff; // corrupt the compressed data
  assert.match(await err(noIdat), /PNG decode failed/);
});

test.run();
