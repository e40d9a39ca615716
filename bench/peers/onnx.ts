/**
 * A minimal ONNX writer for the DAA models, so that onnxruntime-web can run the very same weights
 * as daa-wasm. The protobuf is encoded by hand (ModelProto / GraphProto / NodeProto / TensorProto /
 * AttributeProto / ValueInfoProto, the field numbers of onnx.proto); opset 17, IR version 8.
 *
 * The graph is built from the same architecture description as the runtime (src/arch.ts) and from
 * the BN-folded tensors of a weight file (train/export.ts `foldedTensors`, or a dequantised file):
 *
 *   image u8 [1,H0,W0,4] -> Cast -> Slice RGB -> Transpose NCHW -> Resize (linear, half_pixel) -> *1/255
 *   -> encoder (Conv with folded BN, Add, Relu/HardSwish, AveragePool, SE = GlobalAveragePool, Gemm,
 *      HardSwish, Gemm, Sigmoid, Mul)
 *   -> DAA head: ReduceMean stats, N = (E - mu) / sigma, then the factorised head
 *      pre_y = s_y Conv(N) + t_y Conv(1) + b - Conv(E)   (Conv(1) is a constant, computed here)
 *      or the naive head (one decoder conv per template on delta_y = s_y N + t_y - E),
 *      Relu, ReduceMean (GAP), MatMul + Add (Linear) -> Delta_y; perTemplate = y - Delta_y; age = mean.
 *
 * Outputs: `age` [1], `perTemplate` [T] (or `E` [1,C,h,w] with `output: 'features'`).
 */
import { encoderGraph, templateIndices, type ModelConfig } from '../../src/arch.ts';
import { binaryStyles } from '../../src/models/daa/index.ts';

// ---------------------------------------------------------------- protobuf encoding
class Pb {
  private parts: Uint8Array[] = [];
  private len = 0;
  private push(b: Uint8Array) {
    this.parts.push(b);
    this.len += b.length;
  }
  private varintBytes(v: number | bigint): Uint8Array {
    let x = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    do {
      let byte = Number(x & 0x7fn);
      x >>= 7n;
      if (x) byte |= 0x80;
      out.push(byte);
    } while (x);
    return Uint8Array.from(out);
  }
  private key(field: number, wire: number) {
    this.push(this.varintBytes((field << 3) | wire));
  }
  varint(field: number, v: number | bigint): this {
    this.key(field, 0);
    this.push(this.varintBytes(v));
    return this;
  }
  bytes(field: number, b: Uint8Array): this {
    this.key(field, 2);
    this.push(this.varintBytes(b.length));
    this.push(b);
    return this;
  }
  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  msg(field: number, m: Pb): this {
    return this.bytes(field, m.finish());
  }
  float(field: number, v: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
    return this;
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

const DT = { FLOAT: 1, UINT8: 2, INT64: 7 } as const;
type Attr = number | number[] | string | { floats: number[] } | { float: number };

function attrProto(name: string, v: Attr): Pb {
  const a = new Pb().string(1, name);
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`onnx: attribute ${name}: use { float } for non-integers`);
    a.varint(3, v).varint(20, 2); // i, type INT
  } else if (typeof v === 'string') a.string(4, v).varint(20, 3); // s, STRING
  else if (Array.isArray(v)) {
    for (const x of v) a.varint(8, x); // ints
    a.varint(20, 7); // INTS
  } else if ('float' in v) a.float(2, v.float).varint(20, 1);
  else {
    for (const x of v.floats) a.float(7, x);
    a.varint(20, 6);
  }
  return a;
}

function tensorProto(name: string, dims: number[], dtype: number, raw: Uint8Array): Pb {
  const t = new Pb();
  for (const d of dims) t.varint(1, d);
  return t.varint(2, dtype).string(8, name).bytes(9, raw);
}

function valueInfo(name: string, dtype: number, dims: number[]): Pb {
  const shape = new Pb();
  for (const d of dims) shape.msg(1, new Pb().varint(1, d));
  const tensorType = new Pb().varint(1, dtype).msg(2, shape);
  return new Pb().string(1, name).msg(2, new Pb().msg(1, tensorType));
}

/** A graph under construction: nodes, initialisers, one input. */
class GraphBuilder {
  private nodes: Pb[] = [];
  private inits: Pb[] = [];
  private n = 0;
  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, outName?: string): string {
    const out = outName ?? `${op.toLowerCase()}_${this.n++}`;
    const p = new Pb();
    for (const i of inputs) p.string(1, i);
    p.string(2, out).string(3, `n${this.n++}`).string(4, op);
    for (const [k, v] of Object.entries(attrs)) p.msg(5, attrProto(k, v));
    this.nodes.push(p);
    return out;
  }
  f32(name: string, data: ArrayLike<number>, dims: number[]): string {
    const f = Float32Array.from(data);
    if (f.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`onnx: ${name} has ${f.length} values for dims ${dims}`);
    this.inits.push(tensorProto(name, dims, DT.FLOAT, new Uint8Array(f.buffer)));
    return name;
  }
  i64(name: string, data: number[]): string {
    const b = new BigInt64Array(data.map((x) => BigInt(x)));
    this.inits.push(tensorProto(name, [data.length], DT.INT64, new Uint8Array(b.buffer)));
    return name;
  }
  model(inputs: Pb[], outputs: Pb[], name: string): Uint8Array {
    const g = new Pb();
    for (const nd of this.nodes) g.msg(1, nd);
    g.string(2, name);
    for (const t of this.inits) g.msg(5, t);
    for (const i of inputs) g.msg(11, i);
    for (const o of outputs) g.msg(12, o);
    return new Pb()
      .varint(1, 8) // ir_version
      .string(2, 'daa-wasm bench/peers/onnx.ts')
      .msg(7, g)
      .msg(8, new Pb().string(1, '').varint(2, 17)) // opset_import: default domain, opset 17
      .finish();
  }
}

// ---------------------------------------------------------------- the DAA model
export interface OnnxOptions {
  /** side of the square uint8 RGBA input image (resized inside the graph to cfg.inputSize) */
  srcSize: number;
  /** 'age' (age + perTemplate) or 'features' (encoder output E only) */
  output?: 'age' | 'features';
  head?: 'factorised' | 'naive';
  interval?: number;
}

/** HWIO [k,k,cin,cout] -> OIHW */
function hwioToOihw(w: Float32Array, k: number, cin: number, cout: number): Float32Array {
  const o = new Float32Array(w.length);
  for (let y = 0; y < k; y++)
    for (let x = 0; x < k; x++)
      for (let i = 0; i < cin; i++)
        for (let c = 0; c < cout; c++) o[((c * cin + i) * k + y) * k + x] = w[((y * k + x) * cin + i) * cout + c];
  return o;
}

/**
 * Build the ONNX model. `weights` are BN-folded f32 tensors by name (as stored in an fp32 weight file).
 * Only the `binary` and `template_all` DAA variants (scalar styles per age) and `none` are supported.
 */
export function buildOnnx(cfg: ModelConfig, weights: Map<string, Float32Array>, opts: OnnxOptions): Uint8Array {
  const w = (n: string) => {
    const v = weights.get(n);
    if (!v) throw new Error(`onnx: missing weight ${n}`);
    return v;
  };
  const g = new GraphBuilder();
  const S = cfg.inputSize;
  const H0 = opts.srcSize;
  // preprocessing: u8 RGBA NHWC -> f32 RGB NCHW resized to S, in [0, 1]
  let x = g.node('Cast', ['image'], { to: DT.FLOAT });
  x = g.node('Slice', [x, g.i64('sl.starts', [0, 0, 0, 0]), g.i64('sl.ends', [1, H0, H0, 3]), g.i64('sl.axes', [0, 1, 2, 3])]);
  x = g.node('Transpose', [x], { perm: [0, 3, 1, 2] });
  // always resized, as the runtime does (128 -> 128 is an identity resize, still computed)
  x = g.node('Resize', [x, '', '', g.i64('rs.sizes', [1, 3, S, S])], {
    mode: 'linear',
    coordinate_transformation_mode: 'half_pixel',
  });
  x = g.node('Mul', [x, g.f32('c.inv255', [1 / 255], [])]);

  const graph = encoderGraph(cfg);
  const buf = new Map<string, string>([['x', x]]);
  const act = (y: string, name: string, a: string, c: number): string => {
    if (a === 'relu') return g.node('Relu', [y]);
    if (a === 'hswish') return g.node('HardSwish', [y]);
    if (a === 'prelu') return g.node('PRelu', [y, g.f32(`${name}.alpha`, w(`${name}.alpha`), [c, 1, 1])]);
    return y;
  };
  // TF "SAME" pads [top, left, bottom, right] of a K x K / stride s window over an h x w map
  const samePads = (h: number, ww: number, k: number, s: number): number[] => {
    const th = Math.max((Math.ceil(h / s) - 1) * s + k - h, 0), tw = Math.max((Math.ceil(ww / s) - 1) * s + k - ww, 0);
    return [th >> 1, tw >> 1, th - (th >> 1), tw - (tw >> 1)];
  };
  for (const op of graph.ops) {
    if (op.kind === 'conv') {
      const W = g.f32(`${op.name}.w`, hwioToOihw(w(`${op.name}.w`), op.k, op.cin, op.cout), [op.cout, op.cin, op.k, op.k]);
      const B = g.f32(`${op.name}.b`, w(`${op.name}.b`), [op.cout]);
      const [ih, iw] = graph.shapes[op.src];
      let y = g.node('Conv', [buf.get(op.src)!, W, B], {
        kernel_shape: [op.k, op.k],
        strides: [op.stride, op.stride],
        pads: op.pad === 'same' ? samePads(ih, iw, op.k, op.stride) : [op.pad, op.pad, op.pad, op.pad],
      });
      if (op.add) y = g.node('Add', [y, buf.get(op.add)!]);
      buf.set(op.dst, act(y, op.name, op.act, op.cout));
    } else if (op.kind === 'dwconv') {
      // [3, 3, C] -> [C, 1, 3, 3], one group per channel
      const hwc = w(`${op.name}.w`);
      const oihw = new Float32Array(9 * op.c);
      for (let t = 0; t < 9; t++) for (let c = 0; c < op.c; c++) oihw[c * 9 + t] = hwc[t * op.c + c];
      const [ih, iw] = graph.shapes[op.src];
      const y = g.node('Conv', [buf.get(op.src)!, g.f32(`${op.name}.w`, oihw, [op.c, 1, 3, 3]), g.f32(`${op.name}.b`, w(`${op.name}.b`), [op.c])], {
        kernel_shape: [3, 3],
        strides: [op.stride, op.stride],
        pads: samePads(ih, iw, 3, op.stride),
        group: op.c,
      });
      buf.set(op.dst, act(y, op.name, op.act, op.c));
    } else if (op.kind === 'maxpool2pad') {
      const c = graph.shapes[op.src][2];
      let y = g.node('MaxPool', [buf.get(op.src)!], { kernel_shape: [2, 2], strides: [2, 2] });
      if (op.cout > c) y = g.node('Pad', [y, g.i64(`${op.dst}.pads`, [0, 0, 0, 0, 0, op.cout - c, 0, 0])]);
      buf.set(op.dst, y);
    } else if (op.kind === 'avgpool2') {
      buf.set(op.dst, g.node('AveragePool', [buf.get(op.src)!], { kernel_shape: [2, 2], strides: [2, 2] }));
    } else {
      const xin = buf.get(op.buf)!;
      let s = g.node('GlobalAveragePool', [xin]);
      s = g.node('Flatten', [s], { axis: 1 });
      s = g.node('Gemm', [s, g.f32(`${op.name}.fc1.w`, w(`${op.name}.fc1.w`), [op.c, op.mid]), g.f32(`${op.name}.fc1.b`, w(`${op.name}.fc1.b`), [op.mid])]);
      s = g.node('HardSwish', [s]);
      s = g.node('Gemm', [s, g.f32(`${op.name}.fc2.w`, w(`${op.name}.fc2.w`), [op.mid, op.c]), g.f32(`${op.name}.fc2.b`, w(`${op.name}.fc2.b`), [op.c])]);
      s = g.node('Sigmoid', [s]);
      s = g.node('Reshape', [s, g.i64(`${op.name}.shape`, [1, op.c, 1, 1])]);
      buf.set(op.buf, g.node('Mul', [xin, s]));
    }
  }
  const E = buf.get(graph.out)!;
  const [h, ww, C] = graph.shapes[graph.out];
  const input = valueInfo('image', DT.UINT8, [1, H0, H0, 4]);
  if (opts.output === 'features') {
    g.node('Identity', [E], {}, 'E');
    return g.model([input], [valueInfo('E', DT.FLOAT, [1, C, h, ww])], `${cfg.encoder}-features`);
  }
  if (cfg.daa === 'none') {
    let p = g.node('GlobalAveragePool', [E]);
    p = g.node('Flatten', [p], { axis: 1 });
    p = g.node('Gemm', [p, g.f32('reg.fc.w', w('reg.fc.w'), [C, 1]), g.f32('reg.fc.b', w('reg.fc.b'), [1])]);
    g.node('Reshape', [p, g.i64('age.shape', [1])], {}, 'age');
    return g.model([input], [valueInfo('age', DT.FLOAT, [1])], `${cfg.encoder}-none`);
  }
  if (cfg.daa === 'template_channel') throw new Error('onnx: per-channel templates are not supported by this writer');

  // styles of the chosen templates
  const Tall = cfg.numTemplates;
  let tAll: Float32Array;
  let sAll: Float32Array;
  let agesAll: Float32Array;
  if (cfg.daa === 'binary') {
    ({ t: tAll, s: sAll } = binaryStyles(w, Tall));
    agesAll = Float32Array.from({ length: Tall }, (_, i) => i);
  } else {
    tAll = w('tmpl.t');
    sAll = w('tmpl.s');
    agesAll = w('tmpl.age');
  }
  const idx = templateIndices(Tall, opts.interval ?? 1);
  const T = idx.length;
  const tv = idx.map((j) => tAll[j]);
  const sv = idx.map((j) => sAll[j]);
  const av = idx.map((j) => agesAll[j]);
  const F = cfg.featDim;
  const HW = h * ww;

  // channel statistics: mu, sigma = sqrt(unbiased var + eps)
  const mu = g.node('ReduceMean', [E], { axes: [2, 3], keepdims: 1 });
  const d = g.node('Sub', [E, mu]);
  let v = g.node('ReduceMean', [g.node('Mul', [d, d])], { axes: [2, 3], keepdims: 1 });
  v = g.node('Mul', [v, g.f32('c.unbias', [HW > 1 ? HW / (HW - 1) : 0], [])]);
  const sigma = g.node('Sqrt', [g.node('Add', [v, g.f32('c.eps', [cfg.statsEps], [])])]);
  const N = g.node('Div', [d, sigma]);

  const decW = g.f32('dec.conv.w', hwioToOihw(w('dec.conv.w'), 3, C, F), [F, C, 3, 3]);
  const decB = w('dec.conv.b');
  const S4 = g.f32('tpl.s', sv, [T, 1, 1, 1]);
  const T4 = g.f32('tpl.t', tv, [T, 1, 1, 1]);
  const convAttrs = { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] };
  let pre: string;
  if ((opts.head ?? 'factorised') === 'factorised') {
    const A = g.node('Conv', [N, decW], convAttrs);
    const Cm = g.node('Conv', [E, decW], convAttrs);
    // Conv(1): the decoder conv (no bias) of an all-ones map, a constant [1,F,h,w]
    const Wd = w('dec.conv.w'); // HWIO [3,3,C,F]
    const bc = new Float32Array(F * HW);
    for (let oy = 0; oy < h; oy++)
      for (let ox = 0; ox < ww; ox++)
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) {
            const iy = oy + ky - 1;
            const ix = ox + kx - 1;
            if (iy < 0 || iy >= h || ix < 0 || ix >= ww) continue;
            for (let ci = 0; ci < C; ci++)
              for (let f = 0; f < F; f++) bc[f * HW + oy * ww + ox] += Wd[((ky * 3 + kx) * C + ci) * F + f];
          }
    const Bc = g.f32('dec.conv1', bc, [1, F, h, ww]);
    const base = g.node('Sub', [g.f32('dec.conv.b4', decB, [1, F, 1, 1]), Cm]);
    pre = g.node('Add', [g.node('Add', [g.node('Mul', [A, S4]), g.node('Mul', [Bc, T4])]), base]);
  } else {
    // delta_y = s_y N + t_y - E, [T,C,h,w]; one batched decoder conv over the T templates
    const delta = g.node('Add', [g.node('Mul', [N, S4]), g.node('Sub', [T4, E])]);
    pre = g.node('Conv', [delta, decW, g.f32('dec.conv.b', decB, [F])], convAttrs);
  }
  let r = g.node('Relu', [pre]);
  r = g.node('ReduceMean', [r], { axes: [2, 3], keepdims: 0 }); // [T,F]
  r = g.node('MatMul', [r, g.f32('dec.fc.w', w('dec.fc.w'), [F, 1])]);
  r = g.node('Add', [r, g.f32('dec.fc.b', w('dec.fc.b'), [1])]); // Delta [T,1]
  r = g.node('Sub', [g.f32('tpl.age', av, [T, 1]), r]);
  const per = g.node('Reshape', [r, g.i64('per.shape', [T])], {}, 'perTemplate');
  g.node('ReduceMean', [per], { axes: [0], keepdims: 1 }, 'age');
  return g.model(
    [input],
    [valueInfo('age', DT.FLOAT, [1]), valueInfo('perTemplate', DT.FLOAT, [T])],
    `${cfg.encoder}-daa-${cfg.daa}`,
  );
}
