// The depthwise-conv gradients for tfjs-wasm (train/kernels/depthwise-grad.ts): the plain TS reference
// against tfjs's cpu backend (its own DepthwiseConv2dNativeBackprop{Input,Filter}), then the SIMD kernels
// of build/daa.train.wasm (shared-memory and copying runtimes) against the reference over swept shapes:
// channels {1,3,4,5,8,16,17}, H/W 1..9, K 1/3/5, stride 1/2, padding 'same', 'valid', 0, 1.
// Tolerance per output: |got - want| <= 1e-5 * sum|terms| + 1e-7 (f32 sums of the same terms in
// another order).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { depthwiseFilterGradJs, depthwiseGradWasm, depthwiseInputGradJs, type DepthwiseGeometry } from '../../train/kernels/depthwise-grad.ts';
import { randArray, rng, runtimes, wasmBackend } from './setup.ts';

const SEED = 20261207;
const CH = [1, 3, 4, 5, 8, 16, 17];
const { shared, copy } = await runtimes();
const be = await wasmBackend();

interface Case { B: number; H: number; W: number; C: number; K: number; s: number; pad: 'same' | 'valid' | 0 | 1 }

function cases(n: number, seed: number): Case[] {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)];
  const out: Case[] = [];
  for (const s of [1, 2]) for (const pad of ['same', 'valid', 0, 1] as const) for (const C of CH) out.push({ B: 2, H: 7, W: 6, C, K: 3, s, pad });
  while (out.length < n) {
    const c: Case = { B: 1 + Math.floor(r() * 3), H: 1 + Math.floor(r() * 9), W: 1 + Math.floor(r() * 9), C: pick(CH), K: pick([1, 3, 3, 5]), s: pick([1, 2]), pad: pick(['same', 'valid', 0, 1] as const) };
    const p = c.pad === 'same' ? c.K : c.pad === 'valid' ? 0 : 2 * c.pad;
    if (c.H + p < c.K || c.W + p < c.K) continue;
    out.push(c);
  }
  return out;
}

function geometryOf(c: Case): DepthwiseGeometry {
  const info = tf.backend_util.computeConv2DInfo([c.B, c.H, c.W, c.C], [c.K, c.K, c.C, 1], [c.s, c.s], 1, c.pad, undefined, true, 'channelsLast');
  return { B: c.B, H: c.H, W: c.W, C: c.C, KH: c.K, KW: c.K, sh: c.s, sw: c.s, OH: info.outHeight, OW: info.outWidth, pt: info.padInfo.top, pl: info.padInfo.left };
}

function check(label: string, ci: number, c: Case, got: ArrayLike<number>, want: Float32Array, mag: Float32Array): void {
  for (let i = 0; i < want.length; i++) {
    const tol = 1e-5 * mag[i] + 1e-7;
    if (!(Math.abs(got[i] - want[i]) <= tol))
      assert.unreachable(`${label} seed ${SEED} case ${ci} ${JSON.stringify(c)} index ${i}: expected ${want[i]}, actual ${got[i]} (tol ${tol})`);
  }
}

test('depthwise gradients: TS reference == tfjs cpu backend', async () => {
  await tf.setBackend('cpu');
  try {
    const r = rng(SEED + 1);
    cases(120, SEED).forEach((c, ci) => {
      const g = geometryOf(c);
      const xa = randArray(c.B * c.H * c.W * c.C, r), wa = randArray(c.K * c.K * c.C, r), dya = randArray(c.B * g.OH * g.OW * c.C, r);
      const [dx, dw] = tf.tidy(() => {
        const dy = tf.tensor4d(dya, [c.B, g.OH, g.OW, c.C]);
        const gr = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad), dy)));
        return gr([tf.tensor4d(xa, [c.B, c.H, c.W, c.C]), tf.tensor4d(wa, [c.K, c.K, c.C, 1])]).map((t) => t.dataSync());
      });
      const wantW = new Float32Array(wa.length), magW = new Float32Array(wa.length), wantX = new Float32Array(xa.length), magX = new Float32Array(xa.length);
      depthwiseFilterGradJs(xa, dya, g, wantW);
      depthwiseFilterGradJs(xa.map(Math.abs), dya.map(Math.abs), g, magW);
      depthwiseInputGradJs(dya, wa, g, wantX);
      depthwiseInputGradJs(dya.map(Math.abs), wa.map(Math.abs), g, magX);
      check('filter (cpu vs reference)', ci, c, dw, wantW, magW);
      check('input (cpu vs reference)', ci, c, dx, wantX, magX);
    });
  } finally {
    await tf.setBackend('wasm');
  }
});

for (const [label, rt] of [['shared', shared], ['copy', copy]] as const) {
  test(`depthwise gradients simd (${label}) == TS reference, swept shapes (seed ${SEED})`, () => {
    const k = depthwiseGradWasm(rt);
    const r = rng(SEED + 2);
    cases(500, SEED + 3).forEach((c, ci) => {
      const g = geometryOf(c);
      const xa = randArray(c.B * c.H * c.W * c.C, r), wa = randArray(c.K * c.K * c.C, r), dya = randArray(c.B * g.OH * g.OW * c.C, r);
      const wantW = new Float32Array(wa.length), magW = new Float32Array(wa.length), wantX = new Float32Array(xa.length), magX = new Float32Array(xa.length);
      depthwiseFilterGradJs(xa, dya, g, wantW);
      depthwiseFilterGradJs(xa.map(Math.abs), dya.map(Math.abs), g, magW);
      depthwiseInputGradJs(dya, wa, g, wantX);
      depthwiseInputGradJs(dya.map(Math.abs), wa.map(Math.abs), g, magX);
      const x = tf.tensor4d(xa, [c.B, c.H, c.W, c.C]), w = tf.tensor4d(wa, [c.K, c.K, c.C, 1]), dy = tf.tensor4d(dya, [c.B, g.OH, g.OW, c.C]);
      const attrs = { strides: [c.s, c.s], pad: c.pad, dilations: 1 };
      const fi = k.filter({ inputs: { x, dy }, backend: be, attrs: { ...attrs, filterShape: [c.K, c.K, c.C, 1] } as never }) as tf.TensorInfo;
      const ii = k.input({ inputs: { dy, filter: w }, backend: be, attrs: { ...attrs, inputShape: [c.B, c.H, c.W, c.C] } as never }) as tf.TensorInfo;
      const gw = tf.engine().makeTensorFromTensorInfo(fi), gx = tf.engine().makeTensorFromTensorInfo(ii);
      check(`filter (${label})`, ci, c, gw.dataSync(), wantW, magW);
      check(`input (${label})`, ci, c, gx.dataSync(), wantX, magX);
      tf.dispose([x, w, dy, gw, gx]);
    });
  });
}

test('depthwise gradients through tf.grads (registered kernels) == TS reference, stride 2 "same"', async () => {
  const { registerTrainingKernels, unregisterTrainingKernels } = await import('../../train/kernels/index.ts');
  await registerTrainingKernels();
  try {
    const c: Case = { B: 2, H: 8, W: 8, C: 16, K: 3, s: 2, pad: 'same' };
    const g = geometryOf(c);
    const r = rng(SEED + 4);
    const xa = randArray(2 * 8 * 8 * 16, r), wa = randArray(9 * 16, r);
    const [dx, dw] = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same').sum())([tf.tensor4d(xa, [2, 8, 8, 16]), tf.tensor4d(wa, [3, 3, 16, 1])]);
    const ones = new Float32Array(2 * g.OH * g.OW * 16).fill(1);
    const wantW = new Float32Array(wa.length), wantX = new Float32Array(xa.length);
    depthwiseFilterGradJs(xa, ones, g, wantW);
    depthwiseInputGradJs(ones, wa, g, wantX);
    const gw = dw.dataSync(), gx = dx.dataSync();
    for (let i = 0; i < wantW.length; i++) assert.ok(Math.abs(gw[i] - wantW[i]) <= 1e-4, `filter index ${i}: expected ${wantW[i]}, actual ${gw[i]}`);
    for (let i = 0; i < wantX.length; i++) assert.ok(Math.abs(gx[i] - wantX[i]) <= 1e-5, `input index ${i}: expected ${wantX[i]}, actual ${gx[i]}`);
  } finally {
    unregisterTrainingKernels();
  }
});

test.run();
