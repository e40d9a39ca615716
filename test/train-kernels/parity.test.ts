// Every accelerated kernel / gradient (registerTrainingKernels) against the stock tfjs-wasm path
// (unregisterTrainingKernels: stock kernels, tfjs-core gradients, plain JS filter gradient):
// op-level forward outputs and gradients, then loss + the gradient of every trainable variable of a
// small DaaModel (C3AE + binary DAA; facemesh + binary DAA). Tolerances: ops |a - b| <= 1e-5 * (1 + max|b|); model loss
// relative 1e-5, each variable's gradient max|a - b| <= 2e-3 * max|b| + 1e-5 * (largest |gradient|
// of any variable) (the batch-norm
// gradients cancel large sums, so f32 summation-order differences are amplified there; our
// reductions sum in blocks and are the more accurate ones: see README.md).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { registerTrainingKernels, unregisterTrainingKernels } from '../../train/kernels/index.ts';
import { loadTrainRuntime, type WasmBackend } from '../../train/kernels/runtime.ts';
import { registerAcceleratedOps, unregisterAcceleratedOps } from '../../train/kernels/ops.ts';
import { registerConv2dBackpropFilterWasm } from '../../train/kernels/conv2d-backprop-filter.ts';
import { DaaModel, smoothL1 } from '../../train/model.ts';
import { DEFAULT_CONFIG, type ModelConfig } from '../../src/arch.ts';
import { wasmBackend } from './setup.ts';

const SEED = 7;
await wasmBackend();

/** run f under stock kernels, then accelerated ones (shared memory, or the copying fallback) */
async function both(f: () => tf.Tensor[], mode: 'shared' | 'copy' = 'shared'): Promise<{ stock: Float32Array[]; acc: Float32Array[] }> {
  unregisterTrainingKernels();
  const stock = tf.tidy(f).map((t) => { const d = t.dataSync() as Float32Array; t.dispose(); return d; });
  if (mode === 'shared') await registerTrainingKernels();
  else {
    const rt = loadTrainRuntime(tf.backend() as unknown as WasmBackend, true)!;
    registerConv2dBackpropFilterWasm(rt);
    registerAcceleratedOps(rt);
  }
  try {
    const acc = tf.tidy(f).map((t) => { const d = t.dataSync() as Float32Array; t.dispose(); return d; });
    return { stock, acc };
  } finally {
    unregisterAcceleratedOps();
    unregisterTrainingKernels();
  }
}

function close(label: string, a: Float32Array[], b: Float32Array[], rel = 1e-5, abs = 0) {
  assert.is(a.length, b.length, `${label}: number of outputs`);
  b.forEach((want, k) => {
    const got = a[k];
    assert.is(got.length, want.length, `${label}[${k}]: size`);
    let mx = 0;
    for (const v of want) mx = Math.max(mx, Math.abs(v));
    const tol = rel * (1 + mx) + abs;
    for (let i = 0; i < want.length; i++) {
      if (!(Math.abs(got[i] - want[i]) <= tol)) assert.unreachable(`${label}[${k}] seed ${SEED} index ${i}: expected ${want[i]}, actual ${got[i]} (tol ${tol})`);
    }
  });
}

const rnd = (shape: number[], seed: number, lo = -1, hi = 1) => tf.randomUniform(shape, lo, hi, 'float32', seed);

test('Sum / Mean over every axis pattern (forward) and their gradients', async () => {
  const shapes: number[][] = [[3, 5, 7, 6], [2, 9, 4, 17], [4, 100, 16, 8], [33], [5, 1, 3]];
  for (const shape of shapes) {
    const rank = shape.length;
    const axesList: number[][] = [];
    for (let m = 1; m < 1 << rank; m++) axesList.push([...Array(rank).keys()].filter((i) => m & (1 << i)));
    for (const axes of axesList) for (const keep of [false, true]) {
      const r = await both(() => {
        const x = rnd(shape, SEED);
        const w = rnd(shape.map((n, i) => (axes.includes(i) ? 1 : n)).filter((_, i) => keep || !axes.includes(i)), SEED + 1);
        const s = tf.sum(x, axes, keep), mn = tf.mean(x, axes, keep);
        const gs = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.sum(x, axes, keep), w)))(x);
        const gm = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.mean(x, axes, keep), w)))(x);
        return [s, mn, gs, gm];
      });
      // |x| <= 1: a sum of n terms may differ by ~n ulp-scale roundings between summation orders
      const n = axes.reduce((p, a) => p * shape[a], 1);
      close(`sum ${JSON.stringify(shape)} axes ${axes} keepDims ${keep}`, [r.acc[0]], [r.stock[0]], 1e-5, 2e-7 * n);
      close(`mean/grads ${JSON.stringify(shape)} axes ${axes} keepDims ${keep}`, r.acc.slice(1), r.stock.slice(1));
    }
  }
});

test('FusedBatchNorm forward + gradient (all five inputs), moments-fed as in the model', async () => {
  for (const shape of [[4, 7, 7, 8], [2, 5, 3, 5], [3, 10, 16, 64]]) {
    const r = await both(() => {
      const x = rnd(shape, SEED, -2, 3), C = shape[shape.length - 1];
      const g = rnd([C], SEED + 1, 0.5, 1.5), b = rnd([C], SEED + 2), w = rnd(shape, SEED + 3);
      const f = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const m = tf.moments(x, [0, 1, 2]);
        return tf.sum(tf.mul(tf.batchNorm(x, m.mean, m.variance, b, g, 1e-5), w));
      };
      const y = tf.tidy(() => { const m = tf.moments(x, [0, 1, 2]); return tf.batchNorm(x, m.mean, m.variance, b, g, 1e-5); });
      const gr = tf.grads(f)([x, g, b]);
      const m = tf.mean(x, [0, 1, 2]), v = rnd([C], SEED + 4, 0.5, 2);
      const gr2 = tf.grads((m: tf.Tensor, v: tf.Tensor) => tf.sum(tf.mul(tf.batchNorm(x, m, v, b, g, 1e-3), w)))([m, v]);
      return [y, ...gr, ...gr2];
    });
    close(`batchNorm ${JSON.stringify(shape)}`, r.acc, r.stock, 2e-4);
  }
});

test('relu6 / hard-swish gradient, AvgPoolGrad, Conv2DBackpropInput, Identity, Cast', async () => {
  const r = await both(() => {
    const x = rnd([3, 9, 11, 6], SEED, -8, 8);
    const hs = (x: tf.Tensor) => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6));
    const g1 = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(hs(x), x)))(x);
    const p = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'), rnd([3, 4, 5, 6], SEED + 1))))(x as tf.Tensor4D);
    const w = rnd([3, 3, 6, 5], SEED + 2);
    const convs = [0, 1].map((pad) => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, pad), 1.5)))(x as tf.Tensor4D));
    const s2 = tf.grad((x: tf.Tensor) => tf.sum(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 1)))(x as tf.Tensor4D);
    // strided input gradients (spread onto a zero grid, then the stride-1 path): 3x3 and the 1x1
    // shortcut at stride 2, explicit / 'same' / 'valid' padding, odd and even sizes (the forward
    // pass drops the last row or column in some), stride 3 and unequal strides; a weighted sum so that
    // dy is not constant
    const w1 = rnd([1, 1, 6, 5], SEED + 3);
    const strided: tf.Tensor[] = [];
    for (const [h, ww] of [[9, 11], [8, 10], [7, 7]]) {
      const xs = rnd([2, h, ww, 6], SEED + h * 100 + ww, -2, 2) as tf.Tensor4D;
      for (const [filt, strides, pad] of [[w, 2, 1], [w, 2, 'same'], [w, 2, 'valid'], [w1, 2, 'valid'], [w1, 2, 0], [w, 3, 1], [w, [2, 1], 'same']] as Array<[tf.Tensor, number | [number, number], number | 'same' | 'valid']>) {
        const f = (x: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, filt as tf.Tensor4D, strides, pad);
        const dyW = rnd(f(xs).shape, SEED + 7);
        strided.push(tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f(x), dyW)))(xs));
      }
    }
    const id = tf.clone(x), c = tf.cast(x, 'float32'), ci = tf.cast(tf.cast(x, 'int32'), 'float32');
    return [g1, p, ...convs, s2, ...strided, id, c, ci];
  });
  close('elementwise/pool/conv', r.acc, r.stock);
});

test('PReLU gradients (x and per-channel alpha), channel tails, x exactly 0', async () => {
  const r = await both(() => {
    const out: tf.Tensor[] = [];
    for (const [shape, seed] of [[[2, 5, 7, 6], 1], [[3, 17], 2], [[1, 9, 9, 16], 3], [[2, 300, 5], 4]] as Array<[number[], number]>) {
      const C = shape[shape.length - 1];
      // a third of the inputs exactly 0 (the kink: its gradient is the negative side's)
      const x = tf.mul(rnd(shape, SEED + seed, -3, 3), tf.cast(tf.greater(rnd(shape, SEED + seed + 50), -0.33), 'float32'));
      const alpha = rnd([C], SEED + seed + 100, -0.5, 0.8);
      const dyW = rnd(shape, SEED + seed + 200);
      const [gx, ga] = tf.grads((x: tf.Tensor, a: tf.Tensor) => tf.sum(tf.mul(tf.prelu(x, a), dyW)))([x, alpha]);
      out.push(gx, ga);
    }
    return out;
  });
  close('prelu', r.acc, r.stock);
});

/** f on tfjs's cpu backend (the reference), then on wasm with the project's kernels */
async function cpuThenWasm(f: () => tf.Tensor[]): Promise<{ ref: Float32Array[]; acc: Float32Array[] }> {
  const read = (ts: tf.Tensor[]) => ts.map((t) => { const d = t.dataSync() as Float32Array; t.dispose(); return d; });
  await tf.setBackend('cpu');
  const ref = read(tf.tidy(f));
  await tf.setBackend('wasm');
  await registerTrainingKernels();
  try {
    return { ref, acc: read(tf.tidy(f)) };
  } finally {
    unregisterAcceleratedOps();
    unregisterTrainingKernels();
  }
}

test('MaxPoolGrad (2x2 / 2) == tfjs cpu backend; the stock wasm kernel misroutes all-negative windows', async () => {
  // odd sizes (the last row / column dropped), channel tails, ties and all-negative windows (values
  // on a coarse grid around 0: the first maximum of a window takes the gradient)
  const f = () => ([[3, 9, 11, 6], [2, 8, 8, 17], [1, 6, 4, 4]] as number[][]).map((shape, i) => {
    const xm = tf.round(rnd(shape, SEED + 20 + i, -2, 2)) as tf.Tensor4D;
    const dyW = rnd([shape[0], shape[1] >> 1, shape[2] >> 1, shape[3]], SEED + 30 + i);
    return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), dyW)))(xm);
  });
  const r = await cpuThenWasm(f);
  close('maxpool grad', r.acc, r.ref);
  // why the replacement: stock tfjs-backend-wasm 4.22 sends [-2, -1, -1, -2]'s gradient to the -2
  unregisterTrainingKernels();
  const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid')))(tf.tensor4d([-2, -1, -1, -2], [1, 2, 2, 1])).dataSync());
  assert.equal(Array.from(g), [1, 0, 0, 0], 'stock wasm MaxPoolGrad on an all-negative window (if this fails, tfjs fixed it)');
});

/** the model's loss, eval ages and gradients: stock wasm ('shared' / 'copy': against the project's
 *  kernels on that runtime) or tfjs's cpu backend ('cpu': against the project's kernels, shared) */
async function modelParity(mode: 'shared' | 'copy' | 'cpu', cfg: ModelConfig = { ...DEFAULT_CONFIG, inputSize: 64 }) {
  let names: string[] = [];
  const run = (f: () => tf.Tensor[]) => (mode === 'cpu' ? cpuThenWasm(f).then(({ ref, acc }) => ({ stock: ref, acc })) : both(f, mode));
  const r = await run(() => {
    const m = new DaaModel(cfg, SEED);
    m.randomizeBatchNorm(SEED);
    const vars = m.trainableVariables();
    const x = rnd([4, cfg.inputSize, cfg.inputSize, 3], SEED + 10, 0, 1) as tf.Tensor4D;
    const y = rnd([4], SEED + 11, 1, 90);
    const { value, grads } = tf.variableGrads(() => smoothL1(m.forward(x, { training: true }).age, y), vars);
    const age = m.forward(x, { training: false }).age;
    names = [...m.vars.entries()].filter(([, v]) => v.trainable).map(([k]) => k);
    const out = [value, age, ...vars.map((v) => grads[v.name])];
    m.dispose();
    return out;
  });
  close('loss', [r.acc[0]], [r.stock[0]], 1e-5);
  console.log(`  ${mode}: loss stock ${r.stock[0][0]} accelerated ${r.acc[0][0]}`);
  close('eval ages', [r.acc[1]], [r.stock[1]], 1e-5);
  let gmax = 0, worst = 0, worstName = '';
  for (const g of r.stock.slice(2)) for (const v of g) gmax = Math.max(gmax, Math.abs(v));
  r.stock.slice(2).forEach((want, k) => {
    const got = r.acc[2 + k];
    let mx = 0, err = 0, at = 0;
    for (let i = 0; i < want.length; i++) {
      mx = Math.max(mx, Math.abs(want[i]));
      const e = Math.abs(got[i] - want[i]);
      if (e > err) { err = e; at = i; }
    }
    if (mx > 1e-3 * gmax && err / mx > worst) { worst = err / mx; worstName = names[k]; }
    assert.ok(err <= 2e-3 * mx + 1e-5 * gmax, `${mode}: gradient of ${names[k]}: max |diff| ${err} at index ${at} (expected ${want[at]}, actual ${got[at]}), max |grad| ${mx}`);
  });
  console.log(`  ${mode}: worst max|diff|/max|grad| ${worst.toExponential(2)} (${worstName}) over ${names.length} variables`);
}

test('DaaModel (C3AE + binary DAA): loss, eval output and every variable gradient, shared memory', () => modelParity('shared'));
test('DaaModel: same through the copying fallback runtime', () => modelParity('copy'));
// depthwise convs (stride 1 and 2, 'same'), PReLU, max-pool + channel-pad shortcuts, a SAME stem;
// against the cpu backend (the stock wasm MaxPoolGrad is wrong on all-negative windows, above)
test('DaaModel (facemesh + binary DAA, 32 px) against the cpu backend: loss, eval output and every variable gradient', () => modelParity('cpu', { ...DEFAULT_CONFIG, encoder: 'facemesh', inputSize: 32, width: 16 }));

test.run();
