/**
 * A minimal reader of TensorFlow Lite model files (a FlatBuffer, schema tensorflow/lite/schema/schema.fbs):
 * only the tables a converter of a small float model needs (operator codes, the first subgraph's
 * tensors and operators with their Conv2D / DepthwiseConv2D / Pool2D options, and the buffers).
 * Field numbers are the schema's; a FlatBuffer table starts with an i32 offset back to its vtable,
 * whose u16 entries (after two u16 sizes) are the fields' offsets inside the table (0 = absent).
 */

export const TensorType = { FLOAT32: 0, FLOAT16: 1, INT32: 2 } as const;
export const Op = { ADD: 0, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, DEQUANTIZE: 6, MAX_POOL_2D: 17, RELU: 19, RESHAPE: 22, RESIZE_BILINEAR: 23, PAD: 34, CONCATENATION: 2 } as const;

export interface TfliteTensor {
  index: number;
  name: string;
  shape: number[];
  type: number;
  /** the raw bytes of the tensor's buffer (empty for activations) */
  data: Uint8Array;
}

export interface TfliteOp {
  /** BuiltinOperator code */
  code: number;
  inputs: number[];
  outputs: number[];
  /** Conv2D / DepthwiseConv2D / Pool2D options: padding 0 = SAME, 1 = VALID; activation 0 = none, 1 = ReLU */
  padding?: number;
  strideW?: number;
  strideH?: number;
  filterW?: number;
  filterH?: number;
  activation?: number;
  /** ResizeBilinearOptions */
  alignCorners?: boolean;
  halfPixelCenters?: boolean;
}

export interface TfliteModel {
  tensors: TfliteTensor[];
  ops: TfliteOp[];
  inputs: number[];
  outputs: number[];
}

export function readTflite(bytes: Uint8Array): TfliteModel {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (o: number) => dv.getUint32(o, true);
  const i32 = (o: number) => dv.getInt32(o, true);
  /** byte position of field `id` in the table at `t`, or 0 when the field is absent */
  const field = (t: number, id: number): number => {
    const vt = t - i32(t);
    const vtBytes = dv.getUint16(vt, true);
    if (4 + 2 * id >= vtBytes) return 0;
    const off = dv.getUint16(vt + 4 + 2 * id, true);
    return off ? t + off : 0;
  };
  const ref = (p: number) => p + u32(p); // follow a u32 offset stored at p
  const table = (t: number, id: number) => {
    const p = field(t, id);
    return p ? ref(p) : 0;
  };
  const vector = (t: number, id: number): { at: number; n: number } => {
    const p = field(t, id);
    if (!p) return { at: 0, n: 0 };
    const v = ref(p);
    return { at: v + 4, n: u32(v) };
  };
  const tables = (t: number, id: number) => {
    const { at, n } = vector(t, id);
    return Array.from({ length: n }, (_, i) => ref(at + 4 * i));
  };
  const ints = (t: number, id: number) => {
    const { at, n } = vector(t, id);
    return Array.from({ length: n }, (_, i) => i32(at + 4 * i));
  };
  const string = (t: number, id: number) => {
    const { at, n } = vector(t, id);
    return new TextDecoder().decode(bytes.subarray(at, at + n));
  };
  const scalar = (t: number, id: number, kind: 'u8' | 'i8' | 'i32' | 'u32', dflt = 0) => {
    const p = field(t, id);
    if (!p) return dflt;
    return kind === 'u8' ? dv.getUint8(p) : kind === 'i8' ? dv.getInt8(p) : kind === 'i32' ? i32(p) : u32(p);
  };

  const model = ref(0);
  // OperatorCode: 0 deprecated_builtin_code (i8), 3 builtin_code (i32); the larger one is the code
  const codes = tables(model, 1).map((oc) => Math.max(scalar(oc, 0, 'i8'), scalar(oc, 3, 'i32')));
  // Buffer: 0 data [ubyte]
  const buffers = tables(model, 4).map((b) => {
    const { at, n } = vector(b, 0);
    return bytes.subarray(at, at + n);
  });
  const sub = tables(model, 2)[0];
  // Tensor: 0 shape, 1 type, 2 buffer, 3 name
  const tensors = tables(sub, 0).map((t, index) => ({
    index,
    name: string(t, 3),
    shape: ints(t, 0),
    type: scalar(t, 1, 'i8'),
    data: buffers[scalar(t, 2, 'u32')] ?? new Uint8Array(0),
  }));
  // Operator: 0 opcode_index, 1 inputs, 2 outputs, 4 builtin_options
  const ops = tables(sub, 3).map((o): TfliteOp => {
    const code = codes[scalar(o, 0, 'u32')];
    const op: TfliteOp = { code, inputs: ints(o, 1), outputs: ints(o, 2) };
    const opt = table(o, 4);
    if (opt && (code === Op.CONV_2D || code === Op.DEPTHWISE_CONV_2D)) {
      // Conv2DOptions: 0 padding, 1 stride_w, 2 stride_h, 3 fused_activation_function;
      // DepthwiseConv2DOptions: 0 padding, 1 stride_w, 2 stride_h, 3 depth_multiplier, 4 fused_activation_function
      op.padding = scalar(opt, 0, 'i8');
      op.strideW = scalar(opt, 1, 'i32');
      op.strideH = scalar(opt, 2, 'i32');
      op.activation = scalar(opt, code === Op.CONV_2D ? 3 : 4, 'i8');
    } else if (opt && code === Op.MAX_POOL_2D) {
      // Pool2DOptions: 0 padding, 1 stride_w, 2 stride_h, 3 filter_width, 4 filter_height, 5 fused_activation_function
      op.padding = scalar(opt, 0, 'i8');
      op.strideW = scalar(opt, 1, 'i32');
      op.strideH = scalar(opt, 2, 'i32');
      op.filterW = scalar(opt, 3, 'i32');
      op.filterH = scalar(opt, 4, 'i32');
      op.activation = scalar(opt, 5, 'i8');
    } else if (opt && code === Op.RESIZE_BILINEAR) {
      // ResizeBilinearOptions: 0, 1 new_height / new_width (deprecated), 2 align_corners, 3 half_pixel_centers
      op.alignCorners = scalar(opt, 2, 'u8') !== 0;
      op.halfPixelCenters = scalar(opt, 3, 'u8') !== 0;
    }
    return op;
  });
  return { tensors, ops, inputs: ints(sub, 1), outputs: ints(sub, 2) };
}

/** IEEE half -> f32 (exact: every half is a float). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
