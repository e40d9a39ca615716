/**
 * `npx tsx train/views-diag.ts [--models a.daaw,b.daaw] [--limit N] [--out FILE]`
 * Per-image ages of several test-time views (the chip, its mirror, zoomed in and out, shifted) for
 * each model, on the validation part of the train split (the GPU trainer's: seed 1, 10 %) and on the
 * test split, through the WebAssembly runtime with crop 'chip'. Writes one JSON file that
 * train/views-fit.ts reads to choose view sets, ensembles and calibrations on validation and report
 * them on test. Diagnostic: nothing here changes a shipped model.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEstimator } from '../src/index.ts';
import { DEFAULT_DATA_DIR, decodeImage, imageDir, readLabels, splitValidation } from './data.ts';
import { warp, type View } from './perturb.ts';

const { values: a } = parseArgs({
  options: {
    data: { type: 'string', default: DEFAULT_DATA_DIR },
    models: { type: 'string', default: 'weights/resnet18w16-daa.fp32.daaw' },
    limit: { type: 'string' },
    out: { type: 'string', default: 'train/cache/views.json' },
  },
});

/** A named view (train/perturb.ts View: mirror, zoom about the centre, shift in pixels). */
interface NamedView extends View { name: string }
const VIEWS: NamedView[] = [
  { name: 'id', flip: false, zoom: 1, dx: 0, dy: 0 },
  { name: 'flip', flip: true, zoom: 1, dx: 0, dy: 0 },
  { name: 'zoom1.06', flip: false, zoom: 1.06, dx: 0, dy: 0 },
  { name: 'zoom0.94', flip: false, zoom: 0.94, dx: 0, dy: 0 },
  { name: 'flip-zoom1.06', flip: true, zoom: 1.06, dx: 0, dy: 0 },
  { name: 'flip-zoom0.94', flip: true, zoom: 0.94, dx: 0, dy: 0 },
  { name: 'up3', flip: false, zoom: 1, dx: 0, dy: -3 },
  { name: 'down3', flip: false, zoom: 1, dx: 0, dy: 3 },
];

const all = readLabels(a.data!);
const train = all.filter((r) => r.split === 'train');
const { val } = splitValidation(train.length, 0.1, 1);
const limit = a.limit ? Number(a.limit) : Infinity;
const splits = {
  val: Array.from(val, (i) => train[i]).slice(0, limit),
  test: all.filter((r) => r.split === 'test').slice(0, limit),
};
const dir = imageDir(a.data!);
const models = a.models!.split(',');
const ests = await Promise.all(models.map((m) => createEstimator({ model: m, crop: 'chip' })));

const result: Record<string, unknown> = { views: VIEWS.map((v) => v.name), models, splits: {} as Record<string, unknown> };
for (const [split, rows] of Object.entries(splits)) {
  const age = models.map(() => VIEWS.map(() => new Float32Array(rows.length)));
  const spread = models.map(() => VIEWS.map(() => new Float32Array(rows.length)));
  const t0 = performance.now();
  rows.forEach((r, i) => {
    const img = decodeImage(new Uint8Array(readFileSync(join(dir, r.file))), r.file);
    VIEWS.forEach((v, j) => {
      const im = j === 0 ? img : warp(img, v);
      ests.forEach((est, m) => {
        const e = est.estimate(im, { crop: 'chip' });
        age[m][j][i] = e.age;
        spread[m][j][i] = e.spread;
      });
    });
    if ((i + 1) % 200 === 0) process.stderr.write(`\r${split} ${i + 1}/${rows.length} ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  });
  process.stderr.write('\n');
  (result.splits as Record<string, unknown>)[split] = {
    files: rows.map((r) => r.file),
    truth: rows.map((r) => r.age),
    age: age.map((m) => m.map((v) => Array.from(v, (x) => +x.toFixed(4)))),
    spread: spread.map((m) => m.map((v) => Array.from(v, (x) => +x.toFixed(4)))),
  };
}
writeFileSync(a.out!, JSON.stringify(result));
console.log(`wrote ${a.out}`);
