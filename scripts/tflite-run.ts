/**
 * A plain interpreter of a small float TensorFlow Lite graph: the reference that runs MediaPipe's
 * BlazeFace files as they are, independent of the project's kernels and converter (for
 * test/detect/parity.test.ts and the model comparison of scripts/eval-detect.ts `models`). One
 * image (N = 1), NHWC, f32 with f64 accumulation inside a conv. It knows the ops of both BlazeFace
 * models and nothing else (an unknown op is an Error):
 *   CONV_2D (OHWI weights) and DEPTHWISE_CONV_2D ([1, KH, KW, C]), SAME (TensorFlow's: the extra row
 *   or column of padding goes after) or VALID, fused ReLU; ADD; RELU; MAX_POOL_2D 2x2 / 2; PAD (the
 *   constant [4, 2] paddings, zeros); RESIZE_BILINEAR (half-pixel centres, no corner alignment);
 *   RESHAPE; CONCATENATION along the anchor axis of [1, N, k] outputs; DEQUANTIZE of fp16 constants.
 * Slow (about 0.1 s for the short-range model, 0.3 s for the full-range one) and exact in intent.
 */
import { Op, TensorType, halfToFloat, readTflite, type TfliteModel } from './tflite-reader.ts';

export interface TfliteGraph {
  model: TfliteModel;
  /** the constant tensors by index: fp16 widened to f32, f32 as is, int32 as is */
  constants: Map<number, Float32Array | Int32Array>;
}

export function loadTfliteGraph(bytes: Uint8Array): TfliteGraph {
  const model = readTflite(bytes);
  const constants = new Map<number, Float32Array | Int32Array>();
  for (const t of model.tensors) {
    const d = t.data;
    if (!d.length) continue;
    const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
    if (t.type === TensorType.FLOAT16) constants.set(t.index, Float32Array.from({ length: d.byteLength / 2 }, (_, i) => halfToFloat(dv.getUint16(2 * i, true))));
    else if (t.type === TensorType.FLOAT32) constants.set(t.index, Float32Array.from({ length: d.byteLength / 4 }, (_, i) => dv.getFloat32(4 * i, true)));
    else if (t.type === TensorType.INT32) constants.set(t.index, Int32Array.from({ length: d.byteLength / 4 }, (_, i) => dv.getInt32(4 * i, true)));
  }
  return { model, constants };
}

/** TensorFlow "SAME": output ceil(n / s), padding max((out - 1) s + k - n, 0), the smaller half first. */
function samePadBefore(n: number, k: number, s: number): number {
  const out = Math.ceil(n / s);
  return Math.floor(Math.max((out - 1) * s + k - n, 0) / 2);
}

/** Runs the graph on one H x W x 3 input; returns the graph's outputs by tensor name. */
export function runTfliteGraph(g: TfliteGraph, input: Float32Array): Map<string, { shape: number[]; data: Float32Array }> {
  const { model: m, constants } = g;
  const values = new Map<number, Float32Array>();
  values.set(m.inputs[0], input);
  const get = (t: number): Float32Array => {
    const v = values.get(t) ?? constants.get(t);
    if (!(v instanceof Float32Array)) throw new Error(`tflite-run: tensor ${t} (${m.tensors[t].name}) has no f32 value`);
    return v;
  };
  const shape4 = (t: number) => {
    const s = m.tensors[t].shape;
    if (s.length !== 4 || s[0] !== 1) throw new Error(`tflite-run: tensor ${m.tensors[t].name} is not [1, H, W, C]: [${s}]`);
    return s;
  };
  for (const op of m.ops) {
    const out = op.outputs[0];
    if (op.code === Op.DEQUANTIZE || op.code === Op.RESHAPE) {
      values.set(out, get(op.inputs[0]));
      continue;
    }
    if (op.code === Op.CONCATENATION) {
      const parts = op.inputs.map(get);
      const y = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) { y.set(p, o); o += p.length; }
      values.set(out, y);
      continue;
    }
    const x = get(op.inputs[0]);
    const [, H, W, C] = shape4(op.inputs[0]);
    const [, OH, OW, OC] = shape4(out);
    const y = new Float32Array(OH * OW * OC);
    if (op.code === Op.CONV_2D || op.code === Op.DEPTHWISE_CONV_2D) {
      const w = get(op.inputs[1]), b = get(op.inputs[2]);
      const [, KH, KW] = m.tensors[op.inputs[1]].shape;
      const sy = op.strideH!, sx = op.strideW!;
      const top = op.padding === 0 ? samePadBefore(H, KH, sy) : 0, left = op.padding === 0 ? samePadBefore(W, KW, sx) : 0;
      const depthwise = op.code === Op.DEPTHWISE_CONV_2D;
      for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let co = 0; co < OC; co++) {
        let acc = b[co];
        for (let ky = 0; ky < KH; ky++) {
          const iy = oy * sy + ky - top;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < KW; kx++) {
            const ix = ox * sx + kx - left;
            if (ix < 0 || ix >= W) continue;
            const xb = (iy * W + ix) * C;
            if (depthwise) acc += x[xb + co] * w[(ky * KW + kx) * OC + co];
            else {
              const wb = ((co * KH + ky) * KW + kx) * C;
              for (let ci = 0; ci < C; ci++) acc += x[xb + ci] * w[wb + ci];
            }
          }
        }
        y[(oy * OW + ox) * OC + co] = op.activation === 1 ? Math.max(0, acc) : acc;
      }
    } else if (op.code === Op.RELU) {
      for (let i = 0; i < y.length; i++) y[i] = Math.max(0, x[i]);
    } else if (op.code === Op.ADD) {
      const z = get(op.inputs[1]);
      for (let i = 0; i < y.length; i++) y[i] = x[i] + z[i];
    } else if (op.code === Op.MAX_POOL_2D) {
      if (op.filterW !== 2 || op.filterH !== 2 || op.strideW !== 2 || op.strideH !== 2) throw new Error('tflite-run: only 2x2 / 2 max pools');
      for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let c = 0; c < C; c++) {
        let v = -Infinity;
        for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) {
          const iy = 2 * oy + dy, ix = 2 * ox + dx;
          if (iy < H && ix < W) v = Math.max(v, x[(iy * W + ix) * C + c]);
        }
        y[(oy * OW + ox) * OC + c] = v;
      }
    } else if (op.code === Op.PAD) {
      const p = constants.get(op.inputs[1]);
      if (!(p instanceof Int32Array) || p.length !== 8) throw new Error('tflite-run: PAD needs constant [4, 2] int32 paddings');
      for (let iy = 0; iy < H; iy++) for (let ix = 0; ix < W; ix++) for (let c = 0; c < C; c++)
        y[((iy + p[2]) * OW + ix + p[4]) * OC + c + p[6]] = x[(iy * W + ix) * C + c];
    } else if (op.code === Op.RESIZE_BILINEAR) {
      if (op.alignCorners || !op.halfPixelCenters) throw new Error('tflite-run: only half-pixel-centre bilinear resizes');
      const ry = H / OH, rx = W / OW;
      for (let oy = 0; oy < OH; oy++) {
        const fy = Math.max(0, (oy + 0.5) * ry - 0.5), y0 = Math.floor(fy), y1 = Math.min(H - 1, y0 + 1), ay = fy - y0;
        for (let ox = 0; ox < OW; ox++) {
          const fx = Math.max(0, (ox + 0.5) * rx - 0.5), x0 = Math.floor(fx), x1 = Math.min(W - 1, x0 + 1), ax = fx - x0;
          for (let c = 0; c < C; c++) {
            const top = x[(y0 * W + x0) * C + c] * (1 - ax) + x[(y0 * W + x1) * C + c] * ax;
            const bottom = x[(y1 * W + x0) * C + c] * (1 - ax) + x[(y1 * W + x1) * C + c] * ax;
            y[(oy * OW + ox) * C + c] = top * (1 - ay) + bottom * ay;
          }
        }
      }
    } else {
      throw new Error(`tflite-run: op ${op.code} is not supported`);
    }
    values.set(out, y);
  }
  return new Map(m.outputs.map((t) => [m.tensors[t].name, { shape: m.tensors[t].shape, data: get(t) }]));
}

/** Multiply-adds of one run (convolutions only). */
export function tfliteMacs(g: TfliteGraph): number {
  let macs = 0;
  for (const op of g.model.ops) {
    if (op.code !== Op.CONV_2D && op.code !== Op.DEPTHWISE_CONV_2D) continue;
    const o = g.model.tensors[op.outputs[0]].shape, w = g.model.tensors[op.inputs[1]].shape;
    macs += o[1] * o[2] * (op.code === Op.CONV_2D ? w[0] * w[1] * w[2] * w[3] : w[1] * w[2] * w[3]);
  }
  return macs;
}
