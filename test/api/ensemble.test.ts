/**
 * The estimator's ensemble (EstimatorOptions.ensemble): the built-in estimator mixes its partners
 * (weights/models.json `ensemble`) into resnet18w16-daa's ages; every age is w_0 x the main model's +
 * w_1 x the first partner's + ... (w_0 = 1 - the partners' weights), per template, and `spread` is
 * the weighted deviation of every model's per-template estimates around it. Checked against
 * single-model estimators on the same image, for chips (generated image), the per-call and the
 * estimator-level switch, custom pairs and triples, and the errors.
 * The whole-photo path (estimateAll: each partner's chip at its own input side) needs UTKFace and
 * skips (counted as skipped) without it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEstimator, OptionsError, type Estimate } from '../../src/index.ts';
import { DEFAULT_CONFIG } from '../../src/arch.ts';
import { makeImage, makeWeights } from '../reliability/determinism-fixture.ts';
import { decodeImage, evalRows, imageDir, readLabels } from '../../train/data.ts';
import { background, pasteChip } from '../../train/canvas.ts';
import { utkRoot } from '../detect/util.ts';

const root = utkRoot();
if (!root) console.log('  SKIP: no UTKFace data (DAA_DATA or ../shared/data/utkface): the whole-photo test of test/api/ensemble.test.ts is skipped');
const withData = root ? test : test.skip;

const MODELS = JSON.parse(readFileSync('weights/models.json', 'utf8')) as { default: string; ensemble: { model: string; weight: number } | { model: string; weight: number }[] };
/** the built-in partners and their weights, as weights/models.json names them */
const BUILTIN = [MODELS.ensemble].flat();
const builtin = await createEstimator({ crop: 'chip', backend: 'simd' });
const main = await createEstimator({ crop: 'chip', backend: 'simd', ensemble: false });
/** each built-in partner alone, by name (the embedded int8 file) */
const partners = await Promise.all(BUILTIN.map((p) => createEstimator({ crop: 'chip', backend: 'simd', model: p.model })));
/** an explicit pair: the main model with c3ae-daa at 0.25 */
const pair = await createEstimator({ crop: 'chip', backend: 'simd', ensemble: { model: 'c3ae-daa', weight: 0.25 } });
const second = await createEstimator({ crop: 'chip', backend: 'simd', model: 'c3ae-daa' });

/** the built-in estimator's mix of the single-model estimates that `run` gives for each of its models */
function mixBuiltin(run: (e: typeof main) => Estimate): ReturnType<typeof mix> {
  return mixAll(run(main), partners.map((e, i) => [run(e), BUILTIN[i].weight]));
}

/** the ensemble of two single-model estimates, as the estimator computes it */
function mix(a: Estimate, b: Estimate, w: number): { age: number; perTemplate: Float32Array; spread: number } {
  return mixAll(a, [[b, w]]);
}

/** the main estimate with partner estimates of weights w_i mixed in: weights 1 - sum w_i, w_1, ... */
function mixAll(a: Estimate, partners: [Estimate, number][]): { age: number; perTemplate: Float32Array; spread: number } {
  const all: [Estimate, number][] = [[a, 1 - partners.reduce((t, [, w]) => t + w, 0)], ...partners];
  const age = all.reduce((t, [e, w]) => t + w * e.age, 0);
  const T = a.perTemplate.length;
  const ss = all.reduce((t, [e, w]) => t + w * e.perTemplate.reduce((u, v) => u + (v - age) ** 2, 0), 0);
  return { age, perTemplate: a.perTemplate.map((_, t) => all.reduce((u, [e, w]) => u + w * e.perTemplate[t], 0)), spread: Math.sqrt(ss / T) };
}

function expectMix(got: Estimate, want: ReturnType<typeof mix>, tol: number, what: string): void {
  const msg = (k: string, e: number, g: number) => `${what}: ${k} expected ${e}, got ${g} (tolerance ${tol})`;
  assert.ok(Math.abs(got.age - want.age) <= tol, msg('age', want.age, got.age));
  assert.ok(Math.abs(got.spread - want.spread) <= tol, msg('spread', want.spread, got.spread));
  assert.is(got.perTemplate.length, want.perTemplate.length, `${what}: template count`);
  want.perTemplate.forEach((v, t) => assert.ok(Math.abs(got.perTemplate[t] - v) <= tol, msg(`perTemplate[${t}]`, v, got.perTemplate[t])));
}

test('the built-in estimator holds the partners of weights/models.json, in its precision; ensemble: false holds none', () => {
  assert.ok(BUILTIN.length >= 1, 'weights/models.json names partners');
  assert.equal(builtin.ensemble.map((m) => m.weight), BUILTIN.map((p) => p.weight));
  assert.equal(builtin.ensemble.map((m) => m.config), partners.map((e) => e.config), 'each partner is the built-in model of that name');
  for (const m of builtin.ensemble) assert.is(m.precision, builtin.precision);
  assert.equal(main.ensemble, []);
  assert.equal(second.ensemble, [], 'a model passed by name gets no partner');
  assert.ok(builtin.memoryBytes() > main.memoryBytes(), 'the partners are placed in the same arena at load');
});

test('chip: age, perTemplate and spread are the weighted mix of the models (same arithmetic: within 1e-9); flip and intervals too', () => {
  for (const [i, size] of [[0, [80, 72]], [1, [128, 128]], [2, [61, 97]]] as const) {
    const img = makeImage(size[0], size[1], 500 + i);
    for (const interval of [1, 5]) {
      const what = `image ${i} (${size.join('x')}), interval ${interval}`;
      expectMix(builtin.estimate(img, { interval }), mixBuiltin((e) => e.estimate(img, { interval })), 1e-9, `built-in, ${what}`);
      expectMix(pair.estimate(img, { interval }), mix(main.estimate(img, { interval }), second.estimate(img, { interval }), 0.25), 1e-9, `pair, ${what}`);
    }
    // flip: each view mixed, then the views averaged as for one model
    const f = builtin.estimate(img, { flip: true });
    const [a, b] = [mixBuiltin((e) => e.estimate(img)), (() => {
      const m = makeImage(size[0], size[1], 500 + i);
      for (let y = 0; y < m.height; y++) for (let x = 0; x < m.width; x++) for (let c = 0; c < 4; c++) m.data[(y * m.width + x) * 4 + c] = img.data[(y * m.width + (m.width - 1 - x)) * 4 + c];
      return mixBuiltin((e) => e.estimate(m));
    })()];
    assert.ok(Math.abs(f.age - (a.age + b.age) / 2) <= 1e-9, `image ${i} flip: age ${f.age} against ${(a.age + b.age) / 2}`);
    assert.ok(Math.abs(f.spread - Math.sqrt((a.spread ** 2 + b.spread ** 2) / 2)) <= 1e-9, `image ${i} flip: spread`);
  }
});

test("models: each model's own age, the main model's first; their weighted mean is the age; none for the main model alone", () => {
  const img = makeImage(96, 96, 41);
  const weights = [1 - BUILTIN.reduce((t, p) => t + p.weight, 0), ...BUILTIN.map((p) => p.weight)];
  for (const flip of [false, true]) {
    const e = builtin.estimate(img, { flip });
    const own = [main, ...partners].map((m) => m.estimate(img, { flip }).age);
    assert.ok(e.models, `flip ${flip}: models present`);
    assert.is(e.models!.length, own.length, `flip ${flip}: one age per model`);
    e.models!.forEach((v, i) => assert.ok(Math.abs(v - own[i]) <= 1e-9, `flip ${flip}: models[${i}] expected ${own[i]}, got ${v}`));
    const mixed = e.models!.reduce((t, v, i) => t + weights[i] * v, 0);
    assert.ok(Math.abs(mixed - e.age) <= 1e-9, `flip ${flip}: weighted mean ${mixed} against age ${e.age}`);
  }
  assert.is(builtin.estimate(img, { ensemble: false }).models, undefined);
  assert.is(main.estimate(img).models, undefined);
});

test('ensemble: false per call is the main model alone, bit for bit; the next call mixes again', () => {
  const img = makeImage();
  const alone = builtin.estimate(img, { ensemble: false });
  const ref = main.estimate(img);
  assert.is(alone.age, ref.age);
  assert.is(alone.spread, ref.spread);
  assert.equal(Array.from(alone.perTemplate), Array.from(ref.perTemplate));
  assert.is.not(builtin.estimate(img).age, ref.age);
  assert.is(builtin.estimate(img, { ensemble: true }).age, builtin.estimate(img).age);
});

test('a custom pair: two weight files and a weight of your own', async () => {
  const est = await createEstimator({ crop: 'chip', backend: 'simd', model: 'weights/c3ae-daa.fp32.daaw', ensemble: { model: 'weights/resnet18w16-daa.int8.daaw', weight: 0.6 } });
  const a = await createEstimator({ crop: 'chip', backend: 'simd', model: 'weights/c3ae-daa.fp32.daaw' });
  const img = makeImage(90, 90, 77);
  assert.is(est.ensemble[0].weight, 0.6);
  assert.is(est.ensemble[0].precision, 'int8');
  expectMix(est.estimate(img), mix(a.estimate(img), main.estimate(img), 0.6), 1e-9, 'c3ae fp32 + 0.6 resnet18 int8');
  est.dispose();
  a.dispose();
});

test('a list of partners: three models, each weighted, in the order given; a list of one is the pair; an empty list is none', async () => {
  const c3ae32 = 'weights/c3ae-daa.fp32.daaw';
  const r18fp32 = 'weights/resnet18w16-daa.fp32.daaw';
  const triple = await createEstimator({ crop: 'chip', backend: 'simd', ensemble: [{ model: c3ae32, weight: 0.2 }, { model: r18fp32, weight: 0.15 }] });
  const one = await createEstimator({ crop: 'chip', backend: 'simd', ensemble: [{ model: 'c3ae-daa', weight: 0.25 }] });
  const none = await createEstimator({ crop: 'chip', backend: 'simd', ensemble: [] });
  const c3 = await createEstimator({ crop: 'chip', backend: 'simd', model: c3ae32 });
  const r18 = await createEstimator({ crop: 'chip', backend: 'simd', model: r18fp32 });
  assert.equal(triple.ensemble.map((m) => [m.config.encoder, m.precision, m.weight]), [['c3ae', 'fp32', 0.2], ['resnet18', 'fp32', 0.15]]);
  assert.equal(none.ensemble, []);
  assert.ok(triple.memoryBytes() > pair.memoryBytes(), 'every partner is placed in the arena at load');
  for (const [i, size] of [[0, [80, 72]], [1, [128, 128]]] as const) {
    const img = makeImage(size[0], size[1], 900 + i);
    for (const interval of [1, 5]) {
      const what = `image ${i} (${size.join('x')}), interval ${interval}`;
      expectMix(triple.estimate(img, { interval }), mixAll(main.estimate(img, { interval }), [[c3.estimate(img, { interval }), 0.2], [r18.estimate(img, { interval }), 0.15]]), 1e-9, `triple, ${what}`);
      const [p, q] = [pair.estimate(img, { interval }), one.estimate(img, { interval })];
      assert.is(q.age, p.age, `a list of one is the pair, bit for bit: ${what}`);
      assert.is(q.spread, p.spread);
      assert.equal(Array.from(q.perTemplate), Array.from(p.perTemplate));
    }
    const alone = triple.estimate(img, { ensemble: false });
    assert.is(alone.age, main.estimate(img).age, 'ensemble: false per call drops every partner');
    assert.is(none.estimate(img).age, main.estimate(img).age, 'an empty list is the main model alone');
  }
  for (const e of [triple, one, none, c3, r18]) e.dispose();
});

test('bad ensembles are OptionsErrors that name the problem; the estimator stays usable', async () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ model: 'c3ae-daa', weight: 0 }, /weight must be a number in \(0, 1\)/],
    [{ model: 'c3ae-daa', weight: 1 }, /weight must be a number in \(0, 1\)/],
    [{ model: 'c3ae-daa', weight: Number.NaN }, /weight must be a number in \(0, 1\)/],
    [{ model: 'c3ae-daa' }, /weight must be a number/],
    [{ weight: 0.3 }, /ensemble.model is required/],
    [{ model: 'c3ae-daa', weight: 0.3, wieght: 1 }, /unknown option 'wieght'/],
    [true, /ensemble must be false, \{ model, weight \} or a list of them/],
    [[{ model: 'c3ae-daa', weight: 0.5 }, { model: 'c3ae-daa', weight: 0.5 }], /weights must sum below 1 .*0.5 \+ 0.5 = 1/],
    [[{ model: 'c3ae-daa', weight: 0.2 }, { model: 'c3ae-daa', weight: 1.5 }], /ensemble\[1\].weight must be a number in \(0, 1\), got 1.5/],
    [[{ model: 'c3ae-daa', weight: 0.2 }, 'c3ae-daa'], /ensemble\[1\] must be \{ model, weight \}/],
    [[{ weight: 0.2 }], /ensemble\[0\].model is required/],
    [{ model: makeWeights({ ...DEFAULT_CONFIG, numTemplates: 50 }), weight: 0.3 }, /same template ages|template ages/],
  ];
  for (const [ensemble, re] of bad) {
    try {
      await createEstimator({ crop: 'chip', backend: 'simd', ensemble: ensemble as false });
      assert.unreachable(`ensemble ${JSON.stringify(ensemble)} was accepted`);
    } catch (e) {
      assert.instance(e, OptionsError, `ensemble ${JSON.stringify(ensemble)}: ${String(e)}`);
      assert.match((e as Error).message, re);
    }
  }
  const img = makeImage();
  for (const [opts, re] of [[{ ensemble: true }, /needs an estimator with ensemble partners/], [{ ensemble: 1 }, /ensemble must be true or false/]] as const) {
    try {
      main.estimate(img, opts as { ensemble: boolean });
      assert.unreachable(`${JSON.stringify(opts)} was accepted`);
    } catch (e) {
      assert.instance(e, OptionsError);
      assert.match((e as Error).message, re);
    }
  }
  assert.ok(Number.isFinite(main.estimate(img).age));
  assert.ok(Number.isFinite(pair.estimate(img).age));
});

withData('every built-in model reads its templates consistently: small spread, interval 10 within 0.3 years of interval 1 (UTKFace validation chips)', async () => {
  // a model trained on the mean estimate only (--template-loss 0) gives per-template estimates that
  // spread like the template ages (about 29 years): an ensemble's spread then means little, the
  // tracker's age filter trusts every frame less, and interval sampling moves the age by years
  const rows = evalRows(readLabels(root!), 'val').filter((_, i) => i % 60 === 0);
  const imgs = rows.map((r) => decodeImage(new Uint8Array(readFileSync(join(imageDir(root!), r.file))), r.file));
  for (const [name, e] of [[MODELS.default, main], ...BUILTIN.map((p, i) => [p.model, partners[i]] as const)] as const) {
    let spread = 0, shift = 0;
    for (const img of imgs) {
      const a = e.estimate(img);
      spread += a.spread / imgs.length;
      shift += (e.estimate(img, { interval: 10 }).age - a.age) / imgs.length;
    }
    assert.ok(spread < 5, `${name}: mean spread ${spread.toFixed(2)} years on ${imgs.length} chips`);
    assert.ok(Math.abs(shift) < 0.3, `${name}: interval 10 moves the age by ${shift.toFixed(3)} years on average`);
  }
});

withData('whole photo: each face of estimateAll is the mix of the models on their own chips of that face (within 1e-3 years)', async () => {
  const full = await createEstimator({ backend: 'simd' });
  const one = await createEstimator({ backend: 'simd', ensemble: false });
  const others = await Promise.all(BUILTIN.map((p) => createEstimator({ backend: 'simd', model: p.model })));
  const rows = readLabels(root!).filter((r) => r.split === 'test');
  for (const [k, row] of [rows[3], rows[300]].entries()) {
    const chip = decodeImage(new Uint8Array(readFileSync(join(imageDir(root!), row.file))), row.file);
    const W = 640, H = 480;
    const frame = { data: background('noise', W, H, 11 + k), width: W, height: H };
    pasteChip(frame.data, W, H, chip.data, chip.width, { cx: 320, cy: 240, size: 180, angle: 12 });
    const faces = full.estimateAll(frame);
    assert.ok(faces.length >= 1, `chip ${row.file}: no face found`);
    const f = faces[0];
    // a partner's chip is the main model's region at its own side (a scaled matrix, not recomputed
    // from the keypoints): the same pixels up to rounding of the map
    expectMix(f, mixAll(one.estimateFace(frame, f), others.map((e, i) => [e.estimateFace(frame, f), BUILTIN[i].weight])), 1e-3, `chip ${row.file}`);
    const r = full.refineFace(frame, f, { age: true, ensemble: false });
    assert.ok(r && Number.isFinite(r.age), 'refineFace with ensemble: false');
  }
  for (const e of [full, one, ...others]) e.dispose();
});

test.run();
