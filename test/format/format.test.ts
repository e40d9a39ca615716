/** The weight file: round trip, int8 quantiser, and every rejection of docs/format.md. */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_CONFIG, weightShapes, type ModelConfig } from '../../src/arch.ts';
import { crc32 } from '../../src/crc32.ts';
import { WeightFormatError } from '../../src/errors.ts';
import { dequantize, readWeightFile, type StoredTensor } from '../../src/format.ts';
import { foldedTensors, quantizeTensors } from '../../train/export.ts';
import { writeWeightFile } from '../../train/format-writer.ts';
import { DaaModel } from '../../train/model.ts';
import { quantizePerChannel, roundHalfEven } from '../../train/quantize.ts';

await tf.setBackend('cpu');
const cfg: ModelConfig = { ...DEFAULT_CONFIG, inputSize: 64 };
const model = new DaaModel(cfg, 5);
model.randomizeBatchNorm();
const tensors = foldedTensors(model);
const good = writeWeightFile(cfg, 'fp32', tensors, { note: 'test' });

/** re-seal the CRC after a deliberate edit, so that the check after it is the one that fires */
function reseal(b: Uint8Array): Uint8Array {
  new DataView(b.buffer, b.byteOffset).setUint32(12, crc32(b, 16, b.length), true);
  return b;
}
function expectCode(bytes: Uint8Array, code: string, what: string) {
  try {
    readWeightFile(bytes);
  } catch (e) {
    assert.instance(e, WeightFormatError, what);
    assert.is((e as WeightFormatError).code, code, `${what}: ${(e as Error).message}`);
    return;
  }
  assert.unreachable(`${what}: accepted`);
}

test('round trip fp32: config, names, shapes, values bit for bit', () => {
  const f = readWeightFile(good);
  assert.equal(f.config, cfg);
  assert.is(f.precision, 'fp32');
  assert.equal(f.meta, { note: 'test' });
  assert.equal([...f.tensors.keys()].sort(), [...weightShapes(cfg).keys()].sort());
  for (const t of tensors) {
    const r = f.tensors.get(t.name)!;
    assert.equal(r.shape, t.shape);
    assert.equal(Array.from(r.data), Array.from(t.data), t.name);
  }
  // every tensor's data is 16-byte aligned in the file
  const dv = new DataView(good.buffer);
  const table = dv.getUint32(24, true);
  for (let i = 0; i < tensors.length; i++) assert.is(dv.getUint32(table + i * 96 + 84, true) % 16, 0);
});

test('a Node Buffer from a pooled allocation reads the same (Buffer.slice shares memory)', () => {
  const pooled = Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(good)]).subarray(3);
  const f = readWeightFile(pooled);
  for (const t of tensors) assert.equal(Array.from(f.tensors.get(t.name)!.data), Array.from(t.data), t.name);
});

test('round trip int8: codes and scales equal the reference quantiser', () => {
  const q = quantizeTensors(tensors);
  const f = readWeightFile(writeWeightFile(cfg, 'int8', q));
  assert.is(f.precision, 'int8');
  for (const t of q) {
    const r = f.tensors.get(t.name)!;
    assert.is(r.dtype, t.dtype);
    assert.equal(Array.from(r.data), Array.from(t.data));
    if (t.scales) assert.equal(Array.from(r.scales!), Array.from(t.scales));
  }
  // dequantised weights are within half a step of the originals
  for (const t of tensors) {
    if (!t.name.endsWith('.w') || t.shape.length < 2) continue;
    const d = dequantize(f.tensors.get(t.name)!);
    const s = f.tensors.get(t.name)!.scales!;
    for (let i = 0; i < d.length; i++) assert.ok(Math.abs(d[i] - t.data[i]) <= s[i % s.length] / 2 + 1e-7, `${t.name}[${i}]`);
  }
});

test('quantiser: round half to even, symmetric range, zero channels', () => {
  assert.equal([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, -0, -2, 2, 3]);
  const { codes, scales } = quantizePerChannel(Float32Array.from([1, 0, -2, 0, 0.5, 0]), 2);
  assert.equal(Array.from(codes), [64, 0, -127, 0, 32, 0]);
  assert.is(scales[1], 0);
  assert.is(scales[0], Math.fround(2 / 127));
});

test('rejects: magic, version, size, truncation, checksum', () => {
  const b = good.slice();
  b[0] ^= 1;
  expectCode(b, 'WEIGHTS_MAGIC', 'magic');
  const v = good.slice();
  new DataView(v.buffer).setUint32(4, 2, true);
  expectCode(v, 'WEIGHTS_VERSION', 'version');
  expectCode(good.subarray(0, 10), 'WEIGHTS_TRUNCATED', 'shorter than the header');
  expectCode(good.subarray(0, good.length - 7), 'WEIGHTS_TRUNCATED', 'truncated');
  const big = good.slice();
  new DataView(big.buffer).setUint32(8, 0xffffffff, true);
  expectCode(big, 'WEIGHTS_SIZE', 'absurd size');
  const c = good.slice();
  c[c.length - 1] ^= 0x40;
  expectCode(c, 'WEIGHTS_CHECKSUM', 'checksum');
  expectCode(new Uint8Array(0), 'WEIGHTS_TRUNCATED', 'empty');
  assert.throws(() => readWeightFile('nope' as unknown as Uint8Array), (e: unknown) => e instanceof WeightFormatError);
});

test('rejects: config, table and tensor errors', () => {
  const dv = (b: Uint8Array) => new DataView(b.buffer);
  const table = dv(good).getUint32(24, true);
  // config JSON broken
  const j = good.slice();
  j[32] = 0x7b + 1;
  expectCode(reseal(j), 'WEIGHTS_CONFIG', 'json');
  // bad tensor count
  const n = good.slice();
  dv(n).setUint32(20, 0, true);
  expectCode(reseal(n), 'WEIGHTS_TABLE', 'count');
  // dtype, rank, name
  const d = good.slice();
  d[table + 64] = 9;
  expectCode(reseal(d), 'WEIGHTS_TABLE', 'dtype');
  const r = good.slice();
  r[table + 65] = 7;
  expectCode(reseal(r), 'WEIGHTS_TABLE', 'rank');
  const nm = good.slice();
  nm[table] = 0x41; // upper-case letter
  expectCode(reseal(nm), 'WEIGHTS_TABLE', 'name');
  // out-of-range and misaligned offsets
  const o = good.slice();
  dv(o).setUint32(table + 84, o.length - 16, true);
  expectCode(reseal(o), 'WEIGHTS_TABLE', 'range');
  const m = good.slice();
  dv(m).setUint32(table + 84, dv(m).getUint32(table + 84, true) + 4, true);
  expectCode(reseal(m), 'WEIGHTS_TABLE', 'misaligned');
  // shape mismatch
  const s = good.slice();
  dv(s).setUint32(table + 68, 5, true);
  expectCode(reseal(s), 'WEIGHTS_TENSOR', 'shape');
  // a non-finite weight
  const nf = good.slice();
  dv(nf).setFloat32(dv(nf).getUint32(table + 84, true), NaN, true);
  expectCode(reseal(nf), 'WEIGHTS_TENSOR', 'NaN weight');
});

test('rejects: missing and unexpected tensors', () => {
  const missing = tensors.slice(1);
  expectCode(writeWeightFile(cfg, 'fp32', missing), 'WEIGHTS_TENSOR', 'missing');
  const extra: StoredTensor[] = [...tensors, { name: 'extra.w', dtype: 'f32', shape: [2], data: new Float32Array(2) }];
  expectCode(writeWeightFile(cfg, 'fp32', extra), 'WEIGHTS_TENSOR', 'unexpected');
  expectCode(writeWeightFile({ ...cfg, inputSize: 8 }, 'fp32', tensors), 'WEIGHTS_CONFIG', 'input too small');
});

test.run();
