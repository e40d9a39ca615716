/**
 * `npx tsx train/teacher.ts --out train/cache/teacher-ensemble.json [--flip] [--data DIR]`
 * A teacher's ages for distillation (`npm run train -- --teacher FILE`): the built-in ensemble (the
 * main model's fp32 file with its partners' fp32 files at weights/models.json's weights, the way
 * `npm run eval -- --ensemble` mixes them) read through the WebAssembly runtime on every chip of the
 * train split, with `--flip` also on its mirror image. Written as JSON { file: age } with what made
 * it; the trainer blends it into the label of each training image and never reads it for the
 * validation part. Models and weights can be named instead: `--models A.daaw,B.daaw --weights 0.2`
 * (the first is the main model; the partners' weights as in createEstimator's `ensemble`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEstimator } from '../src/index.ts';
import { DEFAULT_DATA_DIR, decodeImage, imageDir, readLabels } from './data.ts';

const { values: a } = parseArgs({
  options: {
    data: { type: 'string', default: DEFAULT_DATA_DIR },
    out: { type: 'string' },
    flip: { type: 'boolean', default: false },
    models: { type: 'string' },
    weights: { type: 'string' },
    limit: { type: 'string' },
  },
});
if (!a.out) throw new Error('--out FILE is required');
const builtin = JSON.parse(readFileSync('weights/models.json', 'utf8')) as { default: string; ensemble: { model: string; weight: number }[] };
const files = a.models ? a.models.split(',') : [builtin.default, ...builtin.ensemble.map((p) => p.model)].map((n) => `weights/${n}.fp32.daaw`);
const weights = a.weights ? a.weights.split(',').map(Number) : builtin.ensemble.map((p) => p.weight);
if (weights.length !== files.length - 1) throw new Error(`--weights: ${files.length - 1} partner weights needed, got ${weights.length}`);
const est = await createEstimator({
  model: readFileSync(files[0]),
  crop: 'chip',
  ensemble: files.length > 1 ? files.slice(1).map((f, i) => ({ model: readFileSync(f), weight: weights[i] })) : false,
});
const rows = readLabels(a.data!).filter((r) => r.split === 'train').slice(0, a.limit ? Number(a.limit) : undefined);
const ages: Record<string, number> = {};
const t0 = Date.now();
for (const [i, r] of rows.entries()) {
  const img = decodeImage(new Uint8Array(readFileSync(join(imageDir(a.data!), r.file))), r.file);
  ages[r.file] = +est.estimate(img, { flip: a.flip }).age.toFixed(4);
  if ((i + 1) % 500 === 0) process.stderr.write(`\r${i + 1}/${rows.length} (${((Date.now() - t0) / (i + 1)).toFixed(1)} ms an image)`);
}
const mae = rows.reduce((s, r) => s + Math.abs(ages[r.file] - r.age), 0) / rows.length;
mkdirSync(dirname(a.out), { recursive: true });
writeFileSync(a.out, JSON.stringify({ madeBy: `npx tsx train/teacher.ts ${process.argv.slice(2).join(' ')}`, models: files, weights, flip: a.flip, trainSplitMae: mae, ages }));
console.error(`\n${rows.length} train-split chips; the teacher's MAE against their labels ${mae.toFixed(3)}; wrote ${a.out}`);
