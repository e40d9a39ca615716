import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as jpeg from 'jpeg-js';
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  augment, decodeImage, loadDataset, makeBatch, makeRng, parseLabelsCsv, readLabels, shuffle, splitValidation,
  resizeBilinearRGB, toU8Round, heldOutSplit, demographics,
} from '../../train/data.ts';

const require = createRequire(import.meta.url);
const { PNG } = require('pngjs') as { PNG: { sync: { write(p: { width: number; height: number; data: Uint8Array }): Buffer } } };

function randomU8(n: number, seed: number): Uint8Array {
  const rng = makeRng(seed);
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.floor(rng() * 256);
  return a;
}

/** A smooth RGB test image (JPEG-friendly). */
function smoothRgb(w: number, h: number): Uint8Array {
  const a = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      a[i] = Math.round((255 * x) / (w - 1));
      a[i + 1] = Math.round((255 * y) / (h - 1));
      a[i + 2] = 128;
    }
  return a;
}

function rgba(rgb: Uint8Array, alpha = 255): Uint8Array {
  const n = rgb.length / 3;
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    out[i * 4] = rgb[i * 3]; out[i * 4 + 1] = rgb[i * 3 + 1]; out[i * 4 + 2] = rgb[i * 3 + 2]; out[i * 4 + 3] = alpha;
  }
  return out;
}

const tmpDirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'daa-data-test-'));
  tmpDirs.push(d);
  return d;
}
test.after(() => { for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true }); });

// --- RNG, shuffle, split ---------------------------------------------------------------------

test('makeRng is deterministic and in [0, 1)', () => {
  const a = makeRng(42), b = makeRng(42), c = makeRng(43);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.equal(xs, Array.from({ length: 1000 }, () => b()));
  assert.not.equal(xs.slice(0, 10), Array.from({ length: 10 }, () => c()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
});

test('shuffle is a seeded permutation', () => {
  const a = new Int32Array(100).map((_, i) => i);
  shuffle(a, makeRng(7));
  assert.equal(Array.from(a).sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  const b = new Int32Array(100).map((_, i) => i);
  shuffle(b, makeRng(7));
  assert.equal(Array.from(a), Array.from(b));
  assert.not.equal(Array.from(a), Array.from({ length: 100 }, (_, i) => i));
});

test('splitValidation is deterministic, disjoint and complete', () => {
  const s1 = splitValidation(1000, 0.1, 5);
  const s2 = splitValidation(1000, 0.1, 5);
  assert.equal(Array.from(s1.train), Array.from(s2.train));
  assert.equal(Array.from(s1.val), Array.from(s2.val));
  assert.is(s1.val.length, 100);
  assert.is(s1.train.length, 900);
  const all = new Set<number>([...s1.train, ...s1.val]);
  assert.is(all.size, 1000);
  const val = new Set(s1.val);
  assert.ok(Array.from(s1.train).every((i) => !val.has(i)));
  const s3 = splitValidation(1000, 0.1, 6);
  assert.not.equal(Array.from(s3.val), Array.from(s1.val));
  assert.is(splitValidation(10, 0).val.length, 0);
  assert.throws(() => splitValidation(10, 1.5));
});

test('heldOutSplit: the validation draw a run recorded (tfjs options, GPU imports with and without valSplit)', () => {
  // tfjs runs: options as parseArgs gives them (strings); --split-seed over --seed, defaults 1 and 0.1
  assert.equal(heldOutSplit({ seed: '1', 'val-fraction': '0.1' }), { seed: 1, fraction: 0.1 });
  assert.equal(heldOutSplit({ seed: '2', 'val-fraction': '0.1' }), { seed: 2, fraction: 0.1 });
  assert.equal(heldOutSplit({ seed: '2', 'split-seed': '1', 'val-fraction': '0.2' }), { seed: 1, fraction: 0.2 });
  assert.equal(heldOutSplit({}), { seed: 1, fraction: 0.1 });
  // GPU imports: the PyTorch seed is not the split's; the pack's split, pack.ts's defaults before valSplit was recorded
  const gpu = { trainer: 'train/gpu/train_daa.py', seed: 2 };
  assert.equal(heldOutSplit(gpu), { seed: 1, fraction: 0.1 });
  assert.equal(heldOutSplit({ ...gpu, valSplit: { seed: 3, valFraction: 0.15 } }), { seed: 3, fraction: 0.15 });
});

// --- augmentation and batches ----------------------------------------------------------------

test('augment off is exactly x / 255 (f32)', () => {
  const S = 64;
  const src = randomU8(S * S * 3, 3);
  const out = new Float32Array(S * S * 3);
  augment(src, out, makeRng(1), { enabled: false });
  for (let i = 0; i < src.length; i++) if (out[i] !== Math.fround(src[i] / 255)) assert.unreachable(`value ${i}`);
  // every byte value once
  const all = new Uint8Array(256 * 3).map((_, i) => i % 256);
  const o2 = new Float32Array(all.length);
  augment(all, o2, makeRng(1), { enabled: false }, 16);
  const ref = new Float32Array(all.length);
  for (let i = 0; i < all.length; i++) ref[i] = Math.fround(all[i] / 255);
  assert.equal(Array.from(o2), Array.from(ref));
});

test('augment with flip only mirrors exactly; with flip 0 and no transform it is x / 255', () => {
  const S = 32;
  const src = randomU8(S * S * 3, 4);
  const out = new Float32Array(S * S * 3);
  augment(src, out, makeRng(1), { flip: 1, scale: [1, 1], rotateDeg: 0, translate: 0 });
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++)
      for (let c = 0; c < 3; c++) {
        const o = out[(y * S + x) * 3 + c];
        const e = Math.fround(src[(y * S + (S - 1 - x)) * 3 + c] / 255);
        if (o !== e) assert.unreachable(`(${x},${y},${c}) ${o} != ${e}`);
      }
  augment(src, out, makeRng(1), { flip: 0, scale: [1, 1], rotateDeg: 0, translate: 0 });
  for (let i = 0; i < src.length; i++) if (out[i] !== Math.fround(src[i] / 255)) assert.unreachable(`value ${i}`);
});

test('augment general path: the flip matches the mirror, values stay in [0, 1], offsets work', () => {
  const S = 24;
  const src = randomU8(S * S * 3, 5);
  // a tiny rotation / scale-free general path with flip should be close to the mirror where the
  // sampling is near-integer: check with translate of exactly one pixel instead (integer shift)
  const out = new Float32Array(S * S * 3);
  const rngs = [0 /* flip */, 0.5 /* scale */, 0.5 /* angle 0 */, 1 /* tx = +t */, 0.5 /* ty 0 */];
  let k = 0;
  const fake = () => rngs[k++ % rngs.length];
  augment(src, out, fake, { flip: 1, scale: [1, 1], rotateDeg: 10, translate: 1 / S });
  // with flip and a +1 px shift: out(x) = src(mirror(x - 1)), clamped at the left edge
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      const sx = Math.min(S - 1, S - 1 - (x - 1));
      for (let c = 0; c < 3; c++) {
        const o = out[(y * S + x) * 3 + c];
        const e = src[(y * S + sx) * 3 + c] / 255;
        if (Math.abs(o - e) > 1e-6) assert.unreachable(`(${x},${y},${c}) ${o} != ${e}`);
      }
    }
  // random augmentation: bounded values, writes at offsets only
  const big = new Uint8Array(3 * S * S * 3);
  big.set(src, S * S * 3);
  const o2 = new Float32Array(2 * S * S * 3).fill(-1);
  const rng = makeRng(9);
  for (let r = 0; r < 20; r++) augment(big, o2, rng, {}, S, S * S * 3, S * S * 3);
  assert.ok(o2.subarray(0, S * S * 3).every((v) => v === -1));
  assert.ok(o2.subarray(S * S * 3).every((v) => v >= 0 && v <= 1));
});

test('augment greyscale: p 1 writes the BT.601 luma of the geometric result to all three channels; p 0 draws no sixth number', () => {
  const S = 20;
  const src = randomU8(S * S * 3, 7);
  const geo = { flip: 0.5, scale: [0.9, 1.1] as [number, number], rotateDeg: 10, translate: 0.06 };
  const colour = new Float32Array(S * S * 3), grey = new Float32Array(S * S * 3);
  augment(src, colour, makeRng(3), geo);
  augment(src, grey, makeRng(3), { ...geo, greyscale: 1 });
  for (let i = 0; i < colour.length; i += 3) {
    const e = Math.fround(0.299 * colour[i] + 0.587 * colour[i + 1] + 0.114 * colour[i + 2]);
    for (let c = 0; c < 3; c++) if (Math.abs(grey[i + c] - e) > 1e-7) assert.unreachable(`pixel ${i / 3} channel ${c}: ${grey[i + c]} != ${e}`);
  }
  // greyscale 0 leaves the seeded stream as it was: five draws a call
  const a = makeRng(11), b = makeRng(11);
  augment(src, colour, a, { ...geo, greyscale: 0 });
  augment(src, grey, b, geo);
  assert.is(a(), b());
});

test('augment photometric: p 1 keeps values in [0, 1] and changes the image; a flat image stays flat up to the gains; p 0 draws nothing', () => {
  const S = 24;
  const src = randomU8(S * S * 3, 8);
  const plain = new Float32Array(S * S * 3), photo = new Float32Array(S * S * 3);
  const rng = makeRng(5);
  for (let r = 0; r < 10; r++) {
    const seed = 100 + r;
    augment(src, plain, makeRng(seed), {});
    augment(src, photo, makeRng(seed), { photometric: 1 });
    assert.ok(photo.every((v) => v >= 0 && v <= 1));
    assert.ok(photo.some((v, i) => v !== plain[i]), `draw ${r}: nothing changed`);
  }
  const flat = new Uint8Array(S * S * 3).fill(100);
  augment(flat, photo, rng, { photometric: 1, flip: 0, scale: [1, 1], rotateDeg: 0, translate: 0 });
  for (let c = 0; c < 3; c++)
    for (let i = c; i < photo.length; i += 3) if (Math.abs(photo[i] - photo[c]) > 1e-6) assert.unreachable(`channel ${c} not flat at ${i}: ${photo[i]} vs ${photo[c]}`);
  const a = makeRng(12), b = makeRng(12);
  augment(src, plain, a, { photometric: 0 });
  augment(src, photo, b, {});
  assert.is(a(), b());
});

test('augment is fast (64x64)', () => {
  const S = 64;
  const src = randomU8(S * S * 3, 6);
  const out = new Float32Array(S * S * 3);
  const rng = makeRng(1);
  for (let i = 0; i < 200; i++) augment(src, out, rng);
  const t0 = performance.now();
  for (let i = 0; i < 2000; i++) augment(src, out, rng);
  const ms = (performance.now() - t0) / 2000;
  console.log(`  augment 64x64: ${(ms * 1000).toFixed(1)} us per image`);
  assert.ok(ms < 2, `${ms} ms per image`);
});

test('makeBatch fills NHWC batches, reuses buffers and handles the last partial batch', () => {
  const S = 8, N = 5;
  const ds = { images: randomU8(N * S * S * 3, 8), ages: Float32Array.from([1, 2, 3, 4, 5]), files: ['a', 'b', 'c', 'd', 'e'], size: S };
  const idx = Int32Array.from([4, 0, 2, 1, 3]);
  const b1 = makeBatch(ds, idx, 0, 2, makeRng(1), false);
  assert.is(b1.n, 2);
  assert.equal(Array.from(b1.y), [5, 1]);
  assert.is(b1.x.length, 2 * S * S * 3);
  for (let i = 0; i < S * S * 3; i++) {
    assert.is(b1.x[i], Math.fround(ds.images[4 * S * S * 3 + i] / 255));
    assert.is(b1.x[S * S * 3 + i], Math.fround(ds.images[i] / 255));
  }
  const b2 = makeBatch(ds, idx, 2, 2, makeRng(1), true);
  assert.is(b2.x.buffer, b1.x.buffer);
  const b3 = makeBatch(ds, idx, 4, 2, makeRng(1), false);
  assert.is(b3.n, 1);
  assert.is(b3.x.length, S * S * 3);
  assert.equal(Array.from(b3.y), [4]);
});

// --- labels ----------------------------------------------------------------------------------

test('readLabels parses labels.csv', () => {
  const d = tmpDir();
  fs.writeFileSync(path.join(d, 'labels.csv'),
    'file,age,gender,race,split\r\n1_0_0_a.jpg,1,0,0,train\r\n35_1__b.jpg,35,1,,test\r\n\r\n"c,d.png",80,0,4,train\r\n');
  const rows = readLabels(d);
  assert.equal(rows, [
    { file: '1_0_0_a.jpg', age: 1, split: 'train', gender: 0, race: 0 },
    { file: '35_1__b.jpg', age: 35, split: 'test', gender: 1, race: null },
    { file: 'c,d.png', age: 80, split: 'train', gender: 0, race: 4 },
  ]);
});

test('readLabels rejects malformed rows with the line number', () => {
  const bad: Array<[string, RegExp]> = [
    ['file,age,split\na.jpg,x,train\n', /line 2: age must be/],
    ['file,age,split\na.jpg,3\n', /line 2: expected 3 fields/],
    ['file,age,split\na.jpg,3,train\n,4,train\n', /line 3: empty file name/],
    ['file,age,split\na.jpg,3,train\na.jpg,4,train\n', /line 3: duplicate/],
    ['file,age,split\na.jpg,300,train\n', /outside 0..150/],
    ['name,years\na.jpg,3\n', /header must name/],
    ['file,age,split\n../a.jpg,3,train\n', /relative/],
    ['', /empty file/],
  ];
  for (const [csv, re] of bad) assert.throws(() => parseLabelsCsv(csv), re, csv);
});

test('readLabels falls back to UTKFace-style names (in dir or dir/images)', () => {
  const d = tmpDir();
  fs.mkdirSync(path.join(d, 'images'));
  for (const n of ['26_1_2_20170116174525125.jpg.chip.jpg', '3_0_0_x.jpg', '39_1_20170116174525125.jpg', 'notes.txt'])
    fs.writeFileSync(path.join(d, 'images', n), '');
  const rows = readLabels(d);
  assert.equal(rows, [
    { file: '26_1_2_20170116174525125.jpg.chip.jpg', age: 26, split: 'train', gender: 1, race: 2 },
    { file: '39_1_20170116174525125.jpg', age: 39, split: 'train', gender: 1, race: null },
    { file: '3_0_0_x.jpg', age: 3, split: 'train', gender: 0, race: 0 },
  ]);
  const d2 = tmpDir();
  fs.writeFileSync(path.join(d2, '50_0_1_y.png'), '');
  assert.equal(readLabels(d2).map((r) => [r.file, r.age]), [['50_0_1_y.png', 50]]);
  fs.writeFileSync(path.join(d2, 'face.jpg'), '');
  assert.throws(() => readLabels(d2), /not named age_gender_race/);
  assert.throws(() => readLabels(path.join(d2, 'nope')), /does not exist/);
});

// --- decoding --------------------------------------------------------------------------------

test('decodeImage decodes PNG exactly (alpha dropped)', () => {
  const w = 13, h = 7;
  const rgb = randomU8(w * h * 3, 10);
  const png = PNG.sync.write({ width: w, height: h, data: rgba(rgb, 77) });
  const img = decodeImage(new Uint8Array(png), 'x.png');
  assert.is(img.width, w);
  assert.is(img.height, h);
  assert.equal(Array.from(img.data), Array.from(rgb));
});

test('decodeImage decodes JPEG approximately', () => {
  const w = 32, h = 24;
  const rgb = smoothRgb(w, h);
  const enc = jpeg.encode({ width: w, height: h, data: rgba(rgb) }, 95);
  const img = decodeImage(new Uint8Array(enc.data), 'x.jpg');
  assert.is(img.width, w);
  assert.is(img.height, h);
  assert.is(img.data.length, w * h * 3);
  let sum = 0;
  for (let i = 0; i < rgb.length; i++) sum += Math.abs(img.data[i] - rgb[i]);
  const mad = sum / rgb.length;
  assert.ok(mad < 3, `mean abs diff ${mad}`);
});

test('decodeImage rejects other formats clearly', () => {
  assert.throws(() => decodeImage(new TextEncoder().encode('GIF89a....'), 'a.gif'), /a\.gif: not a JPEG or PNG \(first bytes: 47 49 46/);
  assert.throws(() => decodeImage(new Uint8Array(0), 'empty.jpg'), /empty/);
  assert.throws(() => decodeImage(Uint8Array.from([0xff, 0xd8, 0xff, 0, 1, 2]), 'trunc.jpg'), /trunc\.jpg: JPEG decode failed/);
});

// --- dataset and cache -----------------------------------------------------------------------

test('loadDataset decodes, resizes, caches, and reloads from the cache', () => {
  const d = tmpDir();
  const cacheDir = path.join(d, 'cache');
  fs.mkdirSync(path.join(d, 'images'));
  const W = 20, H = 20;
  const imgs: Uint8Array[] = [];
  const lines = ['file,age,gender,race,split'];
  for (let i = 0; i < 6; i++) {
    const rgb = randomU8(W * H * 3, 100 + i);
    imgs.push(rgb);
    const name = `${10 + i}_0_0_${i}.png`;
    fs.writeFileSync(path.join(d, 'images', name), PNG.sync.write({ width: W, height: H, data: rgba(rgb) }));
    lines.push(`${name},${10 + i},0,0,${i % 3 === 2 ? 'test' : 'train'}`);
  }
  fs.writeFileSync(path.join(d, 'labels.csv'), lines.join('\n') + '\n');
  const progress: number[] = [];
  const a = loadDataset(d, { size: 8, split: 'train', cacheDir, onProgress: (done) => progress.push(done) });
  assert.is(a.fromCache, false);
  assert.equal(a.files, ['10_0_0_0.png', '11_0_0_1.png', '13_0_0_3.png', '14_0_0_4.png']);
  assert.equal(Array.from(a.ages), [10, 11, 13, 14]);
  assert.is(a.images.length, 4 * 8 * 8 * 3);
  assert.is(progress[progress.length - 1], 4);
  const exp = toU8Round(resizeBilinearRGB(imgs[3], W, H, 8, 8));
  assert.equal(Array.from(a.images.subarray(2 * 192, 3 * 192)), Array.from(exp));
  const b = loadDataset(d, { size: 8, split: 'train', cacheDir });
  assert.is(b.fromCache, true);
  assert.equal(Array.from(b.images), Array.from(a.images));
  assert.equal(b.files, a.files);
  assert.equal(Array.from(b.ages), Array.from(a.ages));
  const t = loadDataset(d, { size: 8, split: 'test', cacheDir });
  assert.is(t.fromCache, false);
  assert.equal(t.files, ['12_0_0_2.png', '15_0_0_5.png']);
  // a changed label invalidates the cache
  fs.writeFileSync(path.join(d, 'labels.csv'), lines.join('\n').replace('11_0_0_1.png,11', '11_0_0_1.png,12') + '\n');
  const c = loadDataset(d, { size: 8, split: 'train', cacheDir });
  assert.is(c.fromCache, false);
  assert.is(c.ages[1], 12);
  assert.throws(() => loadDataset(d, { size: 8, split: 'val', cacheDir }), /no images in split 'val'/);
  fs.rmSync(path.join(d, 'images', '10_0_0_0.png'));
  assert.throws(() => loadDataset(d, { size: 9, split: 'train', cacheDir }), /cannot read image .*10_0_0_0\.png/);
});

test('demographics names UTKFace race and gender codes', () => {
  const rows = parseLabelsCsv('file,age,gender,race,split\na.jpg,30,0,2,test\nb.jpg,40,1,0,test\nc.jpg,50,,,test\n', 'labels.csv');
  assert.equal(demographics(rows), { race: ['Asian', 'White', 'unknown'], gender: ['male', 'female', 'unknown'] });
});

test.run();
