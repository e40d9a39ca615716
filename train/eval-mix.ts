/**
 * `npx tsx train/eval-mix.ts --models NAME=FILE[,NAME=FILE...] [--max 3] [--step 0.05] [--out DIR] [--limit N] [--cap-kb 1000]`
 *
 * Which mix of age models to ship: every model reads every image of the validation part (the
 * trainers' splitValidation, 10 %, seed 1) and of the test split, upright and mirrored, through the
 * WebAssembly runtime (crop 'chip', each model alone). Then for every subset of up to --max models,
 * the weights on a grid of --step over the simplex (age = sum of w_i x age_i, what
 * EstimatorOptions.ensemble computes for two models) are chosen by validation MAE, without and with
 * test-time flip, and reported on the test split. Weights are never chosen on the test split.
 * Each mix also gets its int8 download: the gzip bytes of every member quantised as the shipped int8
 * files are (train/export.ts quantizeTensors; their calibration meta, about 1 KB, is not counted), and
 * whether that fits --cap-kb (the accuracy issue's 1 MB).
 * A model's reads are cached in train/cache/mix-reads/ (git-ignored), keyed by the SHA-256 of its
 * file and the split's image list, so adding a model to a mix reads only the new one.
 * Writes DIR/mix.md and DIR/mix.json.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { readWeightFile } from '../src/format.ts';
import { createEstimator, type Estimator } from '../src/index.ts';
import { quantizeTensors } from './export.ts';
import { writeWeightFile } from './format-writer.ts';
import { DEFAULT_DATA_DIR, decodeImage, evalRows, imageDir, readLabels } from './data.ts';
import { ageMetrics } from './metrics.ts';
import { MIRROR, warp } from './perturb.ts';

const { values: a } = parseArgs({
  options: {
    data: { type: 'string', default: DEFAULT_DATA_DIR },
    models: { type: 'string' },
    max: { type: 'string', default: '3' },
    step: { type: 'string', default: '0.05' },
    out: { type: 'string', default: 'docs/eval/mix' },
    limit: { type: 'string' },
    'cap-kb': { type: 'string', default: '1000' },
  },
});
if (!a.models) throw new Error('--models NAME=FILE[,NAME=FILE...] is required');
const models = a.models.split(',').map((s) => {
  const i = s.indexOf('=');
  if (i <= 0) throw new Error(`--models: '${s}' is not NAME=FILE`);
  return { name: s.slice(0, i), file: s.slice(i + 1) };
});
const maxSize = Math.min(models.length, Number(a.max));
const step = Number(a.step);
if (!(step > 0 && step <= 0.5 && Math.abs(Math.round(1 / step) * step - 1) < 1e-9)) throw new Error(`--step must divide 1 (0.05, 0.1, 0.25), got ${a.step}`);

const labels = readLabels(a.data!);
const limit = a.limit ? Number(a.limit) : Infinity;
const splits = { val: evalRows(labels, 'val').slice(0, limit), test: evalRows(labels, 'test').slice(0, limit) };

const capBytes = Number(a['cap-kb']) * 1000;
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex').slice(0, 16);
const fileBytes = models.map((m) => new Uint8Array(readFileSync(m.file)));
/** gzip bytes of each model's int8 file, quantised here from whatever precision the file holds */
const int8Gzip = fileBytes.map((bytes) => {
  const wf = readWeightFile(bytes);
  const tensors = wf.precision === 'int8' ? [...wf.tensors.values()] : quantizeTensors([...wf.tensors.values()]);
  return gzipSync(writeWeightFile(wf.config, 'int8', tensors, {}), { level: 9 }).length;
});

type Reads = { upright: Float64Array; mirrored: Float64Array };
const cacheDir = join(dirname(fileURLToPath(import.meta.url)), 'cache', 'mix-reads');
const dir = imageDir(a.data!);
const reads = {} as Record<keyof typeof splits, Reads[]>;
const truth = {} as Record<keyof typeof splits, Float64Array>;
for (const split of ['val', 'test'] as const) {
  const rows = splits[split];
  truth[split] = Float64Array.from(rows, (r) => r.age);
  const listKey = sha(rows.map((r) => r.file).join('\n'));
  const cacheFiles = fileBytes.map((b) => join(cacheDir, `${sha(b)}-${split}-${listKey}.json`));
  reads[split] = cacheFiles.map((f) => {
    if (!existsSync(f)) return { upright: new Float64Array(rows.length), mirrored: new Float64Array(rows.length) };
    const c = JSON.parse(readFileSync(f, 'utf8')) as { upright: number[]; mirrored: number[] };
    return { upright: Float64Array.from(c.upright), mirrored: Float64Array.from(c.mirrored) };
  });
  const todo = models.map((_, k) => k).filter((k) => !existsSync(cacheFiles[k]));
  if (todo.length === 0) continue;
  const ests: Estimator[] = [];
  for (const k of todo) ests.push(await createEstimator({ model: models[k].file, ensemble: false }));
  rows.forEach((r, i) => {
    const img = decodeImage(new Uint8Array(readFileSync(join(dir, r.file))), r.file);
    const mir = warp(img, MIRROR);
    todo.forEach((k, j) => {
      reads[split][k].upright[i] = ests[j].estimate(img, { crop: 'chip' }).age;
      reads[split][k].mirrored[i] = ests[j].estimate(mir, { crop: 'chip' }).age;
    });
    if ((i + 1) % 500 === 0) process.stderr.write(`\r${split} ${i + 1}/${rows.length}`);
  });
  process.stderr.write('\n');
  for (const est of ests) est.dispose();
  mkdirSync(cacheDir, { recursive: true });
  for (const k of todo)
    writeFileSync(cacheFiles[k], JSON.stringify({ model: models[k].file, upright: [...reads[split][k].upright], mirrored: [...reads[split][k].mirrored] }));
}

/** weight vectors of length n on the grid (multiples of step, summing to 1, every weight > 0) */
function simplex(n: number): number[][] {
  const units = Math.round(1 / step);
  const out: number[][] = [];
  const rec = (left: number, acc: number[]) => {
    if (acc.length === n - 1) {
      if (left > 0) out.push([...acc, left].map((u) => u / units));
      return;
    }
    for (let u = 1; u < left; u++) rec(left - u, [...acc, u]);
  };
  rec(units, []);
  return out;
}
function subsets(n: number, k: number): number[][] {
  const out: number[][] = [];
  const rec = (start: number, acc: number[]) => {
    if (acc.length === k) return void out.push(acc);
    for (let i = start; i < n; i++) rec(i + 1, [...acc, i]);
  };
  rec(0, []);
  return out;
}
function mix(split: keyof typeof splits, idx: number[], w: number[], flip: boolean): Float64Array {
  const out = new Float64Array(truth[split].length);
  idx.forEach((k, j) => {
    const r = reads[split][k];
    for (let i = 0; i < out.length; i++) out[i] += w[j] * (flip ? (r.upright[i] + r.mirrored[i]) / 2 : r.upright[i]);
  });
  return out;
}
const mae = (p: Float64Array, t: Float64Array) => p.reduce((s, v, i) => s + Math.abs(v - t[i]), 0) / t.length;

interface Row { models: string[]; weights: number[]; flip: boolean; int8GzipBytes: number; valMae: number; testMae: number; testCa5: number; testSigned: number }
const rows: Row[] = [];
for (let size = 1; size <= maxSize; size++)
  for (const idx of subsets(models.length, size))
    for (const flip of [false, true]) {
      let best: { w: number[]; m: number } | null = null;
      for (const w of size === 1 ? [[1]] : simplex(size)) {
        const m = mae(mix('val', idx, w, flip), truth.val);
        if (!best || m < best.m - 1e-12) best = { w, m };
      }
      const t = ageMetrics(mix('test', idx, best!.w, flip), truth.test);
      const int8GzipBytes = idx.reduce((n, k) => n + int8Gzip[k], 0);
      rows.push({ models: idx.map((k) => models[k].name), weights: best!.w, flip, int8GzipBytes, valMae: best!.m, testMae: t.mae, testCa5: t.ca5, testSigned: t.meanSignedError });
    }

const md = [
  `# Mixes of age models: weights chosen on validation, reported on test`,
  '',
  `Generated by \`npx tsx train/eval-mix.ts ${process.argv.slice(2).join(' ')}\` (${new Date().toISOString().slice(0, 10)}). Each model alone through the WebAssembly runtime (crop 'chip'); a mix is the weighted mean of the models' ages; weights on a ${step} grid chosen by validation MAE (${splits.val.length} images of the train split, splitValidation 10 %, seed 1); test: the ${splits.test.length} test chips. Flip: the mean of the upright and mirrored reads of every model.`,
  '',
  `Models: ${models.map((m) => `${m.name} = \`${m.file}\``).join(', ')}.`,
  '',
  `int8 download: the gzip (level 9) bytes of the members' int8 weight files, quantised per output channel as the shipped int8 files are (without their ~1 KB calibration meta); a mark where it is over ${a['cap-kb']} KB.`,
  '',
  '| models | weights | flip | int8 download KB | val MAE | test MAE | test CA(5) % | test mean signed error |',
  '|---|---|---|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.models.join(' + ')} | ${r.weights.map((w) => w.toFixed(2)).join(' / ')} | ${r.flip ? 'yes' : 'no'} | ${(r.int8GzipBytes / 1000).toFixed(0)}${r.int8GzipBytes > capBytes ? ' (over)' : ''} | ${r.valMae.toFixed(3)} | ${r.testMae.toFixed(3)} | ${r.testCa5.toFixed(1)} | ${r.testSigned >= 0 ? '+' : ''}${r.testSigned.toFixed(3)} |`),
];
const text = md.join('\n');
console.log(text);
const out = resolve(a.out!);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'mix.md'), text + '\n');
writeFileSync(join(out, 'mix.json'), JSON.stringify({ command: `npx tsx train/eval-mix.ts ${process.argv.slice(2).join(' ')}`, models: models.map((m, k) => ({ ...m, int8GzipBytes: int8Gzip[k] })), capBytes, step, val: splits.val.length, test: splits.test.length, rows }, null, 1));
console.error(`wrote ${join(out, 'mix.md')} and mix.json`);
