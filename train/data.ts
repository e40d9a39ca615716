/**
 * Training data: UTKFace labels, image decoding, the resize to the training input size, a u8 cache
 * of the resized images, the validation split, augmentation and batching. Pure TypeScript over
 * typed arrays (jpeg-js and pngjs for decoding); no tfjs here.
 *
 * Preprocessing contract (what the model sees):
 *   1. the decoded RGB u8 chip (128x128 for the prepared UTKFace set) is resized to S x S with
 *      `resizeBilinearRGB`, which reproduces tfjs `tf.image.resizeBilinear(img, [S, S], false, true)`
 *      (bilinear, half-pixel centres) on the float image;
 *   2. the result is rounded to the nearest integer and stored as u8 in the cache (`toU8Round`);
 *   3. at batch time `augment` maps u8 -> f32 in [0, 1] (x / 255), optionally through a random
 *      flip / scale / rotation / translation.
 * The runtime (src/image.ts) resizes the user's u8 image with the same formula and scales to
 * [0, 1] without the intermediate rounding. For a 128x128 chip the only difference between
 * training and inference input is therefore the rounding to u8 in step 2 (at most 0.5/255 per
 * value).
 *
 * The cache lives in `<repo>/train/cache/` (git-ignored): one raw file of N*S*S*3 bytes (RGB,
 * row-major, image after image) plus a JSON index (files, ages, key fields), named by a hash of
 * (data dir realpath, split, size, file count, format version).
 *
 * CLI: `node --import tsx train/data.ts [--data DIR] [--sizes 64,96] [--splits train,test]`
 * builds the caches (each split is decoded once for all sizes).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as jpeg from 'jpeg-js';
import { parseCsvRecord } from '../src/csv.ts';

const require = createRequire(import.meta.url);
// pngjs ships no type declarations; type the one entry point used here.
const { PNG } = require('pngjs') as {
  PNG: {
    sync: {
      read(buf: Buffer): { width: number; height: number; data: Buffer };
      write(png: { width: number; height: number; data: Uint8Array }, opts?: Record<string, unknown>): Buffer;
    };
  };
};

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_CACHE_DIR = path.join(REPO_ROOT, 'train', 'cache');
/** `process.env.DAA_DATA` or `<repo>/../shared/data/utkface`. */
export const DEFAULT_DATA_DIR = process.env.DAA_DATA ?? path.resolve(REPO_ROOT, '../shared/data/utkface');
/** Bumped whenever the cached bytes would change (decoder, resize, rounding, layout). */
export const CACHE_FORMAT_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// Labels

export interface LabelRow {
  /** file name, relative to `imageDir(dir)` */
  file: string;
  /** age in years */
  age: number;
  /** 'train' | 'test' from labels.csv; 'train' for every file when read from file names */
  split: 'train' | 'test' | string;
  /** 0 = male, 1 = female; null where unknown */
  gender: number | null;
  /** 0..4 (White, Black, Asian, Indian, Others); null where unknown */
  race: number | null;
}

/** UTKFace's race codes (Label.race) in code order, as its README names them */
export const UTK_RACES = ['White', 'Black', 'Asian', 'Indian', 'Others'] as const;

/** A label's race and gender as group names for per-group metrics ('unknown' where the label lacks one). */
export function demographics(rows: ReadonlyArray<LabelRow>): { race: string[]; gender: string[] } {
  return {
    race: rows.map((r) => (r.race === null ? 'unknown' : (UTK_RACES[r.race] ?? `race ${r.race}`))),
    gender: rows.map((r) => (r.gender === 0 ? 'male' : r.gender === 1 ? 'female' : 'unknown')),
  };
}

const IMAGE_EXT = /\.(jpe?g|png)$/i;
/** UTKFace names: `age_gender_race_date.jpg` (some originals lack the race: `age_gender_date.jpg`). */
const UTK_NAME = /^(\d{1,3})_(\d*)_(?:(\d*)_)?[^/\\]*\.(jpe?g|png)$/i;

/** The folder the label file names are relative to: `dir/images` when it exists, else `dir`. */
export function imageDir(dir: string): string {
  const sub = path.join(dir, 'images');
  return fs.existsSync(sub) && fs.statSync(sub).isDirectory() ? sub : dir;
}

function parseOptInt(s: string | undefined, what: string, where: string): number | null {
  if (s === undefined || s.trim() === '') return null;
  if (!/^\s*\d+\s*$/.test(s)) throw new Error(`${where}: ${what} must be a non-negative integer or empty, got ${JSON.stringify(s)}`);
  return Number(s);
}

function parseAge(s: string | undefined, where: string): number {
  const t = (s ?? '').trim();
  if (!/^\d+(\.\d+)?$/.test(t)) throw new Error(`${where}: age must be a non-negative number, got ${JSON.stringify(s ?? '')}`);
  const age = Number(t);
  if (!(age >= 0 && age <= 150)) throw new Error(`${where}: age ${age} is outside 0..150`);
  return age;
}

/** Parse the text of a labels.csv (header with at least `file` and `age`; `split`, `gender`, `race` optional). */
export function parseLabelsCsv(text: string, source = 'labels.csv'): LabelRow[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let h = 0;
  while (h < lines.length && lines[h].trim() === '') h++;
  if (h === lines.length) throw new Error(`${source}: empty file (expected a header file,age,...)`);
  const header = parseCsvRecord(lines[h]).map((s) => s.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name);
  const iFile = col('file');
  const iAge = col('age');
  const iSplit = col('split');
  const iGender = col('gender');
  const iRace = col('race');
  if (iFile < 0 || iAge < 0)
    throw new Error(`${source}: header must name the columns 'file' and 'age', got ${JSON.stringify(lines[h])}`);
  const rows: LabelRow[] = [];
  const seen = new Set<string>();
  for (let i = h + 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const where = `${source} line ${i + 1}`;
    let f: string[];
    try {
      f = parseCsvRecord(line);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
    if (f.length !== header.length)
      throw new Error(`${where}: expected ${header.length} fields (${header.join(',')}), got ${f.length}: ${JSON.stringify(line)}`);
    const file = f[iFile].trim();
    if (file === '') throw new Error(`${where}: empty file name`);
    if (path.isAbsolute(file) || file.split(/[/\\]/).includes('..'))
      throw new Error(`${where}: file name must be relative without '..', got ${JSON.stringify(file)}`);
    if (seen.has(file)) throw new Error(`${where}: duplicate file ${JSON.stringify(file)}`);
    seen.add(file);
    const age = parseAge(f[iAge], where);
    const split = iSplit >= 0 ? f[iSplit].trim() : 'train';
    if (split === '') throw new Error(`${where}: empty split`);
    rows.push({
      file,
      age,
      split,
      gender: iGender >= 0 ? parseOptInt(f[iGender], 'gender', where) : null,
      race: iRace >= 0 ? parseOptInt(f[iRace], 'race', where) : null,
    });
  }
  return rows;
}

/** Labels from UTKFace-style names `age_gender_race_*.jpg` (sorted by name; split 'train'). */
export function labelsFromNames(names: readonly string[], source = 'file names'): LabelRow[] {
  const rows: LabelRow[] = [];
  const bad: string[] = [];
  for (const name of [...names].sort()) {
    if (!IMAGE_EXT.test(name)) continue;
    const m = UTK_NAME.exec(name);
    if (!m) { bad.push(name); continue; }
    const age = Number(m[1]);
    if (age > 150) { bad.push(name); continue; }
    rows.push({
      file: name,
      age,
      split: 'train',
      gender: m[2] === '' ? null : Number(m[2]),
      race: m[3] === undefined || m[3] === '' ? null : Number(m[3]),
    });
  }
  if (bad.length)
    throw new Error(`${source}: ${bad.length} image file(s) not named age_gender_race_*.jpg, e.g. ${bad.slice(0, 3).map((b) => JSON.stringify(b)).join(', ')}`);
  return rows;
}

/**
 * Labels of a data folder: `dir/labels.csv` when present, else UTKFace-style file names in
 * `dir/images` (or `dir`), every one with split 'train'.
 */
export function readLabels(dir: string): LabelRow[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`data folder ${dir} does not exist`);
  const csv = path.join(dir, 'labels.csv');
  if (fs.existsSync(csv)) return parseLabelsCsv(fs.readFileSync(csv, 'utf8'), csv);
  const idir = imageDir(dir);
  const rows = labelsFromNames(fs.readdirSync(idir), idir);
  if (rows.length === 0) throw new Error(`${dir}: no labels.csv and no images named age_gender_race_*.jpg in ${idir}`);
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Decoding and resizing

export interface RgbImage {
  /** RGB, row-major, width*height*3 bytes */
  data: Uint8Array;
  width: number;
  height: number;
}

/** Decode a JPEG or PNG (detected by magic bytes) to RGB u8; alpha is dropped. */
export function decodeImage(bytes: Uint8Array, name = 'image'): RgbImage {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    let img: { width: number; height: number; data: Uint8Array };
    try {
      img = jpeg.decode(b, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
    } catch (e) {
      throw new Error(`${name}: JPEG decode failed: ${(e as Error).message}`);
    }
    const n = img.width * img.height;
    if (img.data.length === n * 3) return { data: img.data, width: img.width, height: img.height };
    if (img.data.length === n * 4) return { data: dropAlpha(img.data, n), width: img.width, height: img.height };
    throw new Error(`${name}: JPEG decoder returned ${img.data.length} bytes for ${img.width}x${img.height}`);
  }
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) {
    let png: { width: number; height: number; data: Buffer };
    try {
      png = PNG.sync.read(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    } catch (e) {
      throw new Error(`${name}: PNG decode failed: ${(e as Error).message}`);
    }
    // pngjs always returns 8-bit RGBA (grey, palette and 16-bit inputs are converted).
    return { data: dropAlpha(png.data, png.width * png.height), width: png.width, height: png.height };
  }
  const head = Array.from(b.subarray(0, 8), (v) => v.toString(16).padStart(2, '0')).join(' ');
  throw new Error(`${name}: not a JPEG or PNG (first bytes: ${head || 'none, empty file'})`);
}

function dropAlpha(rgba: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n * 3);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    out[i * 3] = rgba[j];
    out[i * 3 + 1] = rgba[j + 1];
    out[i * 3 + 2] = rgba[j + 2];
  }
  return out;
}

/**
 * Bilinear resize of an RGB u8 image to dw x dh floats in [0, 255], reproducing the tfjs cpu
 * kernel of `tf.image.resizeBilinear(img, [dh, dw], alignCorners=false, halfPixelCenters=true)`
 * on the float image: source coordinate f = (sw/dw) * (x + 0.5) - 0.5 (f64), lo = max(0, floor f),
 * frac = f - lo (negative on the first row/column when upsampling, where lo = hi = 0 anyway),
 * hi = min(n - 1, ceil f); value = top + (bottom - top) * fracY with top/bottom interpolated in x
 * (JS f64 arithmetic, stored as f32, as the tfjs kernel does).
 */
export function resizeBilinearRGB(src: Uint8Array, sw: number, sh: number, dw: number, dh: number, out?: Float32Array): Float32Array {
  if (src.length < sw * sh * 3) throw new Error(`resizeBilinearRGB: source has ${src.length} bytes, need ${sw * sh * 3}`);
  if (!(dw >= 1 && dh >= 1 && sw >= 1 && sh >= 1)) throw new Error(`resizeBilinearRGB: bad sizes ${sw}x${sh} -> ${dw}x${dh}`);
  const dst = out ?? new Float32Array(dw * dh * 3);
  if (dst.length < dw * dh * 3) throw new Error(`resizeBilinearRGB: output has ${dst.length} values, need ${dw * dh * 3}`);
  const rx = sw / dw;
  const ry = sh / dh;
  const x0 = new Int32Array(dw);
  const x1 = new Int32Array(dw);
  const fx = new Float64Array(dw);
  for (let x = 0; x < dw; x++) {
    const f = rx * (x + 0.5) - 0.5;
    const lo = Math.max(0, Math.floor(f));
    x0[x] = lo * 3;
    x1[x] = Math.min(sw - 1, Math.ceil(f)) * 3;
    fx[x] = f - lo;
  }
  let o = 0;
  for (let y = 0; y < dh; y++) {
    const f = ry * (y + 0.5) - 0.5;
    const lo = Math.max(0, Math.floor(f));
    const fy = f - lo;
    const top = lo * sw * 3;
    const bot = Math.min(sh - 1, Math.ceil(f)) * sw * 3;
    for (let x = 0; x < dw; x++) {
      const a = top + x0[x], b = top + x1[x], c = bot + x0[x], d = bot + x1[x];
      const w = fx[x];
      for (let ch = 0; ch < 3; ch++) {
        const tl = src[a + ch], tr = src[b + ch], bl = src[c + ch], br = src[d + ch];
        const t = tl + (tr - tl) * w;
        const bo = bl + (br - bl) * w;
        dst[o++] = t + (bo - t) * fy;
      }
    }
  }
  return dst;
}

/** Round floats to the nearest integer (halves up) and clamp to 0..255. */
export function toU8Round(src: Float32Array, out?: Uint8Array): Uint8Array {
  const dst = out ?? new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = Math.round(src[i]);
    dst[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return dst;
}

// ---------------------------------------------------------------------------------------------
// Dataset and cache

export interface Dataset {
  /** N*size*size*3 RGB u8 (image after image, row-major) */
  images: Uint8Array;
  ages: Float32Array;
  files: string[];
  size: number;
  /** whether this came from the cache (diagnostics) */
  fromCache?: boolean;
}

export interface LoadOptions {
  /** training input side S (images are S x S) */
  size: number;
  /** 'train' | 'test' (rows of labels.csv with that split), or 'all' */
  split?: string;
  /** default `<repo>/train/cache` */
  cacheDir?: string;
  /** false: neither read nor write the cache */
  cache?: boolean;
  onProgress?: (done: number, total: number) => void;
}

interface CacheIndex {
  version: number;
  dir: string;
  split: string;
  size: number;
  count: number;
  bytes: number;
  createdAt: string;
  decodeSeconds: number;
  files: string[];
  ages: number[];
}

function selectRows(dir: string, split: string): LabelRow[] {
  const all = readLabels(dir);
  const rows = split === 'all' ? all : all.filter((r) => r.split === split);
  if (rows.length === 0) {
    const splits = [...new Set(all.map((r) => r.split))].join(', ');
    throw new Error(`${dir}: no images in split '${split}' (splits present: ${splits || 'none'})`);
  }
  return rows;
}

function cachePaths(cacheDir: string, realDir: string, split: string, size: number, count: number) {
  const key = createHash('sha256').update(JSON.stringify([CACHE_FORMAT_VERSION, realDir, split, size, count])).digest('hex').slice(0, 16);
  const base = path.join(cacheDir, `${path.basename(realDir).replace(/[^A-Za-z0-9_.-]/g, '_')}-${split}-${size}-${key}`);
  return { bin: `${base}.u8`, index: `${base}.json` };
}

function tryReadCache(p: { bin: string; index: string }, realDir: string, split: string, size: number, rows: LabelRow[]): Dataset | null {
  if (!fs.existsSync(p.index) || !fs.existsSync(p.bin)) return null;
  let idx: CacheIndex;
  try {
    idx = JSON.parse(fs.readFileSync(p.index, 'utf8')) as CacheIndex;
  } catch {
    return null;
  }
  const n = rows.length;
  const bytes = n * size * size * 3;
  if (idx.version !== CACHE_FORMAT_VERSION || idx.dir !== realDir || idx.split !== split || idx.size !== size || idx.count !== n || idx.bytes !== bytes)
    return null;
  if (!Array.isArray(idx.files) || idx.files.length !== n || !Array.isArray(idx.ages)) return null;
  for (let i = 0; i < n; i++) if (idx.files[i] !== rows[i].file || idx.ages[i] !== rows[i].age) return null;
  if (fs.statSync(p.bin).size !== bytes) return null;
  const buf = fs.readFileSync(p.bin);
  return {
    images: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength),
    ages: Float32Array.from(idx.ages),
    files: idx.files,
    size,
    fromCache: true,
  };
}

function writeCache(p: { bin: string; index: string }, idx: CacheIndex, images: Uint8Array) {
  fs.mkdirSync(path.dirname(p.bin), { recursive: true });
  const tmp = `.tmp-${process.pid}-${Date.now()}`;
  fs.writeFileSync(p.bin + tmp, images);
  fs.renameSync(p.bin + tmp, p.bin);
  fs.writeFileSync(p.index + tmp, JSON.stringify(idx));
  fs.renameSync(p.index + tmp, p.index);
}

/** Decode every row's image once and resize it to each of `sizes` (rounded to u8). */
function decodeRows(dir: string, rows: LabelRow[], sizes: number[], onProgress?: (done: number, total: number) => void): Uint8Array[] {
  const idir = imageDir(dir);
  const outs = sizes.map((s) => new Uint8Array(rows.length * s * s * 3));
  const tmp = sizes.map((s) => new Float32Array(s * s * 3));
  const total = rows.length;
  for (let i = 0; i < total; i++) {
    const file = path.join(idir, rows[i].file);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch (e) {
      throw new Error(`cannot read image ${file} (listed in ${dir}): ${(e as Error).message}`);
    }
    const img = decodeImage(bytes, file);
    for (let k = 0; k < sizes.length; k++) {
      const s = sizes[k];
      resizeBilinearRGB(img.data, img.width, img.height, s, s, tmp[k]);
      toU8Round(tmp[k], outs[k].subarray(i * s * s * 3, (i + 1) * s * s * 3));
    }
    if (onProgress && ((i + 1) % 256 === 0 || i + 1 === total)) onProgress(i + 1, total);
  }
  return outs;
}

/**
 * All images of one split, resized to size x size and rounded to u8, with their ages. Built from
 * the data folder on the first call (decoding ~18k 128x128 JPEGs takes about a minute) and cached
 * in `cacheDir`; later calls read the cache (well under 2 s).
 */
export function loadDataset(dir: string, opts: LoadOptions): Dataset {
  return loadDatasets(dir, { ...opts, sizes: [opts.size] })[0];
}

/** `loadDataset` for several sizes of one split, decoding the images at most once. */
export function loadDatasets(dir: string, opts: Omit<LoadOptions, 'size'> & { sizes: number[] }): Dataset[] {
  const split = opts.split ?? 'train';
  for (const s of opts.sizes) if (!Number.isInteger(s) || s < 1 || s > 1024) throw new Error(`loadDataset: size must be an integer 1..1024, got ${s}`);
  const realDir = fs.realpathSync(dir);
  const rows = selectRows(realDir, split);
  const cacheDir = opts.cacheDir ?? DEFAULT_CACHE_DIR;
  const useCache = opts.cache !== false;
  const result: (Dataset | null)[] = opts.sizes.map((size) =>
    useCache ? tryReadCache(cachePaths(cacheDir, realDir, split, size, rows.length), realDir, split, size, rows) : null,
  );
  const missing = opts.sizes.filter((_, k) => result[k] === null);
  if (missing.length) {
    const t0 = performance.now();
    const built = decodeRows(realDir, rows, missing, opts.onProgress);
    const secs = (performance.now() - t0) / 1000;
    const ages = rows.map((r) => r.age);
    const files = rows.map((r) => r.file);
    for (let j = 0; j < missing.length; j++) {
      const size = missing[j];
      const k = opts.sizes.indexOf(size);
      if (useCache) {
        writeCache(cachePaths(cacheDir, realDir, split, size, rows.length), {
          version: CACHE_FORMAT_VERSION, dir: realDir, split, size, count: rows.length, bytes: built[j].length,
          createdAt: new Date().toISOString(), decodeSeconds: secs, files, ages,
        }, built[j]);
      }
      result[k] = { images: built[j], ages: Float32Array.from(ages), files, size, fromCache: false };
    }
  }
  return result as Dataset[];
}

// ---------------------------------------------------------------------------------------------
// RNG, shuffling, validation split

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** In-place Fisher-Yates shuffle. */
export function shuffle<T extends Int32Array | Uint32Array | number[]>(a: T, rng: () => number): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/**
 * The rows of one split for evaluation: 'test' and 'train' as labelled; 'val' the trainers' validation
 * part of the train split (splitValidation, 10 %, seed 1: the trainers' defaults and what
 * train/gpu/pack.ts holds out).
 */
export function evalRows(labels: LabelRow[], split: string): LabelRow[] {
  if (split !== 'val') return labels.filter((r) => r.split === split);
  const train = labels.filter((r) => r.split === 'train');
  return Array.from(splitValidation(train.length, 0.1, 1).val, (i) => train[i]);
}

/**
 * The validation draw (splitValidation's seed and fraction) a training run held out, from the options
 * its checkpoint.json records: a tfjs run's --split-seed (default: its --seed) and --val-fraction
 * (defaults 1 and 0.1); a run imported from the GPU trainer, its pack's split (train/gpu/import.ts
 * records it as valSplit; runs imported before it did used train/gpu/pack.ts's defaults, seed 1 and
 * 10 %, which import.ts checked against the pack). A GPU run's own seed is PyTorch's, not the split's.
 */
export function heldOutSplit(options: Record<string, unknown>): { seed: number; fraction: number } {
  if (options.trainer === 'train/gpu/train_daa.py') {
    const v = (options.valSplit ?? { seed: 1, valFraction: 0.1 }) as { seed: number; valFraction: number };
    return { seed: Number(v.seed), fraction: Number(v.valFraction) };
  }
  return { seed: Number(options['split-seed'] ?? options.seed ?? 1), fraction: Number(options['val-fraction'] ?? 0.1) };
}

/**
 * Deterministic split of indices 0..n-1 (of the train split) into train and validation parts:
 * a seeded shuffle, the first round(n * fraction) indices go to validation. Both sorted ascending.
 */
export function splitValidation(n: number, fraction = 0.1, seed = 1234): { train: Int32Array; val: Int32Array } {
  if (!Number.isInteger(n) || n < 0) throw new Error(`splitValidation: n must be a non-negative integer, got ${n}`);
  if (!(fraction >= 0 && fraction <= 1)) throw new Error(`splitValidation: fraction must be in [0, 1], got ${fraction}`);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  shuffle(perm, makeRng(seed));
  const nv = Math.round(n * fraction);
  return { train: perm.slice(nv).sort(), val: perm.slice(0, nv).sort() };
}

// ---------------------------------------------------------------------------------------------
// Augmentation and batches

export interface AugmentOptions {
  /** false: no augmentation, out = x / 255 */
  enabled?: boolean;
  /** probability of a horizontal flip (true = 0.5, false = 0); default 0.5 */
  flip?: boolean | number;
  /** uniform scale range; default [0.9, 1.1] */
  scale?: [number, number];
  /** uniform rotation in [-rotateDeg, rotateDeg] degrees; default 10 */
  rotateDeg?: number;
  /** uniform translation in [-t, t] * size on each axis; default 0.06 */
  translate?: number;
  /** probability of turning the image to greyscale (BT.601 luma in all three channels), for
   *  black-and-white photos and infrared webcams; default 0 */
  greyscale?: number;
  /** probability of a photometric change, for what cameras do that the chips do not: exposure gain
   *  uniform in [0.5, 1.25], red and blue gains (white balance) uniform in [0.85, 1.15], then a
   *  Gaussian blur with sigma uniform in [0, 1.2] output pixels; values saturate at 1; default 0 */
  photometric?: number;
}

export const DEFAULT_AUGMENT: Required<AugmentOptions> = { enabled: true, flip: 0.5, scale: [0.9, 1.1], rotateDeg: 10, translate: 0.06, greyscale: 0, photometric: 0 };
const INV255 = 1 / 255;

/**
 * One image src (size x size RGB u8, from `srcOffset`) -> out (f32 in [0, 1], from `outOffset`).
 * With augmentation: a random horizontal flip, scale, rotation about the centre and translation,
 * applied as one inverse affine map from output pixel centres to source coordinates, sampled
 * bilinearly with the coordinates clamped to the image (edge pixels repeat). Exactly x / 255
 * (f32) when disabled (no random draws); an exact mirror when only the flip is on. Allocation-free.
 * When enabled, every call draws exactly five numbers (flip, scale, angle, tx, ty) whatever the
 * ranges, so a seeded stream stays aligned; one more (greyscale) only when `greyscale` > 0 and five
 * more (apply, exposure, red, blue, sigma) only when `photometric` > 0, so streams without them are
 * the same as before they existed (drawn in that order; applied photometric first, then greyscale).
 */
export function augment(
  src: Uint8Array, out: Float32Array, rng: () => number, opts: AugmentOptions = DEFAULT_AUGMENT,
  size = Math.round(Math.sqrt(src.length / 3)), srcOffset = 0, outOffset = 0,
): void {
  const S = size;
  const n = S * S * 3;
  if (srcOffset + n > src.length || outOffset + n > out.length)
    throw new Error(`augment: buffers too small for ${S}x${S}x3 at offsets ${srcOffset}/${outOffset}`);
  if (opts.enabled === false) {
    for (let i = 0; i < n; i++) out[outOffset + i] = src[srcOffset + i] / 255;
    return;
  }
  const pf = opts.flip === undefined ? 0.5 : opts.flip === true ? 0.5 : opts.flip === false ? 0 : opts.flip;
  const [s0, s1] = opts.scale ?? DEFAULT_AUGMENT.scale;
  const rot = ((opts.rotateDeg ?? DEFAULT_AUGMENT.rotateDeg) * Math.PI) / 180;
  const tr = (opts.translate ?? DEFAULT_AUGMENT.translate) * S;
  const flip = rng() < pf;
  const sc = s0 + (s1 - s0) * rng();
  const ang = rot * (2 * rng() - 1);
  const tx = tr * (2 * rng() - 1);
  const ty = tr * (2 * rng() - 1);
  const grey = (opts.greyscale ?? 0) > 0 && rng() < opts.greyscale!;
  warpInto(src, out, S, srcOffset, outOffset, flip, sc, ang, tx, ty);
  if ((opts.photometric ?? 0) > 0) {
    const on = rng() < opts.photometric!;
    const gain = 0.5 + 0.75 * rng(), r = 0.85 + 0.3 * rng(), b = 0.85 + 0.3 * rng(), sigma = 1.2 * rng();
    if (on) photometricInPlace(out, S, outOffset, gain * r, gain, gain * b, sigma);
  }
  if (grey) for (let i = outOffset; i < outOffset + n; i += 3) out[i] = out[i + 1] = out[i + 2] = 0.299 * out[i] + 0.587 * out[i + 1] + 0.114 * out[i + 2];
}

let blurTmp = new Float32Array(0);
let blurKernel = new Float32Array(0);

/** Channel gains (saturating at 1), then a Gaussian blur (radius ceil(2.5 sigma); none below sigma
 *  0.3), on one S x S x 3 f32 image of `out` at `offset`. */
function photometricInPlace(out: Float32Array, S: number, offset: number, gr: number, gg: number, gb: number, sigma: number): void {
  const n = S * S * 3;
  for (let i = offset; i < offset + n; i += 3) {
    out[i] = Math.min(1, out[i] * gr);
    out[i + 1] = Math.min(1, out[i + 1] * gg);
    out[i + 2] = Math.min(1, out[i + 2] * gb);
  }
  if (sigma < 0.3) return;
  if (blurTmp.length < n) blurTmp = new Float32Array(n);
  gaussianBlurRgb(out, offset, S, S, sigma, 2.5, blurTmp, out, offset);
}

/**
 * Separable Gaussian blur of a w x h RGB image (row-major, 3 values a pixel) read from `src` at
 * `srcOffset` and written to `out` at `outOffset`; radius max(1, ceil(radiusSigmas * sigma)), edges
 * clamped. The horizontal pass goes into `tmp` (w*h*3 floats) and the vertical pass from `tmp` into
 * `out`, so `out` may be the same region of the same array as `src` (in place).
 */
export function gaussianBlurRgb(
  src: ArrayLike<number>, srcOffset: number, w: number, h: number, sigma: number, radiusSigmas: number,
  tmp: Float32Array, out: Float32Array, outOffset: number,
): void {
  const r = Math.max(1, Math.ceil(radiusSigmas * sigma));
  if (blurKernel.length < 2 * r + 1) blurKernel = new Float32Array(2 * r + 1);
  const k = blurKernel;
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i <= 2 * r; i++) k[i] /= sum;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let i = -r; i <= r; i++) acc += k[i + r] * src[srcOffset + (y * w + Math.min(w - 1, Math.max(0, x + i))) * 3 + c];
        tmp[(y * w + x) * 3 + c] = acc;
      }
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let i = -r; i <= r; i++) acc += k[i + r] * tmp[(Math.min(h - 1, Math.max(0, y + i)) * w + x) * 3 + c];
        out[outOffset + (y * w + x) * 3 + c] = acc;
      }
}

/** augment's geometric part: out = src under the flip / scale / rotation / translation, / 255. */
function warpInto(src: Uint8Array, out: Float32Array, S: number, srcOffset: number, outOffset: number, flip: boolean, sc: number, ang: number, tx: number, ty: number): void {
  if (sc === 1 && ang === 0 && tx === 0 && ty === 0) {
    // pure copy or mirror: exact
    for (let y = 0; y < S; y++) {
      const row = srcOffset + y * S * 3;
      let o = outOffset + y * S * 3;
      for (let x = 0; x < S; x++) {
        const i = row + (flip ? S - 1 - x : x) * 3;
        out[o++] = src[i] / 255;
        out[o++] = src[i + 1] / 255;
        out[o++] = src[i + 2] / 255;
      }
    }
    return;
  }

  // Forward: p_out = c + t + sc * R(ang) * F(p_src - c), F = mirror in x when flipping.
  // Inverse: p_src = c + F(R(-ang) * (p_out - c - t) / sc); pixel centres at integer + 0.5.
  const c = S / 2;
  const cos = Math.cos(ang) / sc;
  const sin = Math.sin(ang) / sc;
  const fl = flip ? -1 : 1;
  const max = S - 1;
  let o = outOffset;
  for (let y = 0; y < S; y++) {
    const dy = y + 0.5 - c - ty;
    for (let x = 0; x < S; x++) {
      const dx = x + 0.5 - c - tx;
      // R(-ang) = [[cos, sin], [-sin, cos]]
      let u = fl * (cos * dx + sin * dy) + c - 0.5;
      let v = -sin * dx + cos * dy + c - 0.5;
      u = u < 0 ? 0 : u > max ? max : u;
      v = v < 0 ? 0 : v > max ? max : v;
      const x0 = u | 0;
      const y0 = v | 0;
      const fx = u - x0;
      const fy = v - y0;
      const x1 = x0 < max ? x0 + 1 : max;
      const y1 = y0 < max ? y0 + 1 : max;
      const a = srcOffset + (y0 * S + x0) * 3;
      const b = srcOffset + (y0 * S + x1) * 3;
      const d = srcOffset + (y1 * S + x0) * 3;
      const e = srcOffset + (y1 * S + x1) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const t = src[a + ch] + (src[b + ch] - src[a + ch]) * fx;
        const bo = src[d + ch] + (src[e + ch] - src[d + ch]) * fx;
        out[o++] = (t + (bo - t) * fy) * INV255;
      }
    }
  }
}

/**
 * Distillation targets (train/teacher.ts's JSON { ages: { file: age } }): `ages` with each of
 * `indices` replaced by (1 - weight) x its label + weight x the teacher's age; the others keep their
 * labels. Shared by train/train.ts and train/gpu/pack.ts (`--teacher FILE --teacher-weight W`).
 */
export function teacherTargets(ages: Float32Array, files: readonly string[], indices: Iterable<number>, teacherFile: string, weight: number): Float32Array {
  if (!(weight >= 0 && weight <= 1)) throw new Error(`--teacher-weight must be in 0..1, got ${weight}`);
  const teacher = JSON.parse(fs.readFileSync(teacherFile, 'utf8')) as { ages: Record<string, number> };
  const out = Float32Array.from(ages);
  for (const i of indices) {
    const t = teacher.ages[files[i]];
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new Error(`--teacher ${teacherFile}: no age for ${files[i]}`);
    out[i] = (1 - weight) * ages[i] + weight * t;
  }
  return out;
}

interface BatchBuffers { x: Float32Array; y: Float32Array; batchSize: number }
const batchBuffers = new WeakMap<Dataset, BatchBuffers>();

/**
 * Batch `indices[start .. start + batchSize)` (fewer at the end of `indices`) of `ds`: x is
 * [B, S, S, 3] NHWC f32 in [0, 1], y the ages [B]. The arrays are views of buffers kept per
 * dataset and overwritten by the next call: build the tensor from them (and, on the tfjs cpu
 * backend, which keeps a reference to the array it is given, dispose it or copy with .slice())
 * before the next makeBatch on the same dataset. `augmentOn`: true = DEFAULT_AUGMENT, false = none,
 * or explicit options.
 */
export function makeBatch(
  ds: Dataset, indices: ArrayLike<number>, start: number, batchSize: number, rng: () => number,
  augmentOn: boolean | AugmentOptions,
): { x: Float32Array; y: Float32Array; n: number } {
  const S = ds.size;
  const per = S * S * 3;
  let buf = batchBuffers.get(ds);
  if (!buf || buf.batchSize < batchSize) {
    buf = { x: new Float32Array(batchSize * per), y: new Float32Array(batchSize), batchSize };
    batchBuffers.set(ds, buf);
  }
  const B = Math.max(0, Math.min(batchSize, indices.length - start));
  const opts: AugmentOptions = augmentOn === true ? DEFAULT_AUGMENT : augmentOn === false ? { enabled: false } : augmentOn;
  const count = ds.ages.length;
  for (let b = 0; b < B; b++) {
    const idx = indices[start + b];
    if (!(idx >= 0 && idx < count)) throw new Error(`makeBatch: index ${idx} outside 0..${count - 1}`);
    augment(ds.images, buf.x, rng, opts, S, idx * per, b * per);
    buf.y[b] = ds.ages[idx];
  }
  return {
    x: B * per === buf.x.length ? buf.x : buf.x.subarray(0, B * per),
    y: B === buf.y.length ? buf.y : buf.y.subarray(0, B),
    n: B,
  };
}

// ---------------------------------------------------------------------------------------------
// CLI: build the caches

function cli(argv: string[]) {
  const get = (flag: string, def: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : def;
  };
  const dir = path.resolve(get('--data', DEFAULT_DATA_DIR));
  const sizes = get('--sizes', '64,96').split(',').map(Number);
  const splits = get('--splits', 'train,test').split(',');
  const cacheDir = path.resolve(get('--cache', DEFAULT_CACHE_DIR));
  for (const split of splits) {
    const t0 = performance.now();
    let last = 0;
    const dss = loadDatasets(dir, {
      sizes, split, cacheDir,
      onProgress: (done, total) => {
        const now = performance.now();
        if (now - last > 5000 || done === total) {
          last = now;
          process.stderr.write(`  ${split}: ${done}/${total} decoded (${((now - t0) / 1000).toFixed(1)} s)\n`);
        }
      },
    });
    const secs = (performance.now() - t0) / 1000;
    for (const ds of dss)
      console.log(`${split} size ${ds.size}: ${ds.ages.length} images, ${(ds.images.length / 2 ** 20).toFixed(1)} MiB, ${ds.fromCache ? 'from cache' : 'built'}; ${secs.toFixed(2)} s for this split`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) cli(process.argv.slice(2));
