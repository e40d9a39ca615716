/**
 * Reader of the daa-wasm weight file (format version 1; docs/format.md fixes it byte for byte).
 * The writer is train/format-writer.ts. Every check runs before any tensor is trusted; a failed check
 * throws a WeightFormatError whose code names it. Cheap structural checks of the 32-byte header run
 * before the checksum, so a hostile or damaged file is rejected without a pass over its bytes, and
 * nothing is allocated for tensors until the whole table has been checked.
 * The limits (docs/reliability.md) bound what a file can make the runtime allocate or compute.
 */
import { validateConfig, weightShapes, type ModelConfig } from './arch.ts';
import { WeightFormatError, type DaaErrorCode } from './errors.ts';
import { crc32 } from './crc32.ts';
import { daaCost } from './models/daa/plan.ts';

export const MAGIC = 0x57414144; // 'DAAW' read as a little-endian u32
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 32;
export const ENTRY_BYTES = 96;
export const NAME_BYTES = 64;
export const ALIGN = 16;
export const DTYPE_F32 = 1;
export const DTYPE_I8 = 2;
/** limits: a file past them is rejected before anything is allocated for it */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;
export const MAX_CONFIG_BYTES = 64 * 1024;
export const MAX_TENSORS = 4096;
/** largest dimension of a stored tensor, and largest element count of one tensor */
export const MAX_DIM = 1 << 24;
export const MAX_TENSOR_ELEMENTS = 1 << 26;
/**
 * Largest linear memory a model may need once loaded (weights as f32, every activation buffer, the
 * DAA head's buffers; the image staging area, at most 64 MiB, comes on top). ResNet18-DAA 128 px
 * (width 64) needs about 54 MiB; the estimator's memory cap is 1 GiB.
 */
export const MAX_MODEL_BYTES = 512 * 1024 * 1024;
/**
 * Largest number of multiply-adds one estimate may cost (encoder plus the naive per-template head,
 * the dearer of the two heads): 2^34, about 4x ResNet18-DAA 128 px with the naive head.
 */
export const MAX_MODEL_MACS = 2 ** 34;

export type Precision = 'fp32' | 'int8';

export interface StoredTensor {
  name: string;
  dtype: 'f32' | 'i8';
  shape: number[];
  /** f32 tensors: the values; i8 tensors: the codes */
  data: Float32Array | Int8Array;
  /** i8 tensors: one scale per index of the last axis (per output channel); value = code * scale */
  scales?: Float32Array;
}

export interface WeightFile {
  config: ModelConfig;
  precision: Precision;
  /** free-form provenance (training run, metrics); never used for computation */
  meta: Record<string, unknown>;
  tensors: Map<string, StoredTensor>;
}

export const align = (n: number, a = ALIGN) => Math.ceil(n / a) * a;

function fail(code: DaaErrorCode, msg: string): never {
  throw new WeightFormatError(code, `weight file: ${msg}`);
}

// Brand-checked accessors of %TypedArray%.prototype: they read the internal slots, so an own
// `length`/`buffer` property or a Proxy cannot lie to the reader, and a Uint8Array from another realm
// (a vm context, an iframe) is accepted.
const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
const getter = (k: PropertyKey) => Object.getOwnPropertyDescriptor(TypedArrayProto, k)!.get!;
const tagOf = getter(Symbol.toStringTag) as (this: unknown) => string | undefined;
const bufferOf = getter('buffer') as (this: unknown) => ArrayBufferLike;
const offsetOf = getter('byteOffset') as (this: unknown) => number;
const lengthOf = getter('byteLength') as (this: unknown) => number;
const isArrayBuffer = (v: unknown): v is ArrayBuffer => {
  try {
    // the byteLength getter throws on anything that is not a real (non-shared) ArrayBuffer
    Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')!.get!.call(v);
    return true;
  } catch {
    return false;
  }
};

function toBytes(input: unknown): Uint8Array {
  if (ArrayBuffer.isView(input) && tagOf.call(input) === 'Uint8Array') {
    const length = lengthOf.call(input); // 0 when detached
    if (length === 0) return new Uint8Array(0);
    const buf = bufferOf.call(input);
    // a plain Uint8Array view: Node's Buffer is a Uint8Array whose slice() shares memory (and whose
    // .buffer may be a shared pool), so the copies made below come from Uint8Array.prototype.slice
    const view = new Uint8Array(buf, offsetOf.call(input), length);
    // shared memory can change under the checks: read a private copy of it
    return isArrayBuffer(buf) ? view : view.slice();
  }
  if (isArrayBuffer(input)) return input.byteLength === 0 ? new Uint8Array(0) : new Uint8Array(input);
  return fail('WEIGHTS_TRUNCATED', `expected a Uint8Array or ArrayBuffer, got ${Object.prototype.toString.call(input)}`);
}

/**
 * What a configuration costs once loaded: the bytes of its own memory plan (the fp32 plan of the SIMD
 * builds, the largest; src/models/daa/plan.ts daaCost) and the multiply-adds of one estimate with the
 * dearer head. Nothing is allocated, so it can gate a hostile config before the runtime allocates.
 */
export function modelCost(cfg: ModelConfig, shapes?: Map<string, number[]>): { memoryBytes: number; macs: number } {
  void shapes; // (the public signature's second argument: the plan derives the shapes itself)
  return daaCost(cfg);
}

/** The tensor table entry of `name` would have this dtype in a file of `precision` (docs/format.md, int8 files). */
function dtypeAllowed(precision: Precision, name: string, rank: number, dtype: number): boolean {
  if (dtype === DTYPE_F32) return true;
  return precision === 'int8' && name.endsWith('.w') && rank >= 2;
}

/** Index of the first NaN or infinity (exponent bits all ones), or -1; on the bits, a tight loop. */
function firstNonFinite(values: Float32Array): number {
  const u = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let k = 0; k < u.length; k++) if ((u[k] & 0x7f800000) === 0x7f800000) return k;
  return -1;
}

function allZero(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i] !== 0) return false;
  return true;
}

const NAME_RE = /^[a-z0-9_.]{1,63}$/;
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder('utf-8', { fatal: false });
const CONFIG_KEYS = ['encoder', 'inputSize', 'width', 'daa', 'featDim', 'numTemplates', 'statsEps'] as const;

interface Entry {
  name: string;
  dtype: number;
  shape: number[];
  offset: number;
  byteLength: number;
  scaleOffset: number;
}

/**
 * Parse and validate a weight file. The returned tensors are aligned views into one copy of the file's
 * data section, independent of `input`.
 */
export function readWeightFile(input: Uint8Array | ArrayBuffer): WeightFile {
  return readWeightFileOf(input, DAA_SCHEMA);
}

/** What the container needs to know of one model family: its config check, tensor shapes and cost. */
export interface WeightSchema<C> {
  /** validated config with its known keys only; throws an Error naming the bad field */
  parse(raw: unknown): C;
  shapes(config: C): Map<string, number[]>;
  cost(config: C, shapes: Map<string, number[]>): { memoryBytes: number; macs: number };
}

const DAA_SCHEMA: WeightSchema<ModelConfig> = {
  parse: (raw) => {
    const v = validateConfig(raw);
    return Object.fromEntries(CONFIG_KEYS.map((k) => [k, v[k]])) as unknown as ModelConfig;
  },
  shapes: (c) => weightShapes(c),
  cost: (c) => modelCost(c),
};

/** readWeightFile for another model family (the face detector: src/detect/weights.ts). */
export function readWeightFileOf<C>(input: Uint8Array | ArrayBuffer, schema: WeightSchema<C>): Omit<WeightFile, 'config'> & { config: C } {
  const bytes = toBytes(input);
  if (bytes.length < HEADER_BYTES) fail('WEIGHTS_TRUNCATED', `${bytes.length} bytes is shorter than the ${HEADER_BYTES}-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (o: number) => dv.getUint32(o, true);
  if (u32(0) !== MAGIC) fail('WEIGHTS_MAGIC', 'bad magic (not a daa-wasm weight file)');
  const version = u32(4);
  if (version !== FORMAT_VERSION) fail('WEIGHTS_VERSION', `format version ${version}, this reader knows ${FORMAT_VERSION}`);
  const fileBytes = u32(8);
  if (fileBytes > MAX_FILE_BYTES) fail('WEIGHTS_SIZE', `declared size ${fileBytes} exceeds the ${MAX_FILE_BYTES}-byte limit`);
  if (fileBytes !== bytes.length)
    fail('WEIGHTS_TRUNCATED', `declared size ${fileBytes} bytes, got ${bytes.length}${bytes.length < fileBytes ? ' (truncated)' : ' (trailing bytes)'}`);
  // the header's layout fields, before the checksum (cheap; all arithmetic below is on doubles, exact
  // far past 2^32, so no sum of u32 fields can wrap)
  const configBytes = u32(16);
  const count = u32(20);
  const tableOffset = u32(24);
  const dataOffset = u32(28);
  if (configBytes < 2 || configBytes > MAX_CONFIG_BYTES) fail('WEIGHTS_CONFIG', `config of ${configBytes} bytes outside 2..${MAX_CONFIG_BYTES}`);
  if (count < 1 || count > MAX_TENSORS) fail('WEIGHTS_TABLE', `tensor count ${count} outside 1..${MAX_TENSORS}`);
  if (tableOffset !== align(HEADER_BYTES + configBytes)) fail('WEIGHTS_TABLE', `table offset ${tableOffset} is not align16(32 + config)`);
  if (dataOffset !== align(tableOffset + count * ENTRY_BYTES)) fail('WEIGHTS_TABLE', `data offset ${dataOffset} is not align16(table end)`);
  if (dataOffset > fileBytes) fail('WEIGHTS_TRUNCATED', `data offset ${dataOffset} past the end of the file (${fileBytes} bytes)`);
  const crc = crc32(bytes, 16, fileBytes);
  if (crc !== u32(12)) fail('WEIGHTS_CHECKSUM', `checksum mismatch (stored ${u32(12).toString(16)}, computed ${crc.toString(16)})`);
  if (!allZero(bytes, HEADER_BYTES + configBytes, tableOffset)) fail('WEIGHTS_TABLE', 'non-zero padding after the config');
  const tableEnd = tableOffset + count * ENTRY_BYTES;
  if (!allZero(bytes, tableEnd, dataOffset)) fail('WEIGHTS_TABLE', 'non-zero padding after the tensor table');

  let header: { config?: unknown; precision?: unknown; meta?: unknown };
  try {
    header = JSON.parse(utf8Strict.decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + configBytes)));
  } catch (e) {
    return fail('WEIGHTS_CONFIG', `config is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) fail('WEIGHTS_CONFIG', 'config is not a JSON object');
  let config: C;
  try {
    // keep the known keys only: nothing else of the JSON reaches the runtime
    config = schema.parse(header.config);
  } catch (e) {
    return fail('WEIGHTS_CONFIG', (e as Error).message);
  }
  const precision = header.precision;
  if (precision !== 'fp32' && precision !== 'int8') fail('WEIGHTS_CONFIG', `precision ${String(precision)}`);
  const meta = header.meta && typeof header.meta === 'object' && !Array.isArray(header.meta) ? (header.meta as Record<string, unknown>) : {};
  // what the config would make the runtime allocate and compute, before anything is allocated
  const expected = schema.shapes(config);
  const cost = schema.cost(config, expected);
  if (cost.memoryBytes > MAX_MODEL_BYTES)
    fail('WEIGHTS_SIZE', `the config needs ${cost.memoryBytes} bytes of model memory, over the ${MAX_MODEL_BYTES}-byte limit`);
  if (cost.macs > MAX_MODEL_MACS)
    fail('WEIGHTS_SIZE', `the config costs ${cost.macs.toExponential(3)} multiply-adds per estimate, over the limit of ${MAX_MODEL_MACS.toExponential(3)}`);

  // the table, all of it, before any tensor data is copied
  const entries: Entry[] = [];
  const seen = new Set<string>();
  const ranges: Array<[number, number]> = [];
  const inData = (off: number, len: number, what: string) => {
    if (off % ALIGN !== 0) fail('WEIGHTS_TABLE', `${what}: offset ${off} is not ${ALIGN}-byte aligned`);
    if (off < dataOffset || len > fileBytes || off > fileBytes - len)
      fail('WEIGHTS_TABLE', `${what}: range [${off}, ${off + len}) outside the data section [${dataOffset}, ${fileBytes})`);
    ranges.push([off, off + len]);
  };
  for (let i = 0; i < count; i++) {
    const e = tableOffset + i * ENTRY_BYTES;
    const raw = bytes.subarray(e, e + NAME_BYTES);
    const nul = raw.indexOf(0);
    const name = utf8Lenient.decode(raw.subarray(0, nul < 0 ? NAME_BYTES : nul));
    if (!NAME_RE.test(name)) fail('WEIGHTS_TABLE', `entry ${i}: invalid tensor name ${JSON.stringify(name.slice(0, 64))}`);
    if (!allZero(raw, nul, NAME_BYTES)) fail('WEIGHTS_TABLE', `${name}: non-zero bytes after the name`);
    if (seen.has(name)) fail('WEIGHTS_TABLE', `entry ${i}: duplicate tensor ${name}`);
    seen.add(name);
    const dtype = bytes[e + 64];
    const ndim = bytes[e + 65];
    if (dtype !== DTYPE_F32 && dtype !== DTYPE_I8) fail('WEIGHTS_TABLE', `${name}: unknown dtype ${dtype}`);
    if (ndim < 1 || ndim > 4) fail('WEIGHTS_TABLE', `${name}: rank ${ndim} outside 1..4`);
    if (bytes[e + 66] !== 0 || bytes[e + 67] !== 0) fail('WEIGHTS_TABLE', `${name}: reserved bytes are not zero`);
    const shape: number[] = [];
    let numel = 1;
    for (let d = 0; d < 4; d++) {
      const n = u32(e + 68 + 4 * d);
      if (d >= ndim) {
        if (n !== 0) fail('WEIGHTS_TABLE', `${name}: dimension ${d} past rank ${ndim} is ${n}, not 0`);
        continue;
      }
      if (n < 1 || n > MAX_DIM) fail('WEIGHTS_TENSOR', `${name}: dimension ${d} is ${n}`);
      shape.push(n);
      numel *= n;
    }
    if (numel > MAX_TENSOR_ELEMENTS) fail('WEIGHTS_SIZE', `${name}: ${numel} elements is absurd`);
    const want = expected.get(name);
    if (!want) fail('WEIGHTS_TENSOR', `unexpected tensor ${name} for this config`);
    if (want.length !== ndim || want.some((n, d) => n !== shape[d]))
      fail('WEIGHTS_TENSOR', `${name}: shape [${shape}] but the config needs [${want}]`);
    if (!dtypeAllowed(precision, name, ndim, dtype))
      fail('WEIGHTS_TENSOR', `${name}: an ${dtype === DTYPE_I8 ? 'int8' : 'f32'} tensor is not allowed in a ${precision} file`);
    const offset = u32(e + 84);
    const byteLength = u32(e + 88);
    const scaleOffset = u32(e + 92);
    const elemBytes = dtype === DTYPE_F32 ? 4 : 1;
    if (byteLength !== numel * elemBytes) fail('WEIGHTS_TENSOR', `${name}: ${byteLength} bytes for ${numel} elements of ${elemBytes} bytes`);
    inData(offset, byteLength, name);
    if (dtype === DTYPE_F32) {
      if (scaleOffset !== 0) fail('WEIGHTS_TABLE', `${name}: f32 tensor with a scale offset`);
    } else {
      inData(scaleOffset, shape[ndim - 1] * 4, `${name} scales`);
    }
    entries.push({ name, dtype, shape, offset, byteLength, scaleOffset });
  }
  for (const name of expected.keys()) if (!seen.has(name)) fail('WEIGHTS_TENSOR', `missing tensor ${name}`);
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++)
    if (ranges[i][0] < ranges[i - 1][1]) fail('WEIGHTS_TABLE', `overlapping tensor data at byte ${ranges[i][0]}`);
  // the data section holds tensors and zero padding only
  let cursor = dataOffset;
  for (const [s, e] of ranges) {
    if (!allZero(bytes, cursor, s)) fail('WEIGHTS_TABLE', `non-zero bytes between tensors in [${cursor}, ${s})`);
    cursor = e;
  }
  if (!allZero(bytes, cursor, fileBytes)) fail('WEIGHTS_TABLE', `non-zero bytes after the last tensor in [${cursor}, ${fileBytes})`);

  // one copy of the data section (independent of `input`; every tensor's offset in it stays 16-byte
  // aligned), the tensors are views into it; checked once here
  const section = bytes.slice(dataOffset, fileBytes).buffer;
  const tensors = new Map<string, StoredTensor>();
  for (const { name, dtype, shape, offset, byteLength, scaleOffset } of entries) {
    if (dtype === DTYPE_F32) {
      const data = new Float32Array(section, offset - dataOffset, byteLength / 4);
      // non-finite f32 weights would poison every estimate: reject them here, once
      const k = firstNonFinite(data);
      if (k >= 0) fail('WEIGHTS_TENSOR', `${name}: element ${k} is ${data[k]}`);
      tensors.set(name, { name, dtype: 'f32', shape, data });
    } else {
      const nScales = shape[shape.length - 1];
      const data = new Int8Array(section, offset - dataOffset, byteLength);
      const scales = new Float32Array(section, scaleOffset - dataOffset, nScales);
      for (let k = 0; k < nScales; k++)
        if (!(Number.isFinite(scales[k]) && scales[k] >= 0)) fail('WEIGHTS_TENSOR', `${name}: scale ${k} is ${scales[k]}`);
      tensors.set(name, { name, dtype: 'i8', shape, data, scales });
    }
  }
  return { config, precision, meta, tensors };
}

/** The f32 values of a stored tensor (int8 codes times their per-output-channel scale). */
export function dequantize(t: StoredTensor): Float32Array {
  if (t.dtype === 'f32') return t.data as Float32Array;
  const q = t.data as Int8Array;
  const s = t.scales!;
  const n = s.length;
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = q[i] * s[i % n];
  return out;
}
