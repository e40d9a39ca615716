/**
 * `npm run eval -- [--data DIR] [--model NAME|PATH] [--precision fp32|int8] [--split test|val|train]
 *                  [--intervals 1,2,5,10,20,50] [--flip] [--ensemble NAME|PATH[,...] --ensemble-weight W[,...]]
 *                  [--out DIR] [--limit N]`
 * Evaluates a model through the WebAssembly runtime (the package's own estimate path: decode the
 * JPEG, then createEstimator().estimate(img, { crop: 'chip' }) resizes and normalises the whole
 * chip inside: the images are aligned crops, so no face detection) on a labelled split.
 * Prints and writes JSON + markdown: MAE, CA(3/5/7), MAE per age band, mean signed error, the
 * correlation between `spread` and the absolute error, and MAE and signed error per race and gender
 * label of the data set, for every requested interval.
 * `--flip` adds test-time flip (mean of the image and its mirror), reported beside, never instead.
 * An estimator with ensemble partners (the built-in default's, or `--ensemble` files with one weight
 * each: EstimatorOptions.ensemble) gets rows with and without them (`+ ensemble`). `--split val` is the
 * trainers' validation part of the train split (splitValidation, 10 %, seed 1: what
 * train/gpu/pack.ts holds out), where an ensemble weight is chosen.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createEstimator, type Precision } from '../src/index.ts';
import { DEFAULT_DATA_DIR, decodeImage, demographics, evalRows, imageDir, readLabels } from './data.ts';
import { ageMetrics, metricsMarkdown, type AgeMetrics } from './metrics.ts';
import { MIRROR, warp } from './perturb.ts';
import { ensembleFromFlags } from './ensemble-flags.ts';

const { values: a } = parseArgs({
  options: {
    data: { type: 'string', default: DEFAULT_DATA_DIR },
    model: { type: 'string' },
    precision: { type: 'string' },
    split: { type: 'string', default: 'test' },
    intervals: { type: 'string', default: '1' },
    flip: { type: 'boolean', default: false },
    ensemble: { type: 'string' },
    'ensemble-weight': { type: 'string' },
    out: { type: 'string', default: 'docs/eval' },
    limit: { type: 'string' },
    backend: { type: 'string' },
  },
});

const labels = readLabels(a.data!);
const rows = evalRows(labels, a.split!);
const chosen = a.limit ? rows.slice(0, Number(a.limit)) : rows;
if (chosen.length === 0) throw new Error(`no '${a.split}' images in ${a.data}`);
const intervals = a.intervals!.split(',').map(Number);
const est = await createEstimator({
  model: a.model,
  precision: a.precision as Precision | undefined,
  backend: a.backend as 'simd' | 'scalar' | undefined,
  ...(a.ensemble ? { ensemble: ensembleFromFlags(a.ensemble, a['ensemble-weight']) } : {}),
});
const ensembles = est.ensemble.length ? [false, true] : [false];
const modelName = a.model ? basename(a.model).replace(/(\.(fp32|int8))?\.daaw$/, '') : 'default';
const precision = est.precision;
console.error(`evaluating ${modelName} (${precision}, ${est.backend}) on ${chosen.length} ${a.split} images`);

const dir = imageDir(a.data!);
const truth = Float64Array.from(chosen, (r) => r.age);
const groups = demographics(chosen);
const preds = new Map<string, { age: Float64Array; spread: Float64Array }>();
const key = (k: number, flip: boolean, ensemble: boolean) => `interval ${k}${flip ? ' + flip' : ''}${ensemble ? ' + ensemble' : ''}`;
for (const k of intervals)
  for (const flip of a.flip ? [false, true] : [false])
    for (const ensemble of ensembles) preds.set(key(k, flip, ensemble), { age: new Float64Array(chosen.length), spread: new Float64Array(chosen.length) });

const t0 = performance.now();
let estTime = 0;
chosen.forEach((r, i) => {
  const img = decodeImage(new Uint8Array(readFileSync(join(dir, r.file))), r.file);
  const mirror = a.flip ? warp(img, MIRROR) : null;
  for (const k of intervals)
    for (const ensemble of ensembles) {
      const t = performance.now();
      const e = est.estimate(img, { interval: k, crop: 'chip', ensemble });
      estTime += performance.now() - t;
      const p = preds.get(key(k, false, ensemble))!;
      p.age[i] = e.age;
      p.spread[i] = e.spread;
      if (mirror) {
        // the flip row: the mean that estimate(img, { flip: true }) takes (src/estimator.ts ageOf), made
        // here from the upright estimate the plain row already has, so each image runs the models twice, not three times
        const e2 = est.estimate(mirror, { interval: k, crop: 'chip', ensemble });
        const q = preds.get(key(k, true, ensemble))!;
        q.age[i] = (e.age + e2.age) / 2;
        q.spread[i] = Math.sqrt((e.spread ** 2 + e2.spread ** 2) / 2);
      }
    }
  if ((i + 1) % 200 === 0) process.stderr.write(`\r${i + 1}/${chosen.length}`);
});
process.stderr.write('\n');
/** the JSON's `ensemble`: null, one { model, weight } (a pair, as before lists), or the list of them */
function ensembleRecord(): { model: string; weight: number } | { model: string; weight: number }[] | null {
  const files = a.ensemble?.split(',');
  const list = est.ensemble.map((m, i) => ({ model: files?.[i] ?? 'built-in', weight: m.weight }));
  return list.length === 0 ? null : list.length === 1 ? list[0] : list;
}
const results: Record<string, AgeMetrics> = {};
const md: string[] = [`# Evaluation: ${modelName} (${precision}) on UTKFace ${a.split} (${chosen.length} images)`, ''];
md.push(`Through the WebAssembly runtime (${est.backend} build). Command: \`npm run eval -- ${process.argv.slice(2).join(' ')}\``, '');
if (est.ensemble.length) {
  const files = a.ensemble?.split(',');
  const rest = 1 - est.ensemble.reduce((t, m) => t + m.weight, 0);
  const members = est.ensemble.map((m, i) => `${m.weight} x a ${m.config.encoder} ${m.config.inputSize} px model (${m.precision}${files ? `, \`${files[i]}\`` : ', built in'})`);
  md.push(`\`+ ensemble\` rows: ${+rest.toFixed(6)} x this model + ${members.join(' + ')}, per template.`, '');
}
md.push('| setting | MAE | CA(3) % | CA(5) % | CA(7) % | mean signed error | corr(spread, abs err) |', '|---|---:|---:|---:|---:|---:|---:|');
for (const [name, p] of preds) {
  const m = ageMetrics(p.age, truth, p.spread, groups);
  results[name] = m;
  md.push(`| ${name} | ${m.mae.toFixed(3)} | ${m.ca3.toFixed(1)} | ${m.ca5.toFixed(1)} | ${m.ca7.toFixed(1)} | ${m.meanSignedError.toFixed(3)} | ${m.spreadErrorCorrelation?.toFixed(3) ?? '-'} |`);
}
md.push('');
for (const [name, m] of Object.entries(results)) md.push(metricsMarkdown(m, name));
const text = md.join('\n');
console.log(text);
const out = resolve(a.out!);
mkdirSync(out, { recursive: true });
const stem = join(out, `${modelName}.${precision}.${a.split}`);
writeFileSync(`${stem}.json`, JSON.stringify({ model: modelName, precision, ensemble: ensembleRecord(), backend: est.backend, split: a.split, n: chosen.length, meanEstimateMs: estTime / (chosen.length * intervals.length * ensembles.length), seconds: (performance.now() - t0) / 1000, results }, null, 1));
writeFileSync(`${stem}.md`, text + '\n');
console.error(`wrote ${stem}.json and .md`);
est.dispose();
