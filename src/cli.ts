#!/usr/bin/env node
/**
 * `npx daa-wasm [options] <image|folder ...>`: every face of each image (JPEG or PNG) with its age,
 * one JSON line per face on stdout: {"file":"a.jpg","face":0,"box":[x,y,w,h],"score":0.93,"age":31.42,
 * "spread":2.17} ({"file":"a.jpg","faces":0} for an image without a face); with --crop chip (aligned
 * face crops) one line per file: {"file":"a.jpg","age":31.42,"spread":2.17}. A file that cannot be read or
 * estimated gets a message on stderr and the rest still run; the exit code is then 1 (2 for bad
 * options or a model that cannot be loaded). Built to dist/cli.js by scripts/bundle.mjs.
 */
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import { annotate } from './annotate.ts';
import { crc32 } from './crc32.ts';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEstimator, DaaError, type Estimator, type Precision } from './index.ts';
import { decodeImage } from './platform/decode.ts';

declare const __VERSION__: string;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';

const USAGE = `usage: daa-wasm [options] <image.jpg|image.png|folder ...>

Finds every face of each image, estimates its age and prints one JSON line per face:
{"file","face","box":[x,y,width,height],"score","age","spread"}, or {"file","faces":0} when an
image has none.

options:
  --crop chip               the images are aligned face crops (like the UTKFace chips): no detection,
                            one line per file {"file","age","spread"}
  --annotate <out.png>      (one image) also write it as a PNG with the boxes and ages drawn
  --min-face <px>           smallest face searched for (default 32)
  --min-score <0..1>        smallest detector score of a face (default 0.65)
  --model <file|url|name>   weight file (default: the built-in model)
  --precision fp32|int8     which weights of the built-in model (default int8, the embedded ones;
                            its fp32 weights are a file: --model <package>/weights/<name>.fp32.daaw)
  --interval <k>            use every k-th template age (1..100, default 1): faster, slightly coarser
  --progress                show a progress bar on stderr even when stderr is not a terminal
  --no-progress             never show the progress bar
  -h, --help                this text
  -v, --version             the package version
exit code: 0 all estimated, 1 some files failed, 2 bad options or no model`;

const IMAGE_EXT = /\.(jpe?g|png)$/i;

async function expand(args: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const a of args) {
    let isDir = false;
    try {
      isDir = (await stat(a)).isDirectory();
    } catch {
      /* a missing file is reported when it is read */
    }
    if (!isDir) out.push(a);
    else for (const f of (await readdir(a)).sort()) if (IMAGE_EXT.test(f)) out.push(join(a, f));
  }
  return out;
}

class Progress {
  private shown = false;
  private last = 0;
  private readonly t0 = Date.now();
  constructor(
    private readonly total: number,
    private readonly enabled: boolean,
    private readonly tty: boolean,
  ) {}
  update(done: number, failed: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (done < this.total && now - this.last < 50) return; // at most 20 redraws a second
    this.last = now;
    const width = 24;
    const fill = Math.round((done / this.total) * width);
    const rate = done / Math.max(1e-3, (Date.now() - this.t0) / 1000);
    const line = `[${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${done}/${this.total}` +
      `${failed ? ` ${failed} failed` : ''} ${rate.toFixed(1)} img/s`;
    process.stderr.write(`\r${line}${this.tty ? '\x1b[K' : ''}`);
    this.shown = true;
  }
  /** clear the bar (TTY) or end its line, so that a message starts on a fresh line */
  clear(): void {
    if (!this.shown) return;
    process.stderr.write(this.tty ? '\r\x1b[K' : '\n');
    this.shown = false;
  }
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        precision: { type: 'string' },
        interval: { type: 'string' },
        crop: { type: 'string' },
        annotate: { type: 'string' },
        'min-face': { type: 'string' },
        'min-score': { type: 'string' },
        progress: { type: 'boolean' },
        'no-progress': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (e) {
    process.stderr.write(`daa-wasm: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (values.version) {
    process.stdout.write(VERSION + '\n');
    return 0;
  }
  if (positionals.length === 0) {
    process.stderr.write(`daa-wasm: no image given\n${USAGE}\n`);
    return 2;
  }
  let interval: number | undefined;
  if (values.interval !== undefined) {
    interval = Number(values.interval);
    if (!Number.isInteger(interval)) {
      process.stderr.write(`daa-wasm: --interval must be an integer, got ${values.interval}\n`);
      return 2;
    }
  }
  if (values.crop !== undefined && values.crop !== 'chip' && values.crop !== 'auto') {
    process.stderr.write(`daa-wasm: --crop must be chip or auto, got ${values.crop}\n`);
    return 2;
  }
  const chip = values.crop === 'chip';
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const detectOpts = { minFaceSize: num(values['min-face']), minScore: num(values['min-score']) };
  if (values.annotate !== undefined && (positionals.length !== 1 || chip)) {
    process.stderr.write('daa-wasm: --annotate takes exactly one image (and no --crop chip)\n');
    return 2;
  }
  let est: Estimator;
  try {
    est = await createEstimator({ model: values.model, precision: values.precision as Precision | undefined, interval });
  } catch (e) {
    const msg = e instanceof DaaError ? `${e.message} (${e.code})` : String((e as Error)?.message ?? e);
    process.stderr.write(`daa-wasm: cannot load the model: ${msg}\n`);
    return 2;
  }
  const files = await expand(positionals);
  const tty = !!process.stderr.isTTY;
  const bar = new Progress(files.length, values['no-progress'] ? false : !!values.progress || (tty && files.length > 1), tty);
  let failed = 0;
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    try {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(file));
      } catch (e) {
        const code = (e as { code?: string }).code;
        throw new Error(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : (e as Error).message);
      }
      const img = await decodeImage(bytes);
      if (chip) {
        const r = est.estimate(img, { crop: 'chip' });
        process.stdout.write(JSON.stringify({ file, age: +r.age.toFixed(2), spread: +r.spread.toFixed(2) }) + '\n');
      } else {
        const faces = est.estimateAll(img, detectOpts);
        if (!faces.length) process.stdout.write(JSON.stringify({ file, faces: 0 }) + '\n');
        faces.forEach((f, k) => {
          const box = [f.box.x, f.box.y, f.box.width, f.box.height].map((v) => +v.toFixed(1));
          process.stdout.write(JSON.stringify({ file, face: k, box, score: +f.score.toFixed(3), age: +f.age.toFixed(2), spread: +f.spread.toFixed(2) }) + '\n');
        });
        if (values.annotate !== undefined) {
          annotate(img.data, img.width, img.height, faces);
          await writeFile(values.annotate, encodePng(img.data, img.width, img.height));
        }
      }
    } catch (e) {
      failed++;
      bar.clear();
      process.stderr.write(`daa-wasm: ${file}: ${(e as Error).message}\n`);
    }
    bar.update(i + 1, failed);
  }
  bar.clear();
  est.dispose();
  if (failed) process.stderr.write(`daa-wasm: ${failed} of ${files.length} file(s) failed\n`);
  return failed ? 1 : 0;
}

/** RGBA -> PNG bytes (8-bit RGBA, no filter, zlib deflate). */
function encodePng(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const raw = new Uint8Array(height * (1 + width * 4));
  for (let y = 0; y < height; y++) raw.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (1 + width * 4) + 1);
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, data.length);
    for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
    out.set(data, 8);
    dv.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
    return out;
  };
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

process.exitCode = await main(process.argv.slice(2));
