import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeRng, resizeBilinearRGB, toU8Round } from '../../train/data.ts';

test.before(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

function randomImage(w: number, h: number, seed: number): Uint8Array {
  const rng = makeRng(seed);
  const a = new Uint8Array(w * h * 3);
  for (let i = 0; i < a.length; i++) a[i] = Math.floor(rng() * 256);
  return a;
}

const cases: Array<[number, number, number, number]> = [
  // [sw, sh, dw, dh]
  [128, 128, 64, 64],
  [128, 128, 96, 96],
  [128, 128, 160, 160],
  [7, 5, 19, 13],
  [40, 30, 17, 23],
  [1, 9, 5, 4],
  [9, 1, 4, 6],
  [5, 5, 1, 1],
  [3, 4, 1, 11],
  [200, 200, 64, 64],
];

test('resizeBilinearRGB equals tf.image.resizeBilinear(.., false, true) on the cpu backend', () => {
  let seed = 1;
  for (const [sw, sh, dw, dh] of cases) {
    const src = randomImage(sw, sh, seed++);
    const ours = resizeBilinearRGB(src, sw, sh, dw, dh);
    const ref = tf.tidy(() =>
      tf.image.resizeBilinear(tf.tensor3d(Float32Array.from(src), [sh, sw, 3]), [dh, dw], false, true).dataSync() as Float32Array,
    );
    assert.is(ours.length, ref.length, `${sw}x${sh}->${dw}x${dh} length`);
    let maxDiff = 0;
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - ref[i]));
    assert.ok(maxDiff <= 1e-3, `${sw}x${sh}->${dw}x${dh}: max diff ${maxDiff}`);
  }
});

test('resizeBilinearRGB is the identity at the same size and writes into out', () => {
  const src = randomImage(6, 4, 99);
  const out = new Float32Array(6 * 4 * 3);
  const r = resizeBilinearRGB(src, 6, 4, 6, 4, out);
  assert.is(r, out);
  assert.equal(Array.from(r), Array.from(src));
});

test('toU8Round rounds to nearest and clamps', () => {
  const u = toU8Round(Float32Array.from([0.49, 0.5, 1.5, 254.6, 255.4, -3, 300]));
  assert.equal(Array.from(u), [0, 1, 2, 255, 255, 0, 255]);
});

test.run();
