/**
 * The age filter (src/track/age-filter.ts) alone, on noisy per-frame ages drawn around a label: each
 * person has a model error (the bias no filter can remove), each frame a spread, and the frame's age
 * noise scales with the spread (sd = 2 x spread, as measured on the real model). Seeded; a failure
 * names the seed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_AGE_NOISE, GATE, newAgeState, observationVariance, updateAge, type AgeState } from '../../src/track/age-filter.ts';
import { Rng } from '../util/rng.ts';
import { gauss, jitter, mae, quantile, sd, settleFrame, steadyReference, type Reading } from './util.ts';

const FRONTAL = { roll: 0, yaw: 0, pitch: 0 };

/**
 * The noise model this simulation draws from (a frame's age sd = 2 x spread): the filter weighted by
 * it must beat the plain running mean. The default model weights spread less (DEFAULT_AGE_NOISE:
 * on real sequences a frame's spread says less about its error than this simulation assumes).
 */
const SIMULATED_NOISE = { ...DEFAULT_AGE_NOISE, perSpread: 2 };

/** A sequence: label, per-frame spreads and ages; and the tracked ages of the filter under `noise`. */
function sequence(seed: number, frames = 90, noise = DEFAULT_AGE_NOISE) {
  const rng = new Rng(seed);
  const label = rng.uniform(1, 80);
  const modelAge = label + 3 * gauss(rng);
  const spread: number[] = [], raw: number[] = [], tracked: number[] = [], readings: Reading[] = [];
  const s: AgeState = newAgeState();
  for (let t = 0; t < frames; t++) {
    // mostly 0.3-0.7, now and then a hard frame of 1-2
    const sp = rng.next() < 0.1 ? rng.uniform(1, 2) : rng.uniform(0.3, 0.7);
    const z = modelAge + 2 * sp * gauss(rng);
    spread.push(sp);
    raw.push(z);
    const r = observationVariance(sp, 0.9, 150, FRONTAL, noise);
    updateAge(s, z, r, 1, noise.processNoise);
    tracked.push(s.mean);
    readings.push({ t, z, r });
  }
  return { label, modelAge, spread, raw, tracked, readings };
}

test('noisy ages around a label (200 seeds): frame-to-frame sd >= 3x lower, level sd lower, MAE no worse, settled by frame 10', () => {
  const ratios: number[] = [], levels: number[] = [], settle: number[] = [];
  let maeRaw = 0, maeTracked = 0;
  for (let seed = 1; seed <= 200; seed++) {
    const q = sequence(seed);
    const ratio = jitter(q.raw) / jitter(q.tracked);
    const tail = (v: number[]) => v.slice(10);
    ratios.push(ratio);
    levels.push(sd(tail(q.raw)) / sd(tail(q.tracked)));
    settle.push(settleFrame(q.tracked, steadyReference(q.readings), q.raw));
    maeRaw += mae(q.raw, q.label);
    maeTracked += mae(q.tracked, q.label);
    assert.ok(ratio >= 3, `seed ${seed}: frame-to-frame sd ratio ${ratio.toFixed(2)}`);
    assert.ok(settle[settle.length - 1] <= 10, `seed ${seed}: settled at frame ${settle[settle.length - 1]}`);
  }
  console.log(
    `  200 sequences of 90 frames: frame-to-frame sd ratio median ${quantile(ratios, 0.5).toFixed(1)} (min ${Math.min(...ratios).toFixed(1)}); ` +
      `level sd ratio (after frame 10) median ${quantile(levels, 0.5).toFixed(1)} (min ${Math.min(...levels).toFixed(1)}); ` +
      `MAE raw ${(maeRaw / 200).toFixed(2)} tracked ${(maeTracked / 200).toFixed(2)}; settled by frame ${quantile(settle, 0.5)} median, ${quantile(settle, 0.9)} p90, ${Math.max(...settle)} max`,
  );
  assert.ok(maeTracked <= maeRaw);
  assert.ok(quantile(levels, 0.5) >= 3, 'the level, too, is 3x steadier on the median sequence');
});

test('weighting by spread beats the plain running mean when noise scales with spread', () => {
  let weighted = 0, plain = 0;
  for (let seed = 1; seed <= 200; seed++) {
    const q = sequence(seed, 90, SIMULATED_NOISE);
    const p: AgeState = newAgeState();
    let ew = 0, ep = 0;
    for (let t = 0; t < q.raw.length; t++) {
      updateAge(p, q.raw[t], observationVariance(0.5, 0.9, 150, FRONTAL, SIMULATED_NOISE), 1, SIMULATED_NOISE.processNoise);
      ew += (q.tracked[t] - q.modelAge) ** 2;
      ep += (p.mean - q.modelAge) ** 2;
    }
    weighted += ew;
    plain += ep;
  }
  console.log(`  rms distance from the model's own age: weighted ${Math.sqrt(weighted / 200 / 90).toFixed(3)}, unweighted ${Math.sqrt(plain / 200 / 90).toFixed(3)}`);
  assert.ok(weighted < 0.8 * plain);
});

test('no process noise: exactly the inverse-variance weighted mean', () => {
  const rng = new Rng(7);
  const s = newAgeState();
  let num = 0, den = 0;
  for (let i = 0; i < 50; i++) {
    const z = 30 + rng.uniform(-2, 2), r = rng.uniform(0.5, 3);
    updateAge(s, z, r, 1, 0);
    num += z / r;
    den += 1 / r;
    assert.ok(Math.abs(s.mean - num / den) < 1e-9, `after ${i + 1}: ${s.mean} vs ${num / den}`);
    assert.ok(Math.abs(s.variance - 1 / den) < 1e-12);
  }
});

test('process noise forgets: a step in the age is followed with a time constant of about 1/sqrt(q/R) frames', () => {
  const s = newAgeState();
  const r = 1.25, q = DEFAULT_AGE_NOISE.processNoise;
  for (let i = 0; i < 200; i++) updateAge(s, 30, r, 1, q);
  let n = 0;
  while (s.mean < 30 + 0.63 * 3 && n < 1000) {
    updateAge(s, 33, r, 1, q);
    n++;
  }
  const tau = 1 / Math.sqrt(q / r);
  console.log(`  a 3-year step reaches 63 % in ${n} frames (1/sqrt(q/R) = ${tau.toFixed(1)})`);
  assert.ok(n >= 3 && n <= 2 * tau, `${n} frames`);
});

test('one wild frame moves the age by at most a few gate widths (Huber), not by its error', () => {
  const s = newAgeState();
  for (let i = 0; i < 30; i++) updateAge(s, 30, 1, 1, 0.02);
  const before = s.mean, sdBefore = Math.sqrt(s.variance + 1);
  updateAge(s, 80, 1, 1, 0.02);
  const moved = s.mean - before;
  // without the gate: K * 50 with K ~ P / (P + 1); with it, the step is capped near GATE * sd * K'
  assert.ok(moved < GATE * sdBefore, `moved ${moved}`);
  assert.ok(moved > 0);
});

test('observation variance: grows with spread, low score, small faces and turned heads', () => {
  const n = DEFAULT_AGE_NOISE;
  const base = observationVariance(0.5, 1, 200, FRONTAL, n);
  assert.ok(observationVariance(1, 1, 200, FRONTAL, n) > base);
  assert.ok(observationVariance(0.5, 0.6, 200, FRONTAL, n) > base);
  assert.ok(observationVariance(0.5, 1, 48, FRONTAL, n) > base);
  assert.ok(observationVariance(0.5, 1, 200, { roll: 0, yaw: 0.3, pitch: 0 }, n) > base);
  assert.ok(observationVariance(0.5, 1, 200, { roll: 0, yaw: 0, pitch: -0.2 }, n) > base);
  assert.ok(observationVariance(0.5, 1, 200, { roll: 20, yaw: 0, pitch: 0 }, n) > base);
  assert.is(observationVariance(0.5, 1, 200, null, n), base, 'no keypoints: no pose factor');
  assert.ok(observationVariance(0, 0, 1, FRONTAL, { base: 0.01, perSpread: 0, processNoise: 0 }) > 0);
});

test.run();
