/**
 * `npx tsx train/views-fit.ts [--in train/cache/views.json]`
 * Reads train/views-diag.ts's per-image ages and reports, on the validation part and the test split:
 * each model's MAE per view; the mean over view sets; two-model ensembles (the weight chosen on
 * validation); and post-hoc calibrations of the age (a shift, a linear map, and a monotone
 * piecewise-linear map), each fitted on validation only and then applied to test. Diagnostic.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({ options: { in: { type: 'string', default: 'train/cache/views.json' } } });
interface Split { truth: number[]; age: number[][][]; spread: number[][][] }
const J = JSON.parse(readFileSync(a.in!, 'utf8')) as { views: string[]; models: string[]; splits: { val: Split; test: Split } };
const { views, models } = J;
const val = J.splits.val, test = J.splits.test;

const mae = (p: ArrayLike<number>, t: ArrayLike<number>) => { let s = 0; for (let i = 0; i < t.length; i++) s += Math.abs(p[i] - t[i]); return s / t.length; };
const mse = (p: ArrayLike<number>, t: ArrayLike<number>) => { let s = 0; for (let i = 0; i < t.length; i++) s += p[i] - t[i]; return s / t.length; };
const ca5 = (p: ArrayLike<number>, t: ArrayLike<number>) => { let s = 0; for (let i = 0; i < t.length; i++) s += Math.abs(p[i] - t[i]) <= 5 ? 1 : 0; return (100 * s) / t.length; };
const meanOf = (s: Split, m: number, vs: number[]) => s.truth.map((_, i) => vs.reduce((acc, v) => acc + s.age[m][v][i], 0) / vs.length);
const vi = (n: string) => { const k = views.indexOf(n); if (k < 0) throw new Error(`no view ${n}`); return k; };
const row = (name: string, pv: number[], pt: number[]) =>
  console.log(`| ${name} | ${mae(pv, val.truth).toFixed(3)} | ${mae(pt, test.truth).toFixed(3)} | ${ca5(pt, test.truth).toFixed(1)} | ${mse(pt, test.truth).toFixed(2)} |`);
const head = () => console.log('| setting | val MAE | test MAE | test CA(5) % | test mean signed |\n|---|---:|---:|---:|---:|');

const SETS: Record<string, string[]> = {
  id: ['id'],
  'id+flip': ['id', 'flip'],
  'id+zoom1.06': ['id', 'zoom1.06'],
  'id+flip+zoom1.06+flip-zoom1.06': ['id', 'flip', 'zoom1.06', 'flip-zoom1.06'],
  'id+flip+zoom0.94+flip-zoom0.94': ['id', 'flip', 'zoom0.94', 'flip-zoom0.94'],
  'six zoom/flip': ['id', 'flip', 'zoom1.06', 'zoom0.94', 'flip-zoom1.06', 'flip-zoom0.94'],
  'all eight': views,
};
for (let m = 0; m < models.length; m++) {
  console.log(`\n### ${models[m]}\n`);
  head();
  for (const v of views) row(`view ${v}`, val.age[m][vi(v)], test.age[m][vi(v)]);
  for (const [name, vs] of Object.entries(SETS)) row(`mean of ${name}`, meanOf(val, m, vs.map(vi)), meanOf(test, m, vs.map(vi)));
}

// two-model ensembles: w * A + (1 - w) * B on a view set, w chosen on validation
console.log('\n### Ensembles (weight of the first model chosen on validation)\n');
head();
for (const vs of [['id'], ['id', 'flip']])
  for (let m1 = 0; m1 < models.length; m1++)
    for (let m2 = m1 + 1; m2 < models.length; m2++) {
      const A = [meanOf(val, m1, vs.map(vi)), meanOf(test, m1, vs.map(vi))], B = [meanOf(val, m2, vs.map(vi)), meanOf(test, m2, vs.map(vi))];
      let best = 1, bestMae = Infinity;
      for (let w = 0; w <= 1.0001; w += 0.05) {
        const e = mae(A[0].map((x, i) => w * x + (1 - w) * B[0][i]), val.truth);
        if (e < bestMae) { bestMae = e; best = w; }
      }
      const mix = (k: number) => A[k].map((x, i) => best * x + (1 - best) * B[k][i]);
      row(`${vs.join('+')}: ${best.toFixed(2)} x ${short(models[m1])} + ${(1 - best).toFixed(2)} x ${short(models[m2])}`, mix(0), mix(1));
    }
function short(p: string) { return p.replace(/^.*\/(runs\/)?/, '').replace(/\.daaw$/, ''); }

// calibration of model 0's age (per view set), fitted on validation
console.log(`\n### Calibration of ${models[0]} (fitted on validation)\n`);
head();
for (const vs of [['id'], ['id', 'flip']]) {
  const pv = meanOf(val, 0, vs.map(vi)), pt = meanOf(test, 0, vs.map(vi));
  row(`${vs.join('+')}: none`, pv, pt);
  // shift: the median residual minimises L1
  const res = pv.map((p, i) => val.truth[i] - p).sort((x, y) => x - y);
  const shift = res[res.length >> 1];
  row(`${vs.join('+')}: shift ${shift.toFixed(2)}`, pv.map((p) => p + shift), pt.map((p) => p + shift));
  // linear a + b p, grid search on L1
  let bestA = 0, bestB = 1, bestE = Infinity;
  for (let b = 0.9; b <= 1.2001; b += 0.005)
    for (let c = -3; c <= 3.0001; c += 0.05) {
      const e = mae(pv.map((p) => c + b * (p - 30) + 30), val.truth);
      if (e < bestE) { bestE = e; bestA = c; bestB = b; }
    }
  const lin = (p: number) => bestA + bestB * (p - 30) + 30;
  row(`${vs.join('+')}: linear ${bestA.toFixed(2)} + ${bestB.toFixed(3)} (p - 30) + 30`, pv.map(lin), pt.map(lin));
  // monotone piecewise-linear: knots every K years of predicted age, the median label offset near each knot
  for (const K of [5, 10]) {
    const knots: number[] = [], offs: number[] = [];
    for (let k = 0; k <= 100; k += K) {
      const near = pv.map((p, i) => [p, val.truth[i] - p]).filter(([p]) => Math.abs(p - k) <= K);
      if (near.length < 30) continue;
      const o = near.map(([, r]) => r).sort((x, y) => x - y);
      knots.push(k); offs.push(o[o.length >> 1]);
    }
    const f = (p: number) => {
      if (p <= knots[0]) return p + offs[0];
      for (let j = 1; j < knots.length; j++) if (p <= knots[j]) { const t = (p - knots[j - 1]) / (knots[j] - knots[j - 1]); return p + offs[j - 1] * (1 - t) + offs[j] * t; }
      return p + offs[offs.length - 1];
    };
    row(`${vs.join('+')}: piecewise, knots every ${K} (${offs.map((o) => o.toFixed(1)).join(' ')})`, pv.map(f), pt.map(f));
  }
}

// views and a second model together: the first model on a view set with the last model on another
console.log(`\n### ${short(models[0])} on a view set + ${short(models[models.length - 1])} on a view set (weight chosen on validation)\n`);
head();
const last = models.length - 1;
for (const [s1, s2] of [['id+flip', 'id+flip'], ['id+flip+zoom0.94+flip-zoom0.94', 'id+flip'], ['all eight', 'all eight']]) {
  const A = [meanOf(val, 0, SETS[s1].map(vi)), meanOf(test, 0, SETS[s1].map(vi))], B = [meanOf(val, last, SETS[s2].map(vi)), meanOf(test, last, SETS[s2].map(vi))];
  let best = 1, bestMae = Infinity;
  for (let w = 0; w <= 1.0001; w += 0.05) {
    const e = mae(A[0].map((x, i) => w * x + (1 - w) * B[0][i]), val.truth);
    if (e < bestMae) { bestMae = e; best = w; }
  }
  const mix = (k: number) => A[k].map((x, i) => best * x + (1 - best) * B[k][i]);
  row(`${best.toFixed(2)} x (${s1}) + ${(1 - best).toFixed(2)} x (${s2})`, mix(0), mix(1));
}
