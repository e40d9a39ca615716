/**
 * int8 MAE cost: MAE(int8 file) - MAE(fp32 file) of the shipped default model on the UTKFace test
 * split. Needs trained weights (weights/models.json) and the data; otherwise "pending".
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEstimator } from '../../src/index.ts';
import { decodeImage, DEFAULT_DATA_DIR, imageDir, readLabels } from '../../train/data.ts';
import { fmt } from '../lib/stats.ts';
import { r, type Ctx, type SectionResult } from './context.ts';

export async function benchInt8Mae(ctx: Ctx): Promise<SectionResult> {
  const pending = (why: string): SectionResult => ({
    key: 'mae',
    title: 'int8 accuracy cost',
    md: `pending trained weights (${why})`,
    json: { pending: why },
    targets: [{ name: 'int8 MAE cost (default model, UTKFace test split)', value: null, goal: '<= 0.1 years', pass: null, note: `pending trained weights: ${why}` }],
  });
  if (!existsSync('weights/models.json')) return pending('weights/models.json is absent');
  if (!existsSync(join(DEFAULT_DATA_DIR, 'labels.csv'))) return pending(`no UTKFace data at ${DEFAULT_DATA_DIR}`);
  const def = JSON.parse(readFileSync('weights/models.json', 'utf8')).default;
  let f32, i8;
  try {
    // the default embeds one precision; both ship as files in weights/
    f32 = await createEstimator({ model: `weights/${def}.fp32.daaw`, crop: 'chip' });
    i8 = await createEstimator({ model: `weights/${def}.int8.daaw`, crop: 'chip' });
  } catch (e) {
    return pending(`default model ${def} did not load in both precisions: ${(e as Error).message}`);
  }
  const test = readLabels(DEFAULT_DATA_DIR).filter((x) => x.split === 'test');
  const n = Math.min(test.length, r(ctx.quick, 100000, 300));
  let e32 = 0;
  let e8 = 0;
  let dmax = 0;
  ctx.log(`int8 MAE: ${n} UTKFace test images`);
  for (let i = 0; i < n; i++) {
    const row = test[i];
    const img = decodeImage(new Uint8Array(readFileSync(join(imageDir(DEFAULT_DATA_DIR), row.file))), row.file);
    const a = f32.estimate(img).age;
    const b = i8.estimate(img).age;
    e32 += Math.abs(a - row.age);
    e8 += Math.abs(b - row.age);
    dmax = Math.max(dmax, Math.abs(a - b));
  }
  const cost = (e8 - e32) / n;
  return {
    key: 'mae',
    title: 'int8 accuracy cost',
    md: `Default model ${def}, ${n} UTKFace test images${n < test.length ? ` (of ${test.length})` : ''}: MAE fp32 ${fmt(e32 / n, 3)}, int8 ${fmt(e8 / n, 3)}, cost ${fmt(cost, 3)} years; max |int8 - fp32| on one image ${fmt(dmax, 3)} years.`,
    json: { model: def, n, maeF32: e32 / n, maeI8: e8 / n, cost, maxDiff: dmax },
    targets: [{ name: `int8 MAE cost (${def}, ${n} UTKFace test images)`, value: cost, goal: '<= 0.1 years', pass: cost <= 0.1 }],
  };
}
