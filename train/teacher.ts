/**
 * `npx tsx train/teacher.ts --out train/cache/teacher-ensemble.json [--flip] [--data DIR]`
 * A teacher's ages for distillation (`npm run train -- --teacher FILE`): the built-in ensemble (the
 * main model's fp32 file with its partners' fp32 files at weights/models.json's weights, the way
 * `npm run eval -- --ensemble` mixes them) read through the WebAssembly runtime on every chip of the
 * train split, with `--flip` also on its mirror image. Written as JSON { file: age } with what made
 * it; the trainer blends it into the label of each training image and never reads it for the
 * validation part. Another teacher: `--model FILE --ensemble FILE[,FILE...] --ensemble-weight
 * W[,W...]`, the flags of `npm run eval` (train/ensemble-flags.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEstimator } from '../src/index.ts';
import { DEFAULT_DATA_DIR, decodeImage, imageDir, readLabels } from './data.ts';
import { ensembleFromFlags } from './ensemble-flags.ts';

const { values: a } = parseArgs({
  options: {
    data: { type: 'string', default: DEFAULT_DATA_DIR },
    out: { type: 'string' },
    flip: { type: 'boolean', default: false },
    model: { type: 'string' },
    ensemble: { type: 'string' },
    'ensemble-weight': { type: 'string' },
    limit: { type: 'string' },
  },
});
if (!a.out) throw new Error('--out FILE is required');
// default: the built-in model and partners (weights/models.json), their fp32 files
const builtin = JSON.parse(readFileSync('weights/models.json', 'utf8')) as { default: string; ensemble: { model: string; weight: number }[] };
const model = a.model ?? `weights/${builtin.default}.fp32.daaw`;
const partners = a.model ? ensembleFromFlags(a.ensemble, a['ensemble-weight']) ?? [] : builtin.ensemble.map((p) => ({ model: `weights/${p.model}.fp32.daaw`, weight: p.weight }));
const est = await createEstimator({ model, crop: 'chip', ensemble: partners.length ? partners : false });
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
writeFileSync(a.out, JSON.stringify({ madeBy: `npx tsx train/teacher.ts ${process.argv.slice(2).join(' ')}`, models: [model, ...partners.map((p) => String(p.model))], weights: partners.map((p) => p.weight), flip: a.flip, trainSplitMae: mae, ages }));
console.error(`\n${rows.length} train-split chips; the teacher's MAE against their labels ${mae.toFixed(3)}; wrote ${a.out}`);
