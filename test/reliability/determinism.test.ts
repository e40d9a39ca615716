/**
 * Determinism: the fixture image (test/reliability/determinism-fixture.ts) gives the bit-identical
 * age and per-template estimates across repeated runs, across estimators, after other images and
 * options, and equal to the recorded reference bits of each kernel build. Other runtimes (Deno, Bun,
 * Chromium, workerd) check the same `expected` values with the same fixture.
 * DAA_PRINT_FIXTURE=1 prints the measured bits (to update `expected` after a deliberate kernel change).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createEstimator } from '../../src/index.ts';
import { readWeightFile } from '../../src/format.ts';
import { crc32 } from '../../src/crc32.ts';
import { expected, f32Fnv, fixtureCrc, f64Hex, makeImage, makeWeights } from './determinism-fixture.ts';
import { rgba } from './util.ts';

test('the fixture is itself deterministic: same bytes on every call', () => {
  const a = makeWeights();
  const b = makeWeights();
  assert.equal(a, b);
  assert.equal(makeImage().data, makeImage().data);
  readWeightFile(a);
  // the fixture's bytes, pinned (a change here means the generator changed, not the kernels)
  console.log(`  fixture weights: ${a.length} bytes, crc32 ${crc32(a).toString(16)}; image crc32 ${crc32(new Uint8Array(makeImage().data.buffer)).toString(16)}`);
  assert.is(crc32(a).toString(16), fixtureCrc.weights);
  assert.is(crc32(new Uint8Array(makeImage().data.buffer)).toString(16), fixtureCrc.image);
});

for (const backend of ['simd', 'scalar'] as const) {
  test(`${backend}: bit-identical across runs and estimators, and equal to the recorded reference`, async () => {
    const img = makeImage();
    const a = await createEstimator({ crop: 'chip', model: makeWeights(), backend });
    const b = await createEstimator({ crop: 'chip', model: makeWeights().buffer as ArrayBuffer, backend });
    const first = a.estimate(img);
    const bits = { age: f64Hex(first.age), perTemplate: f32Fnv(first.perTemplate) };
    if (process.env.DAA_PRINT_FIXTURE) console.log(`  ${backend}: { age: '${bits.age}', perTemplate: '${bits.perTemplate}', approxAge: ${first.age} }`);
    for (let i = 0; i < 50; i++) {
      // other sizes, channel counts and options in between must not leave state behind
      a.estimate(rgba(7 + i * 13, 5 + i * 7, i));
      if (i % 10 === 0) a.estimate(img, { interval: 5 });
      const r = a.estimate(img);
      assert.is(f64Hex(r.age), bits.age, `run ${i}`);
      assert.is(f32Fnv(r.perTemplate), bits.perTemplate, `run ${i}`);
    }
    const rb = b.estimate(img);
    assert.is(f64Hex(rb.age), bits.age, 'a second estimator');
    assert.is(f32Fnv(rb.perTemplate), bits.perTemplate, 'a second estimator');
    assert.equal(bits, { age: expected[backend].age, perTemplate: expected[backend].perTemplate }, `${backend} reference bits`);
    a.dispose();
    b.dispose();
  });
}

test.run();
