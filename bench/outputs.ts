/**
 * What the ages the default model reports look like on the UTKFace test split (docs/reliability.md,
 * "What an age is"): the range of the reported ages, how many fall below 0 and for which labels, and
 * the effect of greyscale input (the same chip as RGB and as grey, R = G = B = the BT.601 luma).
 *   npx tsx bench/outputs.ts [--data DIR]
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createEstimator } from '../src/index.ts';
import { decodeImageSync } from '../src/platform/decode.ts';

const { values } = parseArgs({ options: { data: { type: 'string' } } });
const DATA = resolve(values.data ?? '../shared/data/utkface');
const rows = readFileSync(join(DATA, 'labels.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')).filter((r) => r[4] === 'test');
const est = await createEstimator();
let n = 0, below0 = 0, min = Infinity, max = -Infinity, minLabel = 0;
const belowLabels = new Map<number, number>();
let greyShift = 0, greyAbsShift = 0, maeColour = 0, maeGrey = 0, maxAbsShift = 0;
const byDecade = new Map<number, [number, number, number]>(); // decade -> [n, sum shift, sum |shift|]
for (const [file, label] of rows) {
  const img = decodeImageSync(new Uint8Array(readFileSync(join(DATA, 'images', file))));
  const age = est.estimate(img).age;
  const grey = new Uint8Array(img.width * img.height);
  for (let i = 0; i < grey.length; i++) grey[i] = Math.round(0.299 * img.data[i * 4] + 0.587 * img.data[i * 4 + 1] + 0.114 * img.data[i * 4 + 2]);
  const gAge = est.estimate({ data: grey, width: img.width, height: img.height }).age;
  const y = Number(label);
  n++;
  if (age < min) (min = age), (minLabel = y);
  max = Math.max(max, age);
  if (age < 0) (below0++, belowLabels.set(y, (belowLabels.get(y) ?? 0) + 1));
  const d = gAge - age;
  greyShift += d;
  greyAbsShift += Math.abs(d);
  maxAbsShift = Math.max(maxAbsShift, Math.abs(d));
  maeColour += Math.abs(age - y);
  maeGrey += Math.abs(gAge - y);
  const dec = Math.min(8, Math.floor(y / 10));
  const b = byDecade.get(dec) ?? [0, 0, 0];
  byDecade.set(dec, [b[0] + 1, b[1] + d, b[2] + Math.abs(d)]);
}
est.dispose();
console.log(`UTKFace test split, ${n} chips, default model (${new Date().toISOString().slice(0, 16)}Z)`);
console.log(`reported ages: min ${min.toFixed(2)} (label ${minLabel}), max ${max.toFixed(2)}; ${below0} below 0 (labels: ${[...belowLabels].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'})`);
console.log(`greyscale: MAE ${(maeColour / n).toFixed(2)} colour -> ${(maeGrey / n).toFixed(2)} grey; age shift grey - colour: mean ${(greyShift / n).toFixed(2)}, mean |shift| ${(greyAbsShift / n).toFixed(2)}, max |shift| ${maxAbsShift.toFixed(1)} years`);
console.log('by labelled decade (n, mean shift, mean |shift|): ' + [...byDecade].sort((a, b) => a[0] - b[0]).map(([k, [c, s, a]]) => `${k * 10}${k === 8 ? '+' : `-${k * 10 + 9}`}: ${c}, ${(s / c).toFixed(1)}, ${(a / c).toFixed(1)}`).join('; '));
