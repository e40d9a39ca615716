/**
 * The TensorFlow.js reference model: encoders (C3AE plain, modified ResNet18), the binary code
 * mapping, the DAA variants and the AgeDecoder. It trains the weights, and the WebAssembly runtime
 * is tested against it. Built from the same architecture description as the runtime (src/arch.ts).
 *
 * Layout: NHWC. Parameters live in `vars`, named as in docs/format.md before BN folding:
 *   <conv>.w [k,k,cin,cout]  <conv>.b [cout] (if the conv has a bias)
 *   <conv>.bn.{gamma,beta,mean,var} [cout] (mean and var are running statistics, not trained)
 *   <se>.fc{1,2}.{w,b}, map.fc{1,2,3}.{w,b}, dec.conv.*, dec.fc.{w,b}, reg.fc.{w,b}
 *   tmpl.{age,t,s} for the image-template variants (computed from template images, not trained)
 */
import * as tf from '@tensorflow/tfjs';
import {
  BN_EPS,
  CODE_BITS,
  binaryCodes,
  encoderGraph,
  templateIndices,
  type Act,
  type EncoderGraph,
  type ModelConfig,
} from '../src/arch.ts';

export const BN_MOMENTUM = 0.1;

export interface ForwardOptions {
  /** batch statistics in BatchNorm (and running-stat updates collected in `pendingBn`) */
  training?: boolean;
  /** interval sampling of the template ages (1 = all) */
  interval?: number;
  /** 'factorised' (default) or 'naive' DAA head: equal up to rounding */
  head?: 'factorised' | 'naive';
  /** image-template variants: template images [T,S,S,3] encoded in this pass (training) */
  templateImages?: tf.Tensor4D;
  templateAges?: number[];
}

export interface ForwardResult {
  /** [B] the estimated ages */
  age: tf.Tensor1D;
  /** [B, T'] per-template estimates y - Delta_y (T' templates after interval sampling); [B,1] for 'none' */
  perTemplate: tf.Tensor2D;
  /** [B,h,w,C] encoder features */
  E: tf.Tensor4D;
}

interface PendingBn {
  name: string;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
  count: number;
}

function actFn(x: tf.Tensor, act: Act, alpha?: tf.Tensor): tf.Tensor {
  if (act === 'relu') return tf.relu(x);
  if (act === 'hswish') return hardSwish(x);
  if (act === 'prelu') return tf.prelu(x, alpha!);
  return x;
}

export function hardSwish(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6));
}

export class DaaModel {
  readonly cfg: ModelConfig;
  readonly graph: EncoderGraph;
  readonly vars = new Map<string, tf.Variable>();
  /** BN running statistics measured in the last training forward; applied by applyBnUpdates() */
  pendingBn: PendingBn[] = [];
  private readonly codes: tf.Tensor2D;

  constructor(cfg: ModelConfig, seed = 1) {
    this.cfg = cfg;
    this.graph = encoderGraph(cfg);
    this.codes = tf.tensor2d(binaryCodes(cfg.numTemplates), [cfg.numTemplates, CODE_BITS]);
    let s = seed >>> 0;
    const nextSeed = () => (s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0);
    const add = (name: string, t: tf.Tensor, trainable = true) => this.vars.set(name, tf.variable(t, trainable));
    const convInit = (name: string, k: number, cin: number, cout: number, bias: boolean, bn: boolean) => {
      // Kaiming normal, fan_out mode (as the authors initialise)
      add(`${name}.w`, tf.randomNormal([k, k, cin, cout], 0, Math.sqrt(2 / (k * k * cout)), 'float32', nextSeed()));
      if (bias) add(`${name}.b`, tf.zeros([cout]));
      if (bn) {
        add(`${name}.bn.gamma`, tf.ones([cout]));
        add(`${name}.bn.beta`, tf.zeros([cout]));
        add(`${name}.bn.mean`, tf.zeros([cout]), false);
        add(`${name}.bn.var`, tf.ones([cout]), false);
      }
    };
    const fcInit = (name: string, cin: number, cout: number, std: number) => {
      add(`${name}.w`, tf.randomNormal([cin, cout], 0, std, 'float32', nextSeed()));
      add(`${name}.b`, tf.zeros([cout]));
    };
    for (const op of this.graph.ops) {
      if (op.kind === 'conv') {
        convInit(op.name, op.k, op.cin, op.cout, op.bias, op.bn);
        if (op.act === 'prelu') add(`${op.name}.alpha`, tf.fill([op.cout], 0.25));
      } else if (op.kind === 'dwconv') {
        // Kaiming normal, fan_out of a depthwise filter (9 taps); [3, 3, c, 1] as tf.depthwiseConv2d takes it
        add(`${op.name}.w`, tf.randomNormal([3, 3, op.c, 1], 0, Math.sqrt(2 / 9), 'float32', nextSeed()));
        if (op.bias) add(`${op.name}.b`, tf.zeros([op.c]));
        if (op.act === 'prelu') add(`${op.name}.alpha`, tf.fill([op.c], 0.25));
      } else if (op.kind === 'se') {
        fcInit(`${op.name}.fc1`, op.c, op.mid, Math.sqrt(2 / op.mid));
        fcInit(`${op.name}.fc2`, op.mid, op.c, Math.sqrt(2 / op.c));
      }
    }
    const C = this.channels;
    if (cfg.daa === 'none') {
      fcInit('reg.fc', C, 1, 0.01);
      return;
    }
    if (cfg.daa === 'binary') {
      fcInit('map.fc1', CODE_BITS, 16, Math.sqrt(2 / 16));
      fcInit('map.fc2', 16, 32, Math.sqrt(2 / 32));
      fcInit('map.fc3', 32, 2, 0.01);
    } else {
      const tc = cfg.daa === 'template_channel' ? C : 1;
      const T = cfg.numTemplates;
      add('tmpl.age', tf.range(0, T, 1, 'float32'), false);
      add('tmpl.t', tf.zeros([T, tc]), false);
      add('tmpl.s', tf.ones([T, tc]), false);
    }
    convInit('dec.conv', 3, C, cfg.featDim, true, true);
    fcInit('dec.fc', cfg.featDim, 1, 0.01);
  }

  /** channels of E */
  get channels(): number {
    return this.graph.shapes[this.graph.out][2];
  }

  v(name: string): tf.Variable {
    const t = this.vars.get(name);
    if (!t) throw new Error(`model has no variable ${name}`);
    return t;
  }

  trainableVariables(): tf.Variable[] {
    return [...this.vars.values()].filter((v) => v.trainable);
  }

  /** Fill every BN's running statistics and affine terms with random values (tests: exercises folding). */
  randomizeBatchNorm(seed = 7): void {
    let s = seed;
    for (const [name, v] of this.vars) {
      const r = (lo: number, hi: number) => tf.randomUniform(v.shape, lo, hi, 'float32', s++);
      if (name.endsWith('.bn.gamma')) v.assign(r(0.5, 1.5));
      else if (name.endsWith('.bn.beta')) v.assign(r(-0.2, 0.2));
      else if (name.endsWith('.bn.mean')) v.assign(r(-0.2, 0.2));
      else if (name.endsWith('.bn.var')) v.assign(r(0.5, 1.5));
      else if (name.endsWith('.b') && !name.startsWith('map.')) v.assign(r(-0.1, 0.1));
    }
  }

  private batchNorm(x: tf.Tensor, name: string, training: boolean): tf.Tensor {
    const gamma = this.v(`${name}.bn.gamma`);
    const beta = this.v(`${name}.bn.beta`);
    let mean: tf.Tensor;
    let variance: tf.Tensor;
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    if (training) {
      const m = tf.moments(x, axes);
      mean = m.mean;
      variance = m.variance;
      const count = x.size / x.shape[x.shape.length - 1];
      this.pendingBn.push({
        name,
        mean: tf.keep(tf.clone(mean)) as tf.Tensor1D,
        variance: tf.keep(tf.clone(variance)) as tf.Tensor1D,
        count,
      });
    } else {
      mean = this.v(`${name}.bn.mean`);
      variance = this.v(`${name}.bn.var`);
    }
    return tf.batchNorm(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, BN_EPS);
  }

  /** Apply the running-statistic updates of the last training forward (PyTorch semantics). */
  applyBnUpdates(): void {
    tf.tidy(() => {
      for (const p of this.pendingBn) {
        const rm = this.v(`${p.name}.bn.mean`);
        const rv = this.v(`${p.name}.bn.var`);
        const unbiased = p.count > 1 ? p.variance.mul(p.count / (p.count - 1)) : p.variance;
        rm.assign(rm.mul(1 - BN_MOMENTUM).add(p.mean.mul(BN_MOMENTUM)));
        rv.assign(rv.mul(1 - BN_MOMENTUM).add(unbiased.mul(BN_MOMENTUM)));
      }
    });
    this.clearBnUpdates();
  }

  clearBnUpdates(): void {
    for (const p of this.pendingBn) {
      p.mean.dispose();
      p.variance.dispose();
    }
    this.pendingBn = [];
  }

  private dense(x: tf.Tensor2D, name: string): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.v(`${name}.w`) as tf.Tensor2D), this.v(`${name}.b`));
  }

  /** E = f(X): x [B,S,S,3] in [0,1] -> [B,h,w,C] */
  encode(x: tf.Tensor4D, training = false): tf.Tensor4D {
    return this.encodeBuffers(x, training).get(this.graph.out) as tf.Tensor4D;
  }

  /** Every activation of the encoder by its graph name (tests compare intermediate maps). */
  encodeBuffers(x: tf.Tensor4D, training = false): Map<string, tf.Tensor> {
    const bufs = new Map<string, tf.Tensor>([['x', x]]);
    for (const op of this.graph.ops) {
      if (op.kind === 'conv') {
        let y: tf.Tensor = tf.conv2d(bufs.get(op.src) as tf.Tensor4D, this.v(`${op.name}.w`) as tf.Tensor4D, op.stride, op.pad);
        if (op.bias) y = tf.add(y, this.v(`${op.name}.b`));
        if (op.bn) y = this.batchNorm(y, op.name, training);
        if (op.add) y = tf.add(y, bufs.get(op.add)!);
        bufs.set(op.dst, actFn(y, op.act, op.act === 'prelu' ? this.v(`${op.name}.alpha`) : undefined));
      } else if (op.kind === 'dwconv') {
        let y: tf.Tensor = tf.depthwiseConv2d(bufs.get(op.src) as tf.Tensor4D, this.v(`${op.name}.w`) as tf.Tensor4D, op.stride, 'same');
        if (op.bias) y = tf.add(y, this.v(`${op.name}.b`));
        bufs.set(op.dst, actFn(y, op.act, op.act === 'prelu' ? this.v(`${op.name}.alpha`) : undefined));
      } else if (op.kind === 'maxpool2pad') {
        const p = tf.maxPool(bufs.get(op.src) as tf.Tensor4D, 2, 2, 'valid');
        const c = p.shape[3];
        bufs.set(op.dst, op.cout > c ? tf.pad(p, [[0, 0], [0, 0], [0, 0], [0, op.cout - c]]) : p);
      } else if (op.kind === 'avgpool2') {
        bufs.set(op.dst, tf.avgPool(bufs.get(op.src) as tf.Tensor4D, 2, 2, 'valid'));
      } else {
        const xin = bufs.get(op.buf) as tf.Tensor4D;
        const g = tf.mean(xin, [1, 2]) as tf.Tensor2D;
        const h = hardSwish(this.dense(g, `${op.name}.fc1`)) as tf.Tensor2D;
        const sc = tf.sigmoid(this.dense(h, `${op.name}.fc2`));
        bufs.set(op.buf, tf.mul(xin, tf.reshape(sc, [-1, 1, 1, op.c])));
      }
    }
    return bufs;
  }

  /** per-channel mean and std (unbiased variance over h*w, plus statsEps) of E: [B,1,1,C] each */
  channelStats(E: tf.Tensor4D): { mu: tf.Tensor4D; sigma: tf.Tensor4D } {
    const [, h, w] = E.shape;
    const n = h * w;
    const mu = tf.mean(E, [1, 2], true) as tf.Tensor4D;
    const ss = tf.sum(tf.square(tf.sub(E, mu)), [1, 2], true);
    const variance = n > 1 ? tf.div(ss, n - 1) : tf.mul(ss, 0);
    return { mu, sigma: tf.sqrt(tf.add(variance, this.cfg.statsEps)) as tf.Tensor4D };
  }

  /** Binary code mapping: [T,2] -> t (column 0, style mean) and s (column 1, style std), each [T] */
  styles(): { t: tf.Tensor1D; s: tf.Tensor1D } {
    const h1 = tf.relu(this.dense(this.codes, 'map.fc1')) as tf.Tensor2D;
    const h2 = tf.relu(this.dense(h1, 'map.fc2')) as tf.Tensor2D;
    const ts = this.dense(h2, 'map.fc3');
    const [t, s] = tf.split(ts, 2, 1);
    return { t: tf.reshape(t, [-1]) as tf.Tensor1D, s: tf.reshape(s, [-1]) as tf.Tensor1D };
  }

  /** Template styles from template images: [T,C] (per channel) or [T,1] (all channels). */
  templateStyles(images: tf.Tensor4D, training = false): { t: tf.Tensor2D; s: tf.Tensor2D } {
    const E = this.encode(images, training);
    const [T, h, w, C] = E.shape;
    const perChannel = this.cfg.daa === 'template_channel';
    const flat = perChannel ? tf.reshape(E, [T, h * w, C]) : tf.reshape(E, [T, h * w * C, 1]);
    const n = perChannel ? h * w : h * w * C;
    const mean = tf.mean(flat, 1, true);
    const ss = tf.sum(tf.square(tf.sub(flat, mean)), 1);
    const variance = n > 1 ? tf.div(ss, n - 1) : tf.mul(ss, 0);
    return { t: tf.reshape(mean, [T, -1]) as tf.Tensor2D, s: tf.sqrt(tf.add(variance, this.cfg.statsEps)) as tf.Tensor2D };
  }

  /** Encode template images once (inference mode) and store their styles as the model's templates. */
  setTemplates(images: tf.Tensor4D, ages: number[]): void {
    if (this.cfg.daa !== 'template_all' && this.cfg.daa !== 'template_channel') throw new Error('model has no image templates');
    if (images.shape[0] !== this.cfg.numTemplates || ages.length !== this.cfg.numTemplates) throw new Error('need numTemplates template images');
    tf.tidy(() => {
      const { t, s } = this.templateStyles(images, false);
      this.v('tmpl.t').assign(t);
      this.v('tmpl.s').assign(s);
      this.v('tmpl.age').assign(tf.tensor1d(ages));
    });
  }

  private decoderConv(x: tf.Tensor4D): tf.Tensor4D {
    return tf.conv2d(x, this.v('dec.conv.w') as tf.Tensor4D, 1, 1);
  }

  /** BN + ReLU + GAP + Linear on pre-BN decoder activations [B, T, h*w, F] -> Delta [B, T] */
  private decoderTail(pre: tf.Tensor4D, training: boolean): tf.Tensor2D {
    const [B, T, , F] = pre.shape;
    const r = tf.relu(this.batchNorm(pre, 'dec.conv', training));
    const pooled = tf.mean(r, 2) as tf.Tensor3D; // [B, T, F]
    const d = tf.add(tf.matMul(tf.reshape(pooled, [B * T, F]) as tf.Tensor2D, this.v('dec.fc.w') as tf.Tensor2D), this.v('dec.fc.b'));
    return tf.reshape(d, [B, T]) as tf.Tensor2D;
  }

  forward(x: tf.Tensor4D, opts: ForwardOptions = {}): ForwardResult {
    const training = opts.training ?? false;
    const E = this.encode(x, training);
    const B = E.shape[0];
    if (this.cfg.daa === 'none') {
      const age = tf.reshape(this.dense(tf.mean(E, [1, 2]) as tf.Tensor2D, 'reg.fc'), [B]) as tf.Tensor1D;
      return { age, perTemplate: tf.reshape(age, [B, 1]) as tf.Tensor2D, E };
    }
    const [, h, w, C] = E.shape;
    const { mu, sigma } = this.channelStats(E);
    const N = tf.div(tf.sub(E, mu), sigma) as tf.Tensor4D;

    // template styles t, s: [T, tc] with tc = 1 (scalar per age) or C
    let t: tf.Tensor2D;
    let s: tf.Tensor2D;
    let ages: tf.Tensor1D;
    if (this.cfg.daa === 'binary') {
      const st = this.styles();
      t = tf.reshape(st.t, [-1, 1]) as tf.Tensor2D;
      s = tf.reshape(st.s, [-1, 1]) as tf.Tensor2D;
      ages = tf.range(0, this.cfg.numTemplates, 1, 'float32') as tf.Tensor1D;
    } else if (opts.templateImages) {
      const st = this.templateStyles(opts.templateImages, false);
      t = st.t;
      s = st.s;
      ages = tf.tensor1d(opts.templateAges ?? []);
    } else {
      t = this.v('tmpl.t') as tf.Tensor2D;
      s = this.v('tmpl.s') as tf.Tensor2D;
      ages = this.v('tmpl.age') as tf.Tensor1D;
    }
    const interval = opts.interval ?? 1;
    if (interval !== 1) {
      const idx = tf.tensor1d(templateIndices(t.shape[0], interval), 'int32');
      t = tf.gather(t, idx);
      s = tf.gather(s, idx);
      ages = tf.gather(ages, idx);
    }
    const T = t.shape[0];
    const tc = t.shape[1];
    // rank-4 throughout ([B, T, h*w, F]): tfjs's broadcast gradients fail on rank 5
    let pre: tf.Tensor4D; // before the decoder's BN
    const F = this.cfg.featDim;
    const hw = h * w;
    if ((opts.head ?? 'factorised') === 'factorised' && tc === 1) {
      // Conv(delta_y) = s_y Conv(N) + t_y Conv(1) - Conv(E) + b
      const A = tf.reshape(this.decoderConv(N), [B, 1, hw, F]);
      const Cm = tf.reshape(this.decoderConv(E), [B, 1, hw, F]);
      const Bc = tf.reshape(this.decoderConv(tf.ones([1, h, w, C]) as tf.Tensor4D), [1, 1, hw, F]);
      const s4 = tf.reshape(s, [1, T, 1, 1]);
      const t4 = tf.reshape(t, [1, T, 1, 1]);
      const base = tf.sub(this.v('dec.conv.b'), Cm);
      pre = tf.add(tf.add(tf.mul(s4, A), tf.mul(t4, Bc)), base) as tf.Tensor4D;
    } else {
      // the naive head: delta_y = (s_y - sigma) N + t_y - mu, one convolution per template
      const s4 = tf.reshape(s, [1, T, 1, tc]);
      const t4 = tf.reshape(t, [1, T, 1, tc]);
      const sig4 = tf.reshape(sigma, [B, 1, 1, C]);
      const mu4 = tf.reshape(mu, [B, 1, 1, C]);
      const delta = tf.add(tf.mul(tf.sub(s4, sig4), tf.reshape(N, [B, 1, hw, C])), tf.sub(t4, mu4));
      const conv = tf.add(this.decoderConv(tf.reshape(delta, [B * T, h, w, C]) as tf.Tensor4D), this.v('dec.conv.b'));
      pre = tf.reshape(conv, [B, T, hw, F]) as tf.Tensor4D;
    }
    const D = this.decoderTail(pre, training); // [B, T]
    const perTemplate = tf.sub(tf.reshape(ages, [1, T]), D) as tf.Tensor2D;
    return { age: tf.mean(perTemplate, 1) as tf.Tensor1D, perTemplate, E };
  }

  dispose(): void {
    this.clearBnUpdates();
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
    this.codes.dispose();
  }
}

/** Smooth L1 (Huber with delta 1), mean over the batch. */
export function smoothL1(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  // with q = min(|d|, 1): 0.5 q^2 + (|d| - q) is 0.5 d^2 below 1 and |d| - 0.5 above (differentiable ops only)
  const d = tf.abs(tf.sub(pred, target));
  const q = tf.minimum(d, 1);
  return tf.mean(tf.add(tf.mul(0.5, tf.square(q)), tf.sub(d, q))) as tf.Scalar;
}
