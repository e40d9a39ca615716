/**
 * The CLI's records (src/cli.ts): one image file -> its result, the same in the main thread and in a
 * worker thread (src/cli-worker.ts); results written as JSON lines or CSV, and an output file read
 * back for --resume. Node only (node:fs).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { csvField, parseCsvRecord } from './csv.ts';
import { createEstimator, DaaError, type Estimator, type FaceEstimate, type Precision } from './index.ts';
import { decodeImage, type DecodedImage } from './platform/decode.ts';

/** What every estimator of a run is made with (passed to each worker thread as its workerData). */
export interface RunOptions {
  model?: string;
  precision?: Precision;
  interval?: number;
  /** --flip: each face also read mirrored, the two averaged */
  flip?: boolean;
  /** --no-ensemble: the built-in model alone, without its ensemble partner (EstimatorOptions.ensemble) */
  noEnsemble?: boolean;
  /** --crop chip: the images are aligned face crops (no detection) */
  chip: boolean;
  minFaceSize?: number;
  minScore?: number;
}

/** One face as written: the numbers rounded as they are printed. */
export interface FaceRecord {
  box: [number, number, number, number];
  score: number;
  age: number;
  spread: number;
}

/** What one image gives: its faces (detection), or the age of the whole image (--crop chip). */
export type ImageResult = { faces: FaceRecord[] } | { age: number; spread: number };

export type Format = 'jsonl' | 'csv';

/** A message for a model that does not load (exit code 2). */
export function loadError(e: unknown): string {
  return e instanceof DaaError ? `${e.message} (${e.code})` : String((e as Error)?.message ?? e);
}

export function openEstimator(o: RunOptions): Promise<Estimator> {
  return createEstimator({ model: o.model, precision: o.precision, interval: o.interval, ...(o.chip ? { crop: 'chip' as const } : {}), ...(o.noEnsemble ? { ensemble: false as const } : {}) });
}

/** Reads and decodes an image file; the error message says what is wrong with it. */
export async function readImageFile(file: string): Promise<DecodedImage> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new Error(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : (e as Error).message);
  }
  return decodeImage(bytes);
}

/** The result of one decoded image, and the faces as the estimator gave them (for --annotate). */
export function estimateImage(est: Estimator, img: DecodedImage, o: RunOptions): { result: ImageResult; faces: FaceEstimate[] } {
  if (o.chip) {
    const r = est.estimate(img, { crop: 'chip', flip: o.flip });
    return { result: { age: +r.age.toFixed(2), spread: +r.spread.toFixed(2) }, faces: [] };
  }
  const faces = est.estimateAll(img, { minFaceSize: o.minFaceSize, minScore: o.minScore, flip: o.flip });
  const records = faces.map((f): FaceRecord => ({
    box: [f.box.x, f.box.y, f.box.width, f.box.height].map((v) => +v.toFixed(1)) as FaceRecord['box'],
    score: +f.score.toFixed(3),
    age: +f.age.toFixed(2),
    spread: +f.spread.toFixed(2),
  }));
  return { result: { faces: records }, faces };
}

export async function estimateFile(est: Estimator, file: string, o: RunOptions): Promise<ImageResult> {
  return estimateImage(est, await readImageFile(file), o).result;
}

// ---- writing ----------------------------------------------------------------------------------

/** The CSV header line (without its newline). */
export function csvHeader(chip: boolean): string {
  return chip ? 'file,age,spread' : 'file,face,x,y,width,height,score,age,spread';
}

const num = (v: number) => (Number.isFinite(v) ? String(v) : '');

/**
 * The lines of one image, each ending in '\n', written in one piece so that a killed run leaves at most
 * the last image cut off. JSON lines: {"file","face","box","score","age","spread"} per face,
 * {"file","faces":0} for none, {"file","age","spread"} for a chip. CSV: a row per face, one row with
 * the face columns empty for none, `file,age,spread` for a chip.
 */
export function formatResult(file: string, r: ImageResult, format: Format): string {
  if (format === 'jsonl') {
    if (!('faces' in r)) return JSON.stringify({ file, age: r.age, spread: r.spread }) + '\n';
    if (!r.faces.length) return JSON.stringify({ file, faces: 0 }) + '\n';
    return r.faces.map((f, face) => JSON.stringify({ file, face, ...f }) + '\n').join('');
  }
  const name = csvField(file);
  if (!('faces' in r)) return `${name},${num(r.age)},${num(r.spread)}\n`;
  if (!r.faces.length) return `${name},,,,,,,,\n`;
  return r.faces.map((f, face) => [name, face, ...f.box, f.score, f.age, f.spread].map((v) => (typeof v === 'number' ? num(v) : v)).join(',') + '\n').join('');
}

// ---- reading back (--resume) ------------------------------------------------------------------

/**
 * Calls `onRecord(bytes, start)` for each complete record of a file (read 1 MiB at a time, never all
 * at once): a record ends with '\n', in CSV only outside quotes (a file name may hold a line break).
 * Returns the byte length of the complete records; anything after it is a record cut off.
 */
export function scanRecords(path: string, format: Format, onRecord: (bytes: Buffer, start: number) => void): { complete: number; size: number } {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.alloc(1 << 20);
    let carry = Buffer.alloc(0); // the start of a record that continues in the next chunk
    let carryStart = 0; // its offset in the file
    let quoted = false; // inside a CSV quote at the end of what was scanned
    let pos = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      if (n === 0) break;
      const buf = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      let begin = 0;
      for (let i = carry.length; i < buf.length; i++) {
        const b = buf[i];
        if (b === 0x22 && format === 'csv') quoted = !quoted;
        else if (b === 0x0a && !quoted) {
          onRecord(buf.subarray(begin, i), carryStart + begin);
          begin = i + 1;
        }
      }
      carry = Buffer.from(buf.subarray(begin));
      carryStart += begin;
      pos += n;
    }
    return { complete: carryStart, size: pos };
  } finally {
    closeSync(fd);
  }
}

export interface Recorded {
  /** the files whose records are complete */
  files: Set<string>;
  /** where the file is to be cut before appending: its size, or less when its end was cut off */
  keep: number;
  /** its size as read */
  size: number;
  /** the file is empty (or holds only a cut-off header): a CSV header is still to be written */
  empty: boolean;
}

/**
 * Reads an output file for --resume: which images it holds in full. A run writes each image's lines in
 * one piece and in input order, so only the end can be incomplete: when the last record is cut off
 * (no newline), it is dropped together with the records of the image before it, which it may belong to,
 * and both images are done again. Throws (with the reason) when the file is not what this run writes:
 * another format, a CSV header of another mode, a line that is not a record.
 */
export function readRecorded(path: string, format: Format, chip: boolean): Recorded {
  const files = new Set<string>();
  let n = 0;
  let last = '';
  let lastStart = 0; // the offset of the first record of the last image
  const header = csvHeader(chip);
  const fail = (why: string) => {
    throw new Error(`record ${n} ${why}`);
  };
  const { complete, size } = scanRecords(path, format, (bytes, start) => {
    n++;
    const text = bytes.toString('utf8');
    let file: unknown;
    if (format === 'csv') {
      if (n === 1) {
        if (text.replace(/\r$/, '') !== header) fail(`is not the CSV header this run writes (${header})`);
        return;
      }
      const fields = parseCsvRecord(text);
      if (fields.length !== header.split(',').length) fail(`has ${fields.length} fields, not ${header.split(',').length}`);
      file = fields[0];
    } else {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(text);
      } catch {
        return fail('is not a JSON line');
      }
      if (rec === null || typeof rec !== 'object') fail('is not a JSON object');
      const faceRecord = 'face' in rec || 'faces' in rec;
      if (faceRecord === chip) fail(chip ? 'is a face of a photo, not a --crop chip record' : 'is a --crop chip record, not a face of a photo');
      file = rec.file;
    }
    if (typeof file !== 'string' || file === '') fail('has no file name');
    if (file !== last) lastStart = start;
    last = file as string;
    files.add(last);
  });
  if (complete === size) return { files, keep: size, size, empty: complete === 0 };
  if (format === 'csv' && complete === 0) return { files, keep: 0, size, empty: true }; // a cut-off header
  files.delete(last);
  return { files, keep: last ? lastStart : complete, size, empty: false };
}
