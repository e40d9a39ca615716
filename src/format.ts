/**
 * Reader of the daa-wasm weight file (format version 1; docs/format.md fixes it byte for byte).
 * The writer is train/format-writer.ts. Every check runs before any tensor is trusted; a failed check
 * throws a WeightFormatError whose code names it.
 */
import { validateConfig, weightShapes, type ModelConfig } from './arch.ts';
import { crc32 } from './crc32.ts';
import { WeightFormatError, type DaaErrorCode } from './errors.ts';

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

function toBytes(input: Uint8Array | ArrayBuffer): Uint8Array {
  // a plain Uint8Array view: Node's Buffer is a Uint8Array whose slice() shares memory (and whose
  // .buffer may be a shared pool), so the copies below must come from Uint8Array.prototype.slice
  if (input instanceof Uint8Array) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  return fail('WEIGHTS_TRUNCATED', `expected a Uint8Array or ArrayBuffer, got ${Object.prototype.toString.call(input)}`);
}

/** Parse and validate a weight file. The returned tensors are copies (aligned), independent of `input`. */
export function readWeightFile(input: Uint8Array | ArrayBuffer): WeightFile {
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
  const crc = crc32(bytes, 16, fileBytes);
  if (crc !== u32(12)) fail('WEIGHTS_CHECKSUM', `checksum mismatch (stored ${u32(12).toString(16)}, computed ${crc.toString(16)})`);
  const configBytes = u32(16);
  const count = u32(20);
  const tableOffset = u32(24);
  const dataOffset = u32(28);
  if (configBytes > MAX_CONFIG_BYTES) fail('WEIGHTS_CONFIG', `config of ${configBytes} bytes exceeds ${MAX_CONFIG_BYTES}`);
  if (count < 1 || count > MAX_TENSORS) fail('WEIGHTS_TABLE', `tensor count ${count} outside 1..${MAX_TENSORS}`);
  if (tableOffset !== align(HEADER_BYTES + configBytes)) fail('WEIGHTS_TABLE', `table offset ${tableOffset} is not align16(32 + config)`);
  if (dataOffset !== align(tableOffset + count * ENTRY_BYTES)) fail('WEIGHTS_TABLE', `data offset ${dataOffset} is not align16(table end)`);
  if (dataOffset > fileBytes) fail('WEIGHTS_TRUNCATED', `data offset ${dataOffset} past the end of the file`);

  let header: { config?: unknown; precision?: unknown; meta?: unknown };
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + configBytes)));
  } catch (e) {
    return fail('WEIGHTS_CONFIG', `config is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object') fail('WEIGHTS_CONFIG', 'config is not a JSON object');
  let config: ModelConfig;
  try {
    config = validateConfig(header.config);
  } catch (e) {
    return fail('WEIGHTS_CONFIG', (e as Error).message);
  }
  const precision = header.precision;
  if (precision !== 'fp32' && precision !== 'int8') fail('WEIGHTS_CONFIG', `precision ${String(precision)}`);
  const meta = header.meta && typeof header.meta === 'object' ? (header.meta as Record<string, unknown>) : {};

  const expected = weightShapes(config);
  const tensors = new Map<string, StoredTensor>();
  const ranges: Array<[number, number]> = [];
  const inData = (off: number, len: number, what: string) => {
    if (off % 4 !== 0 || off < dataOffset || len > fileBytes || off > fileBytes - len)
      fail('WEIGHTS_TABLE', `${what}: range [${off}, ${off + len}) outside the data section [${dataOffset}, ${fileBytes}) or misaligned`);
    ranges.push([off, off + len]);
  };
  const nameDecoder = new TextDecoder('utf-8', { fatal: false });
  for (let i = 0; i < count; i++) {
    const e = tableOffset + i * ENTRY_BYTES;
    const raw = bytes.subarray(e, e + NAME_BYTES);
    const nul = raw.indexOf(0);
    const name = nameDecoder.decode(raw.subarray(0, nul < 0 ? NAME_BYTES : nul));
    if (!/^[a-z0-9_.]{1,63}$/.test(name)) fail('WEIGHTS_TABLE', `entry ${i}: invalid tensor name ${JSON.stringify(name)}`);
    if (tensors.has(name)) fail('WEIGHTS_TABLE', `entry ${i}: duplicate tensor ${name}`);
    const dtypeCode = bytes[e + 64];
    const ndim = bytes[e + 65];
    if (dtypeCode !== DTYPE_F32 && dtypeCode !== DTYPE_I8) fail('WEIGHTS_TABLE', `${name}: unknown dtype ${dtypeCode}`);
    if (ndim < 1 || ndim > 4) fail('WEIGHTS_TABLE', `${name}: rank ${ndim} outside 1..4`);
    const shape: number[] = [];
    let numel = 1;
    for (let d = 0; d < ndim; d++) {
      const n = u32(e + 68 + 4 * d);
      if (n < 1 || n > 1 << 24) fail('WEIGHTS_TENSOR', `${name}: dimension ${d} is ${n}`);
      shape.push(n);
      numel *= n;
    }
    if (numel > 1 << 26) fail('WEIGHTS_SIZE', `${name}: ${numel} elements is absurd`);
    const want = expected.get(name);
    if (!want) fail('WEIGHTS_TENSOR', `unexpected tensor ${name} for this config`);
    if (want.length !== ndim || want.some((n, d) => n !== shape[d]))
      fail('WEIGHTS_TENSOR', `${name}: shape [${shape}] but the config needs [${want}]`);
    const offset = u32(e + 84);
    const byteLength = u32(e + 88);
    const scaleOffset = u32(e + 92);
    const elemBytes = dtypeCode === DTYPE_F32 ? 4 : 1;
    if (byteLength !== numel * elemBytes) fail('WEIGHTS_TENSOR', `${name}: ${byteLength} bytes for ${numel} elements of ${elemBytes} bytes`);
    if (offset % ALIGN !== 0) fail('WEIGHTS_TABLE', `${name}: offset ${offset} is not ${ALIGN}-byte aligned`);
    inData(offset, byteLength, name);
    const t: StoredTensor = { name, dtype: dtypeCode === DTYPE_F32 ? 'f32' : 'i8', shape, data: new Float32Array(0) };
    if (dtypeCode === DTYPE_F32) {
      if (scaleOffset !== 0) fail('WEIGHTS_TABLE', `${name}: f32 tensor with a scale offset`);
      t.data = new Float32Array(bytes.slice(offset, offset + byteLength).buffer);
    } else {
      const nScales = shape[ndim - 1];
      inData(scaleOffset, nScales * 4, `${name} scales`);
      t.data = new Int8Array(bytes.slice(offset, offset + byteLength).buffer);
      t.scales = new Float32Array(bytes.slice(scaleOffset, scaleOffset + nScales * 4).buffer);
      for (let k = 0; k < nScales; k++)
        if (!(Number.isFinite(t.scales[k]) && t.scales[k] >= 0)) fail('WEIGHTS_TENSOR', `${name}: scale ${k} is ${t.scales[k]}`);
    }
    tensors.set(name, t);
  }
  for (const name of expected.keys()) if (!tensors.has(name)) fail('WEIGHTS_TENSOR', `missing tensor ${name}`);
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++)
    if (ranges[i][0] < ranges[i - 1][1]) fail('WEIGHTS_TABLE', `overlapping tensor data at byte ${ranges[i][0]}`);
  // non-finite f32 weights would poison every estimate: reject them here, once
  for (const t of tensors.values())
    if (t.data instanceof Float32Array)
      for (let k = 0; k < t.data.length; k++)
        if (!Number.isFinite(t.data[k])) fail('WEIGHTS_TENSOR', `${t.name}: element ${k} is ${t.data[k]}`);
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
