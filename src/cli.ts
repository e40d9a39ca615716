#!/usr/bin/env node
/**
 * `npx daa-wasm [options] <image|folder ...>`: every face of each image (JPEG or PNG) with its age,
 * one JSON line per face on stdout: {"file":"a.jpg","face":0,"box":[x,y,w,h],"score":0.93,"age":31.42,
 * "spread":2.17} ({"file":"a.jpg","faces":0} for an image without a face); with --crop chip (aligned
 * face crops) one line per file: {"file":"a.jpg","age":31.42,"spread":2.17}; --format csv writes CSV.
 * --jobs <n> estimates on n worker threads (src/cli-worker.ts), each with its own estimator, one file
 * at a time; the records still come out in input order, the same bytes as with --jobs 1. --out <file>
 * appends them to a file image by image, and --resume continues such a file where a run stopped
 * (src/cli-records.ts). A file that cannot be read or estimated gets a message on stderr and the rest
 * still run; the exit code is then 1 (2 for bad options or a model that cannot be loaded). Built to
 * dist/cli.js and dist/cli-worker.js by scripts/bundle.mjs.
 */
import { existsSync, openSync, closeSync, truncateSync, writeSync } from 'node:fs';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { deflateSync } from 'node:zlib';
import encodeJpeg from 'jpeg-js/lib/encoder.js';
import { annotate } from './annotate.ts';
import { crc32 } from './crc32.ts';
import {
  csvHeader, estimateImage, formatResult, loadError, openEstimator, readImageFile, readRecorded,
  type Format, type ImageResult, type Recorded, type RunOptions,
} from './cli-records.ts';
import type { FromWorker, ToWorker } from './cli-worker.ts';
import type { Estimator, Precision } from './index.ts';

declare const __VERSION__: string;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';

/** Most worker threads --jobs may ask for (each holds an estimator of its own). */
const MAX_JOBS = 256;

const USAGE = `usage: daa-wasm [options] <image.jpg|image.png|folder ...>

Finds every face of each image, estimates its age and prints one JSON line per face:
{"file","face","box":[x,y,width,height],"score","age","spread"}, or {"file","faces":0} when an
image has none.

options:
  --crop chip               the images are aligned face crops (like the UTKFace chips): no detection,
                            one line per file {"file","age","spread"}
  --format jsonl|csv        JSON lines (default) or CSV with a header line:
                            file,face,x,y,width,height,score,age,spread (one row per face; an image
                            without a face gets one row with the face columns empty: a.jpg,,,,,,,,)
                            or with --crop chip file,age,spread. File names with a comma, quote or
                            line break are quoted ("a ""b"", c.jpg")
  --jobs <n>                estimate on n worker threads, each with its own estimator (default: the
                            number of cores, ${availableParallelism()} here; 1: in this thread). The output is in input
                            order and the same as with --jobs 1
  --out <file>              append the results to this file, image by image, instead of stdout; it
                            must not exist yet, unless --resume
  --resume                  (with --out) skip the images already in the file and append the rest
                            (give the same images, folders and options as the first run); a record
                            cut off by a killed run is dropped and its image done again
  --annotate <out.png|jpg>  (one image) also write it with the boxes and ages drawn, as PNG or JPEG
                            (by the name's ending)
  --min-face <px>           smallest face searched for (default 32)
  --min-score <0..1>        smallest detector score of a face (default 0.65)
  --model <file|url|name>   weight file (default: the built-in model)
  --precision fp32|int8     which weights of the built-in model (default int8, the embedded ones;
                            its fp32 weights are a file: --model <package>/weights/<name>.fp32.daaw)
  --interval <k>            use every k-th template age (1..100, default 1): faster, slightly coarser
  --flip                    also read each face mirrored and average: twice the age models' cost,
                            a little more accurate (UTKFace test MAE 5.00 -> 4.93, int8)
  --no-ensemble             the built-in model alone, without its ensemble partners c3ae-daa and
                            facemesh-daa: faster, less accurate (UTKFace test MAE 5.00 -> 5.13, int8)
  --progress                show a progress bar on stderr even when stderr is not a terminal
  --no-progress             never show the progress bar
  -h, --help                this text
  -v, --version             the package version
exit code: 0 all estimated, 1 some files failed, 2 bad options or no model`;

const IMAGE_EXT = /\.(jpe?g|png)$/i;
/** --annotate's output format, from the file name. */
const ANNOTATE_PNG = /\.png$/i;
const ANNOTATE_JPEG = /\.jpe?g$/i;
/** JPEG quality of --annotate out.jpg (jpeg-js' scale, 1..100). */
const JPEG_QUALITY = 90;

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

/** m:ss, or h:mm:ss from an hour up */
function clock(seconds: number): string {
  const s = Math.round(seconds);
  const two = (n: number) => String(n).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}` : `${Math.floor(s / 60)}:${two(s % 60)}`;
}

class Progress {
  private shown = false;
  private last = 0;
  private readonly t0 = Date.now();
  /** `skipped` images (already in the --resume file) count as done but not in the rate */
  constructor(
    private readonly total: number,
    private readonly enabled: boolean,
    private readonly tty: boolean,
    private readonly skipped = 0,
  ) {}
  update(done: number, failed: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    done += this.skipped;
    if (done < this.total && now - this.last < 50) return; // at most 20 redraws a second
    this.last = now;
    const width = 24;
    const fill = this.total ? Math.round((done / this.total) * width) : width;
    const seconds = Math.max(1e-3, (now - this.t0) / 1000);
    const rate = (done - this.skipped) / seconds;
    const eta = done < this.total && rate > 0 ? ` ETA ${clock((this.total - done) / rate)}` : done >= this.total ? ` in ${clock(seconds)}` : '';
    const line = `[${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${done}/${this.total}` +
      `${failed ? ` ${failed} failed` : ''} ${rate.toFixed(1)} img/s${eta}`;
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

/** What one file gave: its result, or the message of what went wrong. */
type Outcome = { result: ImageResult } | { error: string };

/** Estimates one file at a time: in this thread, or on a worker thread. */
interface Slot {
  run(file: string): Promise<Outcome>;
  close(): void;
}

const message = (e: unknown) => String((e as Error)?.message ?? e);

/** This thread's estimator; with --annotate also writes the picture with its faces drawn. */
function inProcess(est: Estimator, o: RunOptions, annotateTo: string | undefined): Slot {
  return {
    async run(file) {
      try {
        const img = await readImageFile(file);
        const { result, faces } = estimateImage(est, img, o);
        if (annotateTo !== undefined) {
          annotate(img.data, img.width, img.height, faces);
          await writeFile(annotateTo, ANNOTATE_JPEG.test(annotateTo) ? encodeJpeg(img, JPEG_QUALITY).data : encodePng(img.data, img.width, img.height));
        }
        return { result };
      } catch (e) {
        return { error: message(e) };
      }
    },
    close: () => est.dispose(),
  };
}

/**
 * src/cli-worker.ts as a thread: the file next to this one once bundled (dist/cli-worker.js); run from
 * the sources (npx tsx src/cli.ts), through tsx's loader, which Node 20 does not carry into a worker.
 */
function newWorker(o: RunOptions): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./cli-worker.js', import.meta.url), { workerData: o });
  const [tsx, worker] = [import.meta.resolve('tsx/esm/api'), new URL('./cli-worker.ts', import.meta.url).href].map((s) => JSON.stringify(s));
  return new Worker(`import(${tsx}).then((t) => { t.register(); return import(${worker}); })`, { eval: true, workerData: o });
}

/**
 * Listens for a worker's next message, 'error' or 'exit' (whichever comes first); the listeners are
 * removed one by one, since Worker's own 'newListener' / 'removeListener' handlers must stay.
 */
function nextEvent(w: Worker, on: { message(m: FromWorker): void; error(e: unknown): void; exit(code: number): void }): void {
  const handlers = {
    message: (m: FromWorker) => (off(), on.message(m)),
    error: (e: unknown) => (off(), on.error(e)),
    exit: (code: number) => (off(), on.exit(code)),
  };
  const off = () => {
    for (const [name, f] of Object.entries(handlers)) w.off(name, f);
  };
  for (const [name, f] of Object.entries(handlers)) w.on(name, f);
}

/** A worker thread with its estimator, ready; rejects with the message of a model that does not load. */
function startWorker(o: RunOptions): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const w = newWorker(o);
    const fail = (why: string) => {
      void w.terminate();
      reject(new Error(why));
    };
    nextEvent(w, {
      message: (m) => ('ready' in m ? resolve(w) : fail('fatal' in m ? m.fatal : 'the worker thread answered out of turn')),
      error: (e) => fail(message(e)),
      exit: (code) => fail(`the worker thread stopped (exit code ${code}) before its model loaded`),
    });
  });
}

/** A worker thread slot; a thread that dies fails its file, and the next file starts a new thread. */
function onWorker(first: Worker, o: RunOptions): Slot {
  let w: Worker | null = first;
  return {
    async run(file) {
      w ??= await startWorker(o);
      const worker = w;
      return new Promise<Outcome>((resolve) => {
        const dead = (why: string) => {
          void worker.terminate();
          w = null;
          resolve({ error: why });
        };
        nextEvent(worker, {
          message: (m) => resolve('result' in m || 'error' in m ? m : { error: 'the worker thread answered out of turn' }),
          error: (e) => dead(`the worker thread failed: ${message(e)}`),
          exit: (code) => dead(`the worker thread stopped (exit code ${code})`),
        });
        worker.postMessage({ file } satisfies ToWorker);
      });
    },
    close: () => void w?.terminate(),
  };
}

/**
 * Runs every file through the slots, one file per slot at a time, and hands the outcomes to `emit` in
 * the order of `files`: those that arrive early wait (at most `window` files ahead of the oldest
 * one not yet emitted, so that a slow file cannot make the rest pile up in memory). `done` is called
 * as each file finishes.
 */
async function runInOrder(files: string[], slots: Slot[], emit: (file: string, out: Outcome) => void, done: (out: Outcome) => void): Promise<void> {
  const window = Math.max(64, 8 * slots.length);
  const early = new Map<number, Outcome>();
  const waiting: (() => void)[] = [];
  let next = 0;
  let emitted = 0;
  let stop = false;
  const loop = async (slot: Slot) => {
    while (!stop) {
      while (next < files.length && next >= emitted + window) await new Promise<void>((r) => waiting.push(r));
      if (next >= files.length) return;
      const i = next++;
      let out: Outcome;
      try {
        out = await slot.run(files[i]);
      } catch (e) {
        stop = true; // a worker thread that cannot be started again: the run ends
        throw e;
      }
      done(out);
      early.set(i, out);
      for (let o; (o = early.get(emitted)) !== undefined; emitted++) {
        early.delete(emitted);
        emit(files[emitted], o);
      }
      for (const wake of waiting.splice(0)) wake();
    }
  };
  await Promise.all(slots.map(loop));
}

/** Writes all of `text` to a file descriptor (no buffering: a record is in the file once written). */
function writeAll(fd: number, text: string): void {
  const b = Buffer.from(text);
  for (let o = 0; o < b.length; ) o += writeSync(fd, b, o);
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
        flip: { type: 'boolean' },
        crop: { type: 'string' },
        format: { type: 'string' },
        jobs: { type: 'string' },
        out: { type: 'string' },
        resume: { type: 'boolean' },
        annotate: { type: 'string' },
        'min-face': { type: 'string' },
        'min-score': { type: 'string' },
        progress: { type: 'boolean' },
        'no-progress': { type: 'boolean' },
        'no-ensemble': { type: 'boolean' },
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
  const optionError = (msg: string) => {
    process.stderr.write(`daa-wasm: ${msg}\n`);
    return 2;
  };
  if (positionals.length === 0) return optionError(`no image given\n${USAGE}`);
  let interval: number | undefined;
  if (values.interval !== undefined) {
    interval = Number(values.interval);
    if (!Number.isInteger(interval)) return optionError(`--interval must be an integer, got ${values.interval}`);
  }
  if (values.crop !== undefined && values.crop !== 'chip' && values.crop !== 'auto') return optionError(`--crop must be chip or auto, got ${values.crop}`);
  const chip = values.crop === 'chip';
  const format = (values.format ?? 'jsonl') as Format;
  if (format !== 'jsonl' && format !== 'csv') return optionError(`--format must be jsonl or csv, got ${values.format}`);
  let jobs = availableParallelism();
  if (values.jobs !== undefined) {
    jobs = /^\d+$/.test(values.jobs) ? Number(values.jobs) : NaN;
    if (!(jobs >= 1 && jobs <= MAX_JOBS)) return optionError(`--jobs must be an integer in 1..${MAX_JOBS}, got ${JSON.stringify(values.jobs)}`);
  }
  if (values.resume && values.out === undefined) return optionError('--resume goes with --out <file> (the file to continue)');
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const o: RunOptions = {
    model: values.model, precision: values.precision as Precision | undefined, interval, chip, flip: values.flip === true, noEnsemble: values['no-ensemble'] === true,
    minFaceSize: num(values['min-face']), minScore: num(values['min-score']),
  };
  if (values.annotate !== undefined && (positionals.length !== 1 || chip)) return optionError('--annotate takes exactly one image (and no --crop chip)');
  if (values.annotate !== undefined && !ANNOTATE_PNG.test(values.annotate) && !ANNOTATE_JPEG.test(values.annotate)) {
    return optionError(`--annotate writes PNG or JPEG, chosen by the name's ending (.png, .jpg, .jpeg): got ${JSON.stringify(values.annotate)}`);
  }
  // --out: a new file, or with --resume the images it already holds (read before the model loads, so
  // that a file of another format or mode is an error at once)
  const out = values.out;
  let recorded: Recorded | null = null;
  if (out !== undefined && existsSync(out)) {
    if (!values.resume) return optionError(`${out} exists: add --resume to continue it, or remove it`);
    try {
      recorded = readRecorded(out, format, chip);
    } catch (e) {
      return optionError(`cannot resume ${out}: ${message(e)} (was it written with other --format or --crop options?)`);
    }
  }
  const files = await expand(positionals);
  const todo = recorded ? files.filter((f) => !recorded.files.has(f)) : files;
  const skipped = files.length - todo.length;
  jobs = values.annotate !== undefined ? 1 : Math.max(1, Math.min(jobs, todo.length));

  const slots: Slot[] = [];
  if (jobs === 1) {
    try {
      slots.push(inProcess(await openEstimator(o), o, values.annotate));
    } catch (e) {
      return optionError(`cannot load the model: ${loadError(e)}`);
    }
  } else {
    const started = await Promise.allSettled(Array.from({ length: jobs }, () => startWorker(o)));
    for (const s of started) if (s.status === 'fulfilled') slots.push(onWorker(s.value, o));
    const failure = started.find((s) => s.status === 'rejected');
    if (failure) {
      for (const s of slots) s.close();
      return optionError(`cannot load the model: ${message(failure.reason)}`);
    }
  }

  let write: (text: string) => void;
  let fd = -1;
  if (out === undefined) write = (text) => process.stdout.write(text);
  else {
    try {
      if (recorded && recorded.keep < recorded.size) truncateSync(out, recorded.keep);
      fd = openSync(out, 'a');
    } catch (e) {
      for (const s of slots) s.close();
      return optionError(`cannot write ${out}: ${message(e)}`);
    }
    write = (text) => writeAll(fd, text);
  }
  if (recorded) {
    const cut = recorded.keep < recorded.size ? ' (a record cut off at its end dropped)' : '';
    process.stderr.write(`daa-wasm: ${out}: ${skipped} of ${files.length} image(s) already there${cut}, ${todo.length} to go\n`);
  }
  if (format === 'csv' && (!recorded || recorded.empty)) write(csvHeader(chip) + '\n');

  const tty = !!process.stderr.isTTY;
  const bar = new Progress(files.length, values['no-progress'] ? false : !!values.progress || (tty && todo.length > 1), tty, skipped);
  let finished = 0;
  let failed = 0;
  try {
    await runInOrder(
      todo,
      slots,
      (file, r) => {
        if ('result' in r) write(formatResult(file, r.result, format));
        else {
          bar.clear();
          process.stderr.write(`daa-wasm: ${file}: ${r.error}\n`);
          if (finished < todo.length) bar.update(finished, failed);
        }
      },
      (r) => {
        finished++;
        if ('error' in r) failed++;
        bar.update(finished, failed);
      },
    );
  } catch (e) {
    bar.clear();
    return optionError(`cannot load the model: ${message(e)}`);
  } finally {
    for (const s of slots) s.close();
    if (fd >= 0) closeSync(fd);
  }
  bar.clear();
  if (failed) process.stderr.write(`daa-wasm: ${failed} of ${todo.length} file(s) failed\n`);
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
