// The SIMD Conv2DBackpropFilter (build/daa.train.wasm) against the plain TS reference over swept
// shapes: channels {1,3,4,5,8,17,32}, H/W 1..9, stride 1/2, pad 0/1, K 1/3, in both the shared-
// memory runtime and the copying fallback. Tolerance: |got - want| <= 1e-5 * sum|x*dy| + 1e-7.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterJs, conv2dBackpropFilterWasm } from '../../train/kernels/conv2d-backprop-filter.ts';
import { randArray, rng, runtimes, wasmBackend } from './setup.ts';

const SEED = 20240601;
const CH = [1, 3, 4, 5, 8, 17, 32];
const { shared, copy } = await runtimes();
const be = await wasmBackend();

interface Case { B: number; H: number; W: number; Cin: number; Cout: number; K: number; s: number; p: number }

function cases(): Case[] {
  const r = rng(SEED);
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)];
  const out: Case[] = [];
  // every channel pair on one shape per (K, s, p)
  for (const K of [1, 3]) for (const s of [1, 2]) for (const p of [0, 1])
    for (const Cin of CH) for (const Cout of CH) out.push({ B: 2, H: 7, W: 6, Cin, Cout, K, s, p });
  // random shapes
  while (out.length < 600) {
    const K = pick([1, 3]), s = pick([1, 2]), p = pick([0, 1]);
    const H = 1 + Math.floor(r() * 9), W = 1 + Math.floor(r() * 9);
    if (H + 2 * p < K || W + 2 * p < K) continue;
    out.push({ B: 1 + Math.floor(r() * 3), H, W, Cin: pick(CH), Cout: pick(CH), K, s, p });
  }
  return out;
}

for (const [label, rt] of [['shared', shared], ['copy', copy]] as const) {
  test(`Conv2DBackpropFilter simd (${label}) == TS reference, swept shapes (seed ${SEED})`, () => {
    const kernel = conv2dBackpropFilterWasm(rt);
    const r = rng(SEED + 1);
    const all = cases();
    all.forEach((c, ci) => {
      const OH = Math.floor((c.H + 2 * c.p - c.K) / c.s) + 1, OW = Math.floor((c.W + 2 * c.p - c.K) / c.s) + 1;
      const xa = randArray(c.B * c.H * c.W * c.Cin, r), dya = randArray(c.B * OH * OW * c.Cout, r);
      const want = new Float32Array(c.K * c.K * c.Cin * c.Cout), mag = new Float32Array(want.length);
      conv2dBackpropFilterJs(xa, c.B, c.H, c.W, c.Cin, dya, OH, OW, c.Cout, c.K, c.s, c.p, want);
      conv2dBackpropFilterJs(xa.map(Math.abs), c.B, c.H, c.W, c.Cin, dya.map(Math.abs), OH, OW, c.Cout, c.K, c.s, c.p, mag);
      const x = tf.tensor4d(xa, [c.B, c.H, c.W, c.Cin]), dy = tf.tensor4d(dya, [c.B, OH, OW, c.Cout]);
      const info = kernel({ inputs: { x, dy }, backend: be, attrs: { strides: [c.s, c.s], pad: c.p, filterShape: [c.K, c.K, c.Cin, c.Cout], dataFormat: 'NHWC' } as never });
      const got = tf.engine().makeTensorFromTensorInfo(info);
      const g = got.dataSync();
      for (let i = 0; i < want.length; i++) {
        const tol = 1e-5 * mag[i] + 1e-7;
        if (!(Math.abs(g[i] - want[i]) <= tol)) {
          assert.unreachable(`seed ${SEED} case ${ci} ${JSON.stringify(c)} index ${i}: expected ${want[i]}, actual ${g[i]} (tol ${tol})`);
        }
      }
      tf.dispose([x, dy, got]);
    });
  });
}

test('Conv2DBackpropFilter simd through tf.grad (registered kernel) == TS reference, pad "same"', async () => {
  const { registerTrainingKernels, unregisterTrainingKernels } = await import('../../train/kernels/index.ts');
  await registerTrainingKernels();
  try {
    const r = rng(SEED + 2);
    const xa = randArray(2 * 8 * 8 * 5, r), wa = randArray(3 * 3 * 5 * 6, r);
    const x = tf.tensor4d(xa, [2, 8, 8, 5]), w = tf.tensor4d(wa, [3, 3, 5, 6]);
    const dw = tf.grad((w: tf.Tensor) => tf.conv2d(x, w as tf.Tensor4D, 1, 'same').sum())(w);
    const want = new Float32Array(3 * 3 * 5 * 6);
    conv2dBackpropFilterJs(xa, 2, 8, 8, 5, new Float32Array(2 * 8 * 8 * 6).fill(1), 8, 8, 6, 3, 1, 1, want);
    const g = dw.dataSync();
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(g[i] - want[i]) <= 1e-4, `index ${i}: expected ${want[i]}, actual ${g[i]}`);
    tf.dispose([x, w, dw]);
  } finally {
    unregisterTrainingKernels();
  }
});

test.run();
