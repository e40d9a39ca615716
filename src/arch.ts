/**
 * The model architecture as data: one description that both the TensorFlow.js reference
 * (train/model.ts) and the WebAssembly runtime (src/models/daa/plan.ts) are built from, so that the two can
 * never disagree on a layer, a name or a shape.
 *
 * Tensors are channels-last (HWC). Buffer names ('x', 'c1', ...) name activations; op names
 * ('enc.conv1', ...) prefix the weight tensors the op owns (see docs/format.md for the names).
 */

export type EncoderName = 'c3ae' | 'resnet18' | 'facemesh';
/**
 * DAA variants (the paper's ablation):
 * - `binary`: template styles (t_y, s_y) from the binary code mapping MLP (Eq. 7), one scalar pair per age;
 * - `template_all`: styles from template images, mean/std over all channels (Eq. 5), one scalar pair per age;
 * - `template_channel`: styles from template images, per channel (Eq. 3), a C-vector pair per age;
 * - `none`: no DAA: encoder, global average pool, linear regression to the age ("w/o DAA").
 */
export type DaaVariant = 'binary' | 'template_all' | 'template_channel' | 'none';
/** `prelu`: x > 0 ? x : alpha_c x with a learned per-channel alpha (weight `${op}.alpha`, [cout]) */
export type Act = 'none' | 'relu' | 'hswish' | 'prelu';

export interface ModelConfig {
  encoder: EncoderName;
  /** square input side in pixels (C3AE: 96 gives 8x8 features, 64 gives 4x4; ResNet18: 128 gives 8x8) */
  inputSize: number;
  /** C3AE: channels of every layer (32 in the paper); ResNet18: width of the first stage (64) */
  width: number;
  daa: DaaVariant;
  /** AgeDecoder conv channels (feat_dim, 64 by default) */
  featDim: number;
  /** number of template ages: y = 0 .. numTemplates - 1 for `binary` (100) */
  numTemplates: number;
  /** epsilon added to the unbiased per-channel variance of E before the square root */
  statsEps: number;
}

export const DEFAULT_CONFIG: ModelConfig = {
  encoder: 'c3ae',
  inputSize: 96,
  width: 32,
  daa: 'binary',
  featDim: 64,
  numTemplates: 100,
  statsEps: 1e-5,
};

/** BatchNorm epsilon of the reference (PyTorch's default); folded away at export. */
export const BN_EPS = 1e-5;
/** bits of the binary age code: z_y = binary(y + 1) over 8 bits, L2-normalised */
export const CODE_BITS = 8;

export type Op =
  | {
      kind: 'conv';
      name: string;
      src: string;
      dst: string;
      k: 1 | 3;
      stride: 1 | 2;
      /** symmetric zero padding, or TF "SAME" (stride 2 on an even side pads only bottom / right) */
      pad: 0 | 1 | 'same';
      cin: number;
      cout: number;
      /** followed by BatchNorm in the reference (folded into w, b at export) */
      bn: boolean;
      /** the reference conv has its own bias (C3AE does, ResNet convs do not) */
      bias: boolean;
      act: Act;
      /** buffer added after BN, before the activation (ResNet shortcut) */
      add?: string;
    }
  | { kind: 'avgpool2'; src: string; dst: string }
  /** depthwise 3x3, TF "SAME" padding, weights `${name}.w` [3, 3, c] and `${name}.b` [c] (zeros if the
   *  reference has no bias); then the activation */
  | { kind: 'dwconv'; name: string; src: string; dst: string; stride: 1 | 2; c: number; bias: boolean; act: Act }
  /** 2x2 / 2 max pool, channels zero-padded to `cout` (the shortcut of a downsampling BlazeBlock) */
  | { kind: 'maxpool2pad'; src: string; dst: string; cout: number }
  /** squeeze-excitation, in place on `buf`: x *= sigmoid(fc2(hswish(fc1(gap(x))))) */
  | { kind: 'se'; name: string; buf: string; c: number; mid: number };

export type Shape3 = [h: number, w: number, c: number];

export interface EncoderGraph {
  ops: Op[];
  /** activation buffer holding E */
  out: string;
  shapes: Record<string, Shape3>;
}

function c3aeOps(c: number): { ops: Op[]; out: string } {
  const ops: Op[] = [];
  const conv = (name: string, src: string, dst: string, k: 1 | 3, cin: number, bn: boolean, act: Act) =>
    ops.push({ kind: 'conv', name, src, dst, k, stride: 1, pad: 0, cin, cout: c, bn, bias: true, act });
  const se = (name: string, buf: string) => ops.push({ kind: 'se', name, buf, c, mid: Math.max(1, c >> 1) });
  // three "conv -> BN -> hard-swish -> avgpool 2x2 -> SE" blocks (valid 3x3 convs)
  let src = 'x';
  for (let i = 1; i <= 3; i++) {
    conv(`enc.conv${i}`, src, `c${i}`, 3, i === 1 ? 3 : c, true, 'hswish');
    ops.push({ kind: 'avgpool2', src: `c${i}`, dst: `p${i}` });
    se(`enc.se${i}`, `p${i}`);
    src = `p${i}`;
  }
  conv('enc.conv4', src, 'c4', 3, c, true, 'hswish');
  se('enc.se4', 'c4');
  conv('enc.conv5', 'c4', 'E', 1, c, false, 'none');
  se('enc.se5', 'E');
  return { ops, out: 'E' };
}

function resnet18Ops(w: number): { ops: Op[]; out: string } {
  const ops: Op[] = [];
  // stem: 3x3 stride 2 (128 -> 64), no max-pool; the four stages then give 64, 32, 16, 8
  ops.push({ kind: 'conv', name: 'enc.stem', src: 'x', dst: 's0', k: 3, stride: 2, pad: 1, cin: 3, cout: w, bn: true, bias: false, act: 'relu' });
  let src = 's0';
  let cin = w;
  const widths = [w, 2 * w, 4 * w, 8 * w];
  widths.forEach((cout, li) => {
    for (let bi = 0; bi < 2; bi++) {
      const stride: 1 | 2 = li > 0 && bi === 0 ? 2 : 1;
      const n = `enc.l${li + 1}.b${bi}`;
      const t = `${n}.t`;
      const out = li === 3 && bi === 1 ? 'E' : `${n}.o`;
      ops.push({ kind: 'conv', name: `${n}.conv1`, src, dst: t, k: 3, stride, pad: 1, cin, cout, bn: true, bias: false, act: 'relu' });
      let shortcut = src;
      if (stride !== 1 || cin !== cout) {
        shortcut = `${n}.ds`;
        ops.push({ kind: 'conv', name: `${n}.down`, src, dst: shortcut, k: 1, stride, pad: 0, cin, cout, bn: true, bias: false, act: 'none' });
      }
      ops.push({ kind: 'conv', name: `${n}.conv2`, src: t, dst: out, k: 3, stride: 1, pad: 1, cin: cout, cout, bn: true, bias: false, act: 'relu', add: shortcut });
      src = out;
      cin = cout;
    }
  });
  return { ops, out: 'E' };
}

/**
 * The trunk of MediaPipe's face mesh model (Apache-2.0, train/pretrained/facemesh.ts imports its
 * weights): a 3x3 / 2 PReLU stem, then BlazeBlocks y = prelu(shortcut + pw(dw(x)) + b), dw a 3x3
 * depthwise conv without bias, pw a 1x1 conv; a downsampling block's dw has stride 2 and its shortcut
 * is a 2x2 max pool with zero-padded channels. 14 blocks: 2 at 16 channels (stride 2), 3 at 32 (4),
 * 3 at 64 (8), 6 at 128 (16). MediaPipe's 12th block downsamples again (stride 32, a 4x4 map at
 * 128 px); here it keeps stride 16 so that E is 8x8 at 128 px, with the pretrained weights unchanged.
 * Block i's weights come from MediaPipe's depthwise_conv2d_i, conv2d_(i+1) and p_re_lu_(i+1).
 */
function facemeshOps(): { ops: Op[]; out: string } {
  const ops: Op[] = [];
  ops.push({ kind: 'conv', name: 'enc.stem', src: 'x', dst: 'b0', k: 3, stride: 2, pad: 'same', cin: 3, cout: 16, bn: false, bias: true, act: 'prelu' });
  const stages: Array<[c: number, blocks: number]> = [[16, 2], [32, 3], [64, 3], [128, 6]];
  let src = 'b0';
  let cin = 16;
  let i = 0;
  for (const [c, blocks] of stages) {
    for (let j = 0; j < blocks; j++) {
      i++;
      const down = j === 0 && c !== 16;
      const n = `enc.b${i}`;
      const out = i === 14 ? 'E' : `b${i}`;
      ops.push({ kind: 'dwconv', name: `${n}.dw`, src, dst: `${n}.d`, stride: down ? 2 : 1, c: cin, bias: false, act: 'none' });
      let shortcut = src;
      if (down) {
        shortcut = `${n}.s`;
        ops.push({ kind: 'maxpool2pad', src, dst: shortcut, cout: c });
      }
      ops.push({ kind: 'conv', name: `${n}.pw`, src: `${n}.d`, dst: out, k: 1, stride: 1, pad: 0, cin, cout: c, bn: false, bias: true, act: 'prelu', add: shortcut });
      src = out;
      cin = c;
    }
  }
  return { ops, out: 'E' };
}

export function convOutSize(n: number, k: number, stride: number, pad: number | 'same'): number {
  if (pad === 'same') return Math.ceil(n / stride);
  return Math.floor((n + 2 * pad - k) / stride) + 1;
}

/** The encoder's op list and the shape of every activation buffer. Throws on a config that cannot work. */
export function encoderGraph(cfg: ModelConfig): EncoderGraph {
  const { ops, out } = cfg.encoder === 'c3ae' ? c3aeOps(cfg.width) : cfg.encoder === 'resnet18' ? resnet18Ops(cfg.width) : facemeshOps();
  const shapes: Record<string, Shape3> = { x: [cfg.inputSize, cfg.inputSize, 3] };
  for (const op of ops) {
    if (op.kind === 'conv') {
      const [h, w, c] = shapes[op.src];
      if (c !== op.cin) throw new Error(`arch: ${op.name} expects ${op.cin} input channels, got ${c}`);
      const oh = convOutSize(h, op.k, op.stride, op.pad);
      const ow = convOutSize(w, op.k, op.stride, op.pad);
      if (oh < 1 || ow < 1) throw new Error(`arch: input ${cfg.inputSize} is too small for ${cfg.encoder} (${op.name})`);
      shapes[op.dst] = [oh, ow, op.cout];
    } else if (op.kind === 'avgpool2') {
      const [h, w, c] = shapes[op.src];
      if (h < 2 || w < 2) throw new Error(`arch: input ${cfg.inputSize} is too small for ${cfg.encoder} (pool)`);
      shapes[op.dst] = [h >> 1, w >> 1, c];
    } else if (op.kind === 'dwconv') {
      const [h, w, c] = shapes[op.src];
      if (c !== op.c) throw new Error(`arch: ${op.name} expects ${op.c} channels, got ${c}`);
      shapes[op.dst] = [convOutSize(h, 3, op.stride, 'same'), convOutSize(w, 3, op.stride, 'same'), c];
    } else if (op.kind === 'maxpool2pad') {
      const [h, w, c] = shapes[op.src];
      // the shortcut must match the strided dwconv's ceil(n / 2): even sides only
      if (h % 2 || w % 2) throw new Error(`arch: input ${cfg.inputSize} does not halve evenly for ${cfg.encoder} (${op.dst} of ${h}x${w})`);
      if (op.cout < c) throw new Error(`arch: ${op.dst} pads ${c} channels to ${op.cout}`);
      shapes[op.dst] = [h >> 1, w >> 1, op.cout];
    }
  }
  return { ops, out, shapes };
}

/** Every weight tensor of a model (after BN folding, as stored in a weight file) with its shape. */
export function weightShapes(cfg: ModelConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const g = encoderGraph(cfg);
  for (const op of g.ops) {
    if (op.kind === 'conv') {
      m.set(`${op.name}.w`, [op.k, op.k, op.cin, op.cout]);
      m.set(`${op.name}.b`, [op.cout]);
      if (op.act === 'prelu') m.set(`${op.name}.alpha`, [op.cout]);
    } else if (op.kind === 'dwconv') {
      m.set(`${op.name}.w`, [3, 3, op.c]);
      m.set(`${op.name}.b`, [op.c]);
      if (op.act === 'prelu') m.set(`${op.name}.alpha`, [op.c]);
    } else if (op.kind === 'se') {
      m.set(`${op.name}.fc1.w`, [op.c, op.mid]);
      m.set(`${op.name}.fc1.b`, [op.mid]);
      m.set(`${op.name}.fc2.w`, [op.mid, op.c]);
      m.set(`${op.name}.fc2.b`, [op.c]);
    }
  }
  const C = g.shapes[g.out][2];
  if (cfg.daa === 'none') {
    m.set('reg.fc.w', [C, 1]);
    m.set('reg.fc.b', [1]);
    return m;
  }
  if (cfg.daa === 'binary') {
    m.set('map.fc1.w', [CODE_BITS, 16]);
    m.set('map.fc1.b', [16]);
    m.set('map.fc2.w', [16, 32]);
    m.set('map.fc2.b', [32]);
    m.set('map.fc3.w', [32, 2]);
    m.set('map.fc3.b', [2]);
  } else {
    const tc = cfg.daa === 'template_channel' ? C : 1;
    m.set('tmpl.age', [cfg.numTemplates]);
    m.set('tmpl.t', [cfg.numTemplates, tc]);
    m.set('tmpl.s', [cfg.numTemplates, tc]);
  }
  m.set('dec.conv.w', [3, 3, C, cfg.featDim]);
  m.set('dec.conv.b', [cfg.featDim]);
  m.set('dec.fc.w', [cfg.featDim, 1]);
  m.set('dec.fc.b', [1]);
  return m;
}

/** z_y for y = 0 .. n-1: the 8-bit binary code of y + 1 (most significant bit first), L2-normalised. */
export function binaryCodes(n: number): Float32Array {
  const z = new Float32Array(n * CODE_BITS);
  for (let y = 0; y < n; y++) {
    const v = y + 1;
    let ones = 0;
    for (let b = 0; b < CODE_BITS; b++) if ((v >> (CODE_BITS - 1 - b)) & 1) ones++;
    const inv = ones > 0 ? 1 / Math.sqrt(ones) : 0;
    for (let b = 0; b < CODE_BITS; b++) z[y * CODE_BITS + b] = (v >> (CODE_BITS - 1 - b)) & 1 ? inv : 0;
  }
  return z;
}

/** Template indices used at inference with interval sampling k: 0, k, 2k, ... < n. */
export function templateIndices(n: number, interval: number): number[] {
  const idx: number[] = [];
  for (let j = 0; j < n; j += interval) idx.push(j);
  return idx;
}

export const INTERVALS = [1, 2, 5, 10, 20, 50] as const;

export function validateConfig(cfg: unknown): ModelConfig {
  const c = cfg as Partial<ModelConfig>;
  const bad = (m: string) => {
    throw new Error(`invalid model config: ${m}`);
  };
  if (!c || typeof c !== 'object') bad('not an object');
  if (c.encoder !== 'c3ae' && c.encoder !== 'resnet18' && c.encoder !== 'facemesh') bad(`encoder ${String(c.encoder)}`);
  // the face mesh trunk has fixed widths (16 .. 128 channels); `width` records its stem
  if (c.encoder === 'facemesh' && c.width !== 16) bad(`width ${String(c.width)} (facemesh: 16)`);
  if (!['binary', 'template_all', 'template_channel', 'none'].includes(c.daa as string)) bad(`daa ${String(c.daa)}`);
  for (const k of ['inputSize', 'width', 'featDim', 'numTemplates'] as const) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 4096) bad(`${k} ${String(v)}`);
  }
  if (typeof c.statsEps !== 'number' || !(c.statsEps > 0 && c.statsEps < 1)) bad(`statsEps ${String(c.statsEps)}`);
  if (c.daa === 'binary' && c.numTemplates! > 255) bad('binary codes have 8 bits: numTemplates <= 255');
  const out = c as ModelConfig;
  encoderGraph(out); // throws if the input is too small
  return out;
}
