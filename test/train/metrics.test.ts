import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ageMetrics, metricsMarkdown, pearson } from '../../train/metrics.ts';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

test('ageMetrics on a hand-computed example', () => {
  const truth = [5, 15, 25, 45, 70, 30];
  const pred = [7, 15, 33, 41, 64, 30.5];
  // errors: +2, 0, +8, -4, -6, +0.5 ; abs: 2, 0, 8, 4, 6, 0.5 ; sum abs 20.5 ; sum signed 0.5
  const m = ageMetrics(pred, truth);
  assert.is(m.n, 6);
  close(m.mae, 20.5 / 6);
  close(m.meanSignedError, 0.5 / 6);
  close(m.ca3, (100 * 3) / 6); // 2, 0, 0.5
  close(m.ca5, (100 * 4) / 6); // + 4
  close(m.ca7, (100 * 5) / 6); // + 6
  assert.equal(m.bands.map((b) => [b.band, b.n]), [['0-12', 1], ['13-19', 1], ['20-39', 2], ['40-59', 1], ['60+', 1]]);
  close(m.bands[0].mae, 2);
  close(m.bands[1].mae, 0);
  close(m.bands[2].mae, 4.25);
  close(m.bands[3].mae, 4);
  close(m.bands[4].mae, 6);
  assert.is(m.bands[4].hi, Infinity);
  assert.is(m.spreadErrorCorrelation, null);
});

test('CA thresholds are inclusive, band edges by true age', () => {
  const m = ageMetrics([15, 20, 27, 12.9, 19, 60], [12, 15, 20, 12.9, 19, 60]);
  close(m.ca3, 100 * 4 / 6);
  close(m.ca5, 100 * 5 / 6);
  close(m.ca7, 100);
  assert.equal(m.bands.map((b) => b.n), [2, 2, 1, 0, 1]);
  assert.ok(Number.isNaN(m.bands[3].mae));
});

test('spread-error correlation is Pearson', () => {
  const truth = [10, 20, 30, 40];
  const pred = [11, 22, 33, 44]; // abs err 1, 2, 3, 4
  close(ageMetrics(pred, truth, [2, 4, 6, 8]).spreadErrorCorrelation!, 1);
  close(ageMetrics(pred, truth, [8, 6, 4, 2]).spreadErrorCorrelation!, -1);
  // hand computed: x = [1, 3, 2, 5], y = [1, 2, 3, 4]: mx 2.75, my 2.5
  // dx = [-1.75, 0.25, -0.75, 2.25], dy = [-1.5, -0.5, 0.5, 1.5]
  // sxy = 2.625 - 0.125 - 0.375 + 3.375 = 5.5 ; sxx = 3.0625 + 0.0625 + 0.5625 + 5.0625 = 8.75 ; syy = 5
  close(pearson([1, 3, 2, 5], [1, 2, 3, 4])!, 5.5 / Math.sqrt(8.75 * 5), 1e-12);
  assert.is(ageMetrics(pred, truth, [1, 1, 1, 1]).spreadErrorCorrelation, null);
});

test('selective prediction: MAE over the faces with the smallest spread', () => {
  // abs errors 4, 1, 3, 2 with spreads 9, 1, 5, 2: by spread the errors come as 1, 2, 3, 4
  const m = ageMetrics([14, 21, 33, 42], [10, 20, 30, 40], [9, 1, 5, 2]);
  assert.equal(m.selective, [
    { coverage: 50, n: 2, mae: 1.5 },
    { coverage: 80, n: 3, mae: 2 },
    { coverage: 100, n: 4, mae: 2.5 },
  ]);
  assert.is(ageMetrics([14, 21], [10, 20]).selective, null);
});

test('ageMetrics validates its input', () => {
  assert.throws(() => ageMetrics([1, 2], [1]), /2 predictions but 1/);
  assert.throws(() => ageMetrics([1, NaN], [1, 2]), /prediction 1 is NaN/);
  assert.throws(() => ageMetrics([1, 2], [1, 2], [1]), /spreads/);
});

test('per-group MAE and signed error, groups in name order', () => {
  // errors +2, -4, +1, -1: White (+2, +1) MAE 1.5 signed +1.5; Asian (-4, -1) MAE 2.5 signed -2.5
  const m = ageMetrics([12, 26, 41, 59], [10, 30, 40, 60], undefined, { race: ['White', 'Asian', 'White', 'Asian'], gender: ['male', 'male', 'male', 'female'] });
  assert.equal(m.groups!.race, [
    { group: 'Asian', n: 2, mae: 2.5, meanSignedError: -2.5 },
    { group: 'White', n: 2, mae: 1.5, meanSignedError: 1.5 },
  ]);
  assert.equal(m.groups!.gender.map((g) => [g.group, g.n, g.mae]), [['female', 1, 1], ['male', 3, 7 / 3]]);
  assert.is(ageMetrics([1], [1]).groups, undefined);
  assert.throws(() => ageMetrics([1, 2], [1, 2], undefined, { race: ['White'] }), /2 predictions but 1 'race' labels/);
  assert.match(metricsMarkdown(m), /\| race \| n \| MAE \(years\) \| mean signed error \|\n\|---\|---:\|---:\|---:\|\n\| Asian \| 2 \| 2\.500 \| -2\.500 \|/);
});

test('metricsMarkdown renders tables', () => {
  const md = metricsMarkdown(ageMetrics([7, 15, 33], [5, 15, 25], [1, 0, 3]), 'Test set');
  assert.ok(md.startsWith('### Test set\n'));
  assert.match(md, /\| 3 \| 3\.333 \| 66\.7 \| 66\.7 \| 66\.7 \| \+3\.333 \| /);
  assert.match(md, /\| 0-12 \| 1 \| 2\.000 \|/);
  assert.match(md, /\| 60\+ \| 0 \| - \|/);
});

test.run();
