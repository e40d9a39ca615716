/** Writer of the daa-wasm weight file, version 1 (docs/format.md); the reader is src/format.ts. */
import type { ModelConfig } from '../src/arch.ts';
import { crc32 } from '../src/crc32.ts';
import {
  ALIGN,
  DTYPE_F32,
  DTYPE_I8,
  ENTRY_BYTES,
  FORMAT_VERSION,
  HEADER_BYTES,
  MAGIC,
  NAME_BYTES,
  align,
  type Precision,
  type StoredTensor,
} from '../src/format.ts';

export function writeWeightFile(
  config: ModelConfig,
  precision: Precision,
  tensors: StoredTensor[],
  meta: Record<string, unknown> = {},
): Uint8Array {
  const cfgBytes = new TextEncoder().encode(JSON.stringify({ config, precision, meta }));
  const tableOffset = align(HEADER_BYTES + cfgBytes.length);
  const dataOffset = align(tableOffset + tensors.length * ENTRY_BYTES);
  // lay out the data section: each tensor's data 16-aligned, then (int8) its scales 16-aligned
  let cursor = dataOffset;
  const placed = tensors.map((t) => {
    const byteLength = t.data.byteLength;
    const offset = cursor;
    cursor = align(offset + byteLength, ALIGN);
    let scaleOffset = 0;
    if (t.dtype === 'i8') {
      scaleOffset = cursor;
      cursor = align(scaleOffset + t.scales!.byteLength, ALIGN);
    }
    return { t, offset, byteLength, scaleOffset };
  });
  const fileBytes = cursor;
  const out = new Uint8Array(fileBytes);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, FORMAT_VERSION, true);
  dv.setUint32(8, fileBytes, true);
  dv.setUint32(16, cfgBytes.length, true);
  dv.setUint32(20, tensors.length, true);
  dv.setUint32(24, tableOffset, true);
  dv.setUint32(28, dataOffset, true);
  out.set(cfgBytes, HEADER_BYTES);
  placed.forEach(({ t, offset, byteLength, scaleOffset }, i) => {
    const e = tableOffset + i * ENTRY_BYTES;
    const name = new TextEncoder().encode(t.name);
    if (name.length >= NAME_BYTES) throw new Error(`tensor name too long: ${t.name}`);
    out.set(name, e);
    out[e + 64] = t.dtype === 'f32' ? DTYPE_F32 : DTYPE_I8;
    out[e + 65] = t.shape.length;
    t.shape.forEach((n, d) => dv.setUint32(e + 68 + 4 * d, n, true));
    dv.setUint32(e + 84, offset, true);
    dv.setUint32(e + 88, byteLength, true);
    dv.setUint32(e + 92, scaleOffset, true);
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, byteLength), offset);
    if (t.scales) out.set(new Uint8Array(t.scales.buffer, t.scales.byteOffset, t.scales.byteLength), scaleOffset);
  });
  dv.setUint32(12, crc32(out, 16, fileBytes), true);
  return out;
}
