/**
 * Converts MediaPipe's BlazeFace short-range face detector (face_detection_short_range.tflite from the
 * npm package @mediapipe/face_detection, Apache-2.0, Google) into a daa-wasm weight file
 * (docs/format.md container, detector config of src/detect/arch.ts):
 *
 *   npx tsx scripts/convert-blazeface.ts [in.tflite] [out.daaw]
 *   defaults: node_modules/@mediapipe/face_detection/face_detection_short_range.tflite
 *             weights/detector/face_detection_short_range.fp32.daaw
 *
 * The fp16 weights (each behind a DEQUANTIZE op) become f32 exactly. The graph is read, not assumed:
 * the stem conv, then every depthwise conv starts a block whose 1x1 conv, skip path (identity or 2x2
 * max pool, zero-padded channels), ADD and RELU are found through the tensor wiring; the heads are the
 * 1x1 convs that feed the two output CONCATENATIONs, in the order they are concatenated. Anything else
 * in the graph stops the conversion with an error. Layouts: tflite conv OHWI -> HWIO, depthwise
 * [1, 3, 3, C] -> [3, 3, C].
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Op, TensorType, halfToFloat, readTflite, type TfliteOp } from './tflite-reader.ts';
import { validateDetectorConfig, detectorShapes, type DetectorBlock, type DetectorConfig } from '../src/detect/arch.ts';
import { writeWeightFile } from '../train/format-writer.ts';
import type { StoredTensor } from '../src/format.ts';
import type { ModelConfig } from '../src/arch.ts';

const SRC = 'node_modules/@mediapipe/face_detection/face_detection_short_range.tflite';
const DST = 'weights/detector/face_detection_short_range.fp32.daaw';

export function convertBlazeface(bytes: Uint8Array): { config: DetectorConfig; tensors: StoredTensor[] } {
  const m = readTflite(bytes);
  const fail = (msg: string): never => {
    throw new Error(`convert-blazeface: ${msg}`);
  };
  const producer = new Map<number, TfliteOp>();
  for (const op of m.ops) for (const o of op.outputs) producer.set(o, op);
  const consumers = (t: number) => m.ops.filter((op) => op.inputs.includes(t));
  // a constant's f32 values, through its DEQUANTIZE when stored as fp16
  const constant = (t: number): Float32Array => {
    const p = producer.get(t);
    if (p && p.code === Op.DEQUANTIZE) t = p.inputs[0];
    const tensor = m.tensors[t];
    const d = tensor.data;
    if (!d.length) fail(`tensor ${tensor.name} has no data`);
    const n = tensor.shape.reduce((a, b) => a * b, 1);
    const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
    const out = new Float32Array(n);
    if (tensor.type === TensorType.FLOAT16) for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
    else if (tensor.type === TensorType.FLOAT32) for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
    else fail(`tensor ${tensor.name} has type ${tensor.type}`);
    return out;
  };
  const shapeOf = (t: number) => m.tensors[t].shape;
  // OHWI -> HWIO
  const hwio = (t: number): Float32Array => {
    const [O, H, W, I] = shapeOf(producer.get(t)?.code === Op.DEQUANTIZE ? producer.get(t)!.inputs[0] : t);
    const src = constant(t);
    const dst = new Float32Array(src.length);
    for (let o = 0; o < O; o++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let i = 0; i < I; i++)
      dst[((h * W + w) * I + i) * O + o] = src[((o * H + h) * W + w) * I + i];
    return dst;
  };
  const tensors: StoredTensor[] = [];
  const put = (name: string, shape: number[], data: Float32Array) => {
    if (data.length !== shape.reduce((a, b) => a * b, 1)) fail(`${name}: ${data.length} values for shape [${shape}]`);
    tensors.push({ name, dtype: 'f32', shape, data });
  };
  const only = <T>(xs: T[], what: string): T => (xs.length === 1 ? xs[0] : fail(`expected one ${what}, found ${xs.length}`));

  // stem: CONV_2D 5x5 / 2, SAME, then RELU (fused or as its own op)
  const input = m.inputs[0];
  const [, inH, inW, inC] = shapeOf(input);
  if (inH !== inW || inC !== 3) fail(`input shape ${shapeOf(input)}`);
  const stem = only(consumers(input), 'stem conv');
  if (stem.code !== Op.CONV_2D || stem.strideW !== 2 || stem.strideH !== 2 || stem.padding !== 0) fail('the stem is not a SAME 5x5 / 2 conv');
  let x = stem.outputs[0];
  if (stem.activation !== 1) x = only(consumers(x).filter((o) => o.code === Op.RELU), 'stem relu').outputs[0];
  const stemC = shapeOf(stem.outputs[0])[3];
  put('stem.w', [5, 5, 3, stemC], hwio(stem.inputs[1]));
  put('stem.b', [stemC], constant(stem.inputs[2]));

  const blocks: DetectorBlock[] = [];
  const blockOut: number[] = [];
  for (;;) {
    const dw = consumers(x).find((o) => o.code === Op.DEPTHWISE_CONV_2D);
    if (!dw) break;
    const i = blocks.length;
    const cin = shapeOf(x)[3];
    const stride = dw.strideW as 1 | 2;
    if (dw.padding !== 0 || dw.strideH !== stride || dw.activation !== 0) fail(`block ${i}: depthwise conv options`);
    const pw = only(consumers(dw.outputs[0]).filter((o) => o.code === Op.CONV_2D), `block ${i} 1x1 conv`);
    if (pw.activation !== 0 || pw.strideW !== 1) fail(`block ${i}: 1x1 conv options`);
    const cout = shapeOf(pw.outputs[0])[3];
    const add = only(consumers(pw.outputs[0]).filter((o) => o.code === Op.ADD), `block ${i} add`);
    // skip path: x, or MAX_POOL(x), each optionally channel-PADded
    let s = add.inputs.find((t) => t !== pw.outputs[0])!;
    if (producer.get(s)?.code === Op.PAD) s = producer.get(s)!.inputs[0];
    if (stride === 2) {
      const pool = producer.get(s);
      if (!pool || pool.code !== Op.MAX_POOL_2D || pool.filterW !== 2 || pool.strideW !== 2) fail(`block ${i}: stride-2 skip is not a 2x2 max pool`);
      s = pool!.inputs[0];
    }
    if (s !== x) fail(`block ${i}: the skip path does not start at the block input`);
    const relu = only(consumers(add.outputs[0]).filter((o) => o.code === Op.RELU), `block ${i} relu`);
    put(`block${i}.dw.w`, [3, 3, cin], constant(dw.inputs[1]));
    put(`block${i}.dw.b`, [cin], constant(dw.inputs[2]));
    put(`block${i}.pw.w`, [1, 1, cin, cout], hwio(pw.inputs[1]));
    put(`block${i}.pw.b`, [cout], constant(pw.inputs[2]));
    blocks.push({ cin, cout, stride });
    x = relu.outputs[0];
    blockOut.push(x);
  }

  // heads, in the order of the outputs' concatenations: classificators [N, 1], regressors [N, coords]
  const concatOf = (out: number) => {
    const c = producer.get(out);
    if (!c || c.code !== Op.CONCATENATION) fail('an output is not a CONCATENATION');
    return c!.inputs.map((t) => {
      const r = producer.get(t);
      const conv = r && r.code === Op.RESHAPE ? producer.get(r.inputs[0]) : r;
      if (!conv || conv.code !== Op.CONV_2D) fail('a concatenated output is not a reshaped conv');
      return conv!;
    });
  };
  const [outA, outB] = m.outputs;
  const lastDim = (t: number) => shapeOf(t)[shapeOf(t).length - 1];
  const [clsOut, regOut] = lastDim(outA) === 1 ? [outA, outB] : [outB, outA];
  const coords = lastDim(regOut);
  const clsConvs = concatOf(clsOut);
  const regConvs = concatOf(regOut);
  if (clsConvs.length !== regConvs.length) fail('score and regressor heads differ in number');
  const heads = clsConvs.map((cls, j) => {
    const reg = regConvs[j];
    const after = blockOut.indexOf(cls.inputs[0]);
    if (after < 0 || reg.inputs[0] !== cls.inputs[0]) fail(`head ${j} does not read a block output`);
    const anchors = shapeOf(cls.outputs[0])[3];
    const c = blocks[after].cout;
    put(`head${j}.cls.w`, [1, 1, c, anchors], hwio(cls.inputs[1]));
    put(`head${j}.cls.b`, [anchors], constant(cls.inputs[2]));
    put(`head${j}.reg.w`, [1, 1, c, anchors * coords], hwio(reg.inputs[1]));
    put(`head${j}.reg.b`, [anchors * coords], constant(reg.inputs[2]));
    return { after, anchors };
  });
  const config = validateDetectorConfig({
    family: 'blazeface', inputSize: inH, stemChannels: stemC, blocks, heads, coords, keypoints: (coords - 4) / 2,
  });
  const shapes = detectorShapes(config);
  for (const t of tensors) if (String(shapes.get(t.name)) !== String(t.shape)) fail(`${t.name}: shape [${t.shape}] vs the config's [${shapes.get(t.name)}]`);
  if (shapes.size !== tensors.length) fail('tensor count differs from the config');
  return { config, tensors };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const src = process.argv[2] ?? SRC;
  const dst = process.argv[3] ?? DST;
  const bytes = readFileSync(src);
  const { config, tensors } = convertBlazeface(bytes);
  const meta = {
    source: '@mediapipe/face_detection face_detection_short_range.tflite (Apache-2.0, Google LLC)',
    converted: 'by scripts/convert-blazeface.ts: fp16 weights widened to f32 exactly, convs OHWI -> HWIO',
    inputRange: '[-1, 1]',
  };
  const out = writeWeightFile(config as unknown as ModelConfig, 'fp32', tensors, meta);
  writeFileSync(dst, out);
  const params = tensors.reduce((n, t) => n + t.data.length, 0);
  console.log(`${dst}: ${config.blocks.length} blocks, ${config.heads.length} heads, ${params} parameters, ${out.length} bytes`);
}
