/**
 * Directed hostile weight files: u32 wrap-arounds, absurd counts and sizes, configs that would make
 * the runtime allocate or compute absurd amounts (rejected by MAX_MODEL_BYTES / MAX_MODEL_MACS before
 * anything is allocated), non-zero padding and reserved bytes, dtype/precision mismatches, odd input
 * objects; the fast CRC; modelCost against the runtime's real placement. (Random mutations:
 * weights-fuzz.test.ts.)
 */
import { runInNewContext } from 'node:vm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_CONFIG, type ModelConfig } from '../../src/arch.ts';
import { crc32, crc32Bytewise } from '../../src/crc32.ts';
import { WeightFormatError } from '../../src/errors.ts';
import { Estimator } from '../../src/estimator.ts';
import {
  MAX_MODEL_BYTES,
  MAX_MODEL_MACS,
  modelCost,
  readWeightFile,
  type StoredTensor,
} from '../../src/format.ts';
import { writeWeightFile } from '../../train/format-writer.ts';
import { makeTensors, makeWeights } from './determinism-fixture.ts';
import { rand } from './mutate.ts';
import { C3AE64, codeOf, mib, reseal, rgba, SMALL_CONFIGS, weightFile } from './util.ts';

const good = weightFile(SMALL_CONFIGS[0][1], 'fp32');
const good8 = weightFile(SMALL_CONFIGS[0][1], 'int8');
const dvOf = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const TABLE = dvOf(good).getUint32(24, true);
const DATA = dvOf(good).getUint32(28, true);
/** the table entry of the first rank-1 tensor */
const RANK1 = (() => {
  for (let e = TABLE; ; e += 96) if (good[e + 65] === 1) return e;
})();

function code(bytes: unknown): string {
  try {
    readWeightFile(bytes as Uint8Array);
  } catch (e) {
    if (!(e instanceof WeightFormatError)) assert.unreachable(`not a WeightFormatError: ${(e as Error)?.stack ?? String(e)}`);
    return (e as WeightFormatError).code;
  }
  return 'ok';
}
/** a copy of `src` with u32 `value` at `at`, re-sealed */
function withU32(src: Uint8Array, at: number, value: number, seal = true): Uint8Array {
  const b = src.slice();
  dvOf(b).setUint32(at, value >>> 0, true);
  return seal ? reseal(b, false) : b;
}
function withByte(src: Uint8Array, at: number, value: number): Uint8Array {
  const b = src.slice();
  b[at] = value;
  return reseal(b, false);
}

test('crc32 (slicing by 8) equals the byte-wise reference CRC-32 on every length and offset', () => {
  const r = rand(3);
  const buf = new Uint8Array(4096);
  for (let i = 0; i < buf.length; i++) buf[i] = r.int(0, 255);
  for (let n = 0; n < 300; n++) {
    const s = r.int(0, 100);
    const e = s + r.int(0, 3000);
    assert.is(crc32(buf, s, e), crc32Bytewise(buf, s, e), `[${s}, ${e})`);
  }
  assert.is(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test('u32 wrap-arounds and overflows in the header and the table', () => {
  const cases: Array<[string, Uint8Array, string]> = [
    ['file size 2^32-1', withU32(good, 8, 0xffffffff, false), 'WEIGHTS_SIZE'],
    ['file size + 2^32 (declared 16)', withU32(good, 8, 16, false), 'WEIGHTS_TRUNCATED'],
    ['configBytes 2^32-1', withU32(good, 16, 0xffffffff, false), 'WEIGHTS_CONFIG'],
    ['configBytes 2^32-16 (32 + it wraps to 16)', withU32(good, 16, 0xfffffff0, false), 'WEIGHTS_CONFIG'],
    ['count 0x02aaaaab (count * 96 wraps past 2^32)', withU32(good, 20, 0x02aaaaab, false), 'WEIGHTS_TABLE'],
    ['count 2^32-1', withU32(good, 20, 0xffffffff, false), 'WEIGHTS_TABLE'],
    ['table offset 2^32-16', withU32(good, 24, 0xfffffff0, false), 'WEIGHTS_TABLE'],
    ['data offset 2^32-16', withU32(good, 28, 0xfffffff0, false), 'WEIGHTS_TABLE'],
    // entry 0: offset + bytes wraps to a small value in u32 arithmetic
    ['tensor offset 2^32-16', withU32(good, TABLE + 84, 0xfffffff0), 'WEIGHTS_TABLE'],
    ['tensor offset 2^32-16 and bytes that wrap it', withU32(withU32(good, TABLE + 84, 0x100000000 - 16), TABLE + 88, 32), 'WEIGHTS_TENSOR'],
    ['tensor bytes 2^32-1', withU32(good, TABLE + 88, 0xffffffff), 'WEIGHTS_TENSOR'],
    ['tensor offset past the end', withU32(good, TABLE + 84, good.length), 'WEIGHTS_TABLE'],
    ['tensor offset before the data section', withU32(good, TABLE + 84, DATA - 16), 'WEIGHTS_TABLE'],
    ['tensor offset misaligned by 4', withU32(good, TABLE + 84, DATA + 4), 'WEIGHTS_TABLE'],
    ['dimension 2^32-1', withU32(good, TABLE + 68, 0xffffffff), 'WEIGHTS_TENSOR'],
    ['dimension 2^24+1', withU32(good, TABLE + 68, (1 << 24) + 1), 'WEIGHTS_TENSOR'],
    // 65536 * 65536 = 2^32 elements: 0 in u32 arithmetic, caught as absurd
    ['dims whose product wraps u32', withU32(withU32(good, TABLE + 68, 65536), TABLE + 72, 65536), 'WEIGHTS_SIZE'],
    ['dims whose byte count wraps u32 (2^30 elements)', withU32(withU32(good, TABLE + 68, 1 << 15), TABLE + 72, 1 << 15), 'WEIGHTS_SIZE'],
  ];
  for (const [what, b, want] of cases) assert.is(code(b), want, what);
});

test('structure: reserved bytes, dims past the rank, padding, gaps and trailing bytes must be zero', () => {
  const last = good.length - 1;
  const cases: Array<[string, Uint8Array, string]> = [
    ['reserved byte 66', withByte(good, TABLE + 66, 1), 'WEIGHTS_TABLE'],
    ['reserved byte 67', withByte(good, TABLE + 67, 0x80), 'WEIGHTS_TABLE'],
    ['dimension past the rank', withU32(good, RANK1 + 72, 1), 'WEIGHTS_TABLE'],
    ['bytes after the name NUL', withByte(good, TABLE + 63, 0x61), 'WEIGHTS_TABLE'],
    ['padding after the table (or the last entry)', withByte(good, DATA - 1, 1), 'WEIGHTS_TABLE'],
    ['name with an upper-case letter', withByte(good, TABLE, 0x45), 'WEIGHTS_TABLE'],
    ['name of 64 bytes, no NUL', (() => { const b = good.slice(); b.fill(0x61, TABLE, TABLE + 64); return reseal(b, false); })(), 'WEIGHTS_TABLE'],
    ['empty name', withByte(good, TABLE, 0), 'WEIGHTS_TABLE'],
    ['dtype 0', withByte(good, TABLE + 64, 0), 'WEIGHTS_TABLE'],
    ['rank 0', withByte(good, TABLE + 65, 0), 'WEIGHTS_TABLE'],
    ['rank 5', withByte(good, TABLE + 65, 5), 'WEIGHTS_TABLE'],
    ['a non-zero byte after the last tensor', (() => { const b = new Uint8Array(good.length + 16); b.set(good); b[b.length - 3] = 9; return reseal(b); })(), 'WEIGHTS_TABLE'],
    ['16 zero bytes after the last tensor', (() => { const b = new Uint8Array(good.length + 16); b.set(good); return reseal(b); })(), 'ok'],
    ['trailing bytes, size not updated', (() => { const b = new Uint8Array(good.length + 1); b.set(good); return b; })(), 'WEIGHTS_TRUNCATED'],
    ['the last byte changed, CRC stale', (() => { const b = good.slice(); b[last] ^= 1; return b; })(), 'WEIGHTS_CHECKSUM'],
  ];
  for (const [what, b, want] of cases) assert.is(code(b), want, what);
  // config padding: the config JSON of this file is not a multiple of 16 long
  const cfgBytes = dvOf(good).getUint32(16, true);
  if ((32 + cfgBytes) % 16) assert.is(code(withByte(good, 32 + cfgBytes, 0x20)), 'WEIGHTS_TABLE', 'config padding');
  // two tensors sharing data (an entry's offset copied from another)
  const b = good.slice();
  const e1 = TABLE + 96;
  dvOf(b).setUint32(e1 + 84, dvOf(b).getUint32(TABLE + 84, true), true);
  assert.ok(['WEIGHTS_TABLE', 'WEIGHTS_TENSOR'].includes(code(reseal(b, false))), 'overlap');
});

test('dtype must fit the precision: no int8 tensor in an fp32 file, int8 only for .w of rank >= 2', () => {
  const f32 = makeTensors(SMALL_CONFIGS[0][1], 1);
  const codes8 = (t: StoredTensor): StoredTensor => ({ name: t.name, dtype: 'i8', shape: t.shape, data: new Int8Array(t.data.length), scales: new Float32Array(t.shape[t.shape.length - 1]) });
  const cfg = SMALL_CONFIGS[0][1];
  const oneW = f32.map((t) => (t.name === 'enc.conv1.w' ? codes8(t) : t));
  assert.is(code(writeWeightFile(cfg, 'fp32', oneW)), 'WEIGHTS_TENSOR', 'int8 tensor in an fp32 file');
  assert.is(code(writeWeightFile(cfg, 'int8', oneW)), 'ok', 'a mixed int8 file (some .w kept in f32) is allowed');
  const bias8 = f32.map((t) => (t.name === 'enc.conv1.b' ? codes8(t) : t));
  assert.is(code(writeWeightFile(cfg, 'int8', bias8)), 'WEIGHTS_TENSOR', 'int8 bias');
  // bad scales
  const r = readWeightFile(good8);
  const withScale = (v: number) => writeWeightFile(cfg, 'int8', [...r.tensors.values()].map((t) => (t.name === 'enc.conv1.w' ? { ...t, scales: Float32Array.from(t.scales!, (s, i) => (i ? s : v)) } : t)));
  for (const v of [NaN, Infinity, -1]) assert.is(code(withScale(v)), 'WEIGHTS_TENSOR', `scale ${v}`);
  assert.is(code(withScale(0)), 'ok', 'scale 0 (an all-zero channel)');
  // misaligned scales
  const dv = dvOf(good8);
  const t8 = dv.getUint32(24, true);
  let at = -1;
  for (let i = 0; i < dv.getUint32(20, true); i++) if (good8[t8 + i * 96 + 64] === 2) at = t8 + i * 96 + 92;
  assert.is(code(withU32(good8, at, dv.getUint32(at, true) + 4)), 'WEIGHTS_TABLE', 'misaligned scales');
  assert.is(code(withU32(good8, at, 0)), 'WEIGHTS_TABLE', 'scales at offset 0');
});

test('configs that would allocate or compute absurd amounts are WEIGHTS_SIZE before any allocation', () => {
  // the example: inputSize 4096, width 4096 (C3AE): ~441 GiB of activations and weights
  const absurd: ModelConfig = { ...DEFAULT_CONFIG, inputSize: 4096, width: 4096 };
  assert.ok(modelCost(absurd).memoryBytes > 400 * 2 ** 30);
  const onlyHeader = writeWeightFile(absurd, 'fp32', [{ name: 'enc.conv1.b', dtype: 'f32', shape: [4096], data: new Float32Array(4096) }]);
  const t = performance.now();
  assert.is(code(onlyHeader), 'WEIGHTS_SIZE');
  assert.ok(performance.now() - t < 100, 'rejected from the config alone');
  // complete, well-formed files whose only fault is their cost
  const tooBigInput: ModelConfig = { ...DEFAULT_CONFIG, inputSize: 4096, width: 1 }; // tiny weights, 554 MiB of activations
  assert.ok(modelCost(tooBigInput).memoryBytes > MAX_MODEL_BYTES);
  const f1 = writeWeightFile(tooBigInput, 'fp32', makeTensors(tooBigInput));
  assert.ok(f1.length < 64 * 1024, 'a small file');
  assert.is(code(f1), 'WEIGHTS_SIZE', 'input 4096 width 1: memory');
  const dear: ModelConfig = { ...C3AE64, daa: 'template_channel', numTemplates: 4096, featDim: 4096 }; // 78 G multiply-adds per estimate
  assert.ok(modelCost(dear).macs > MAX_MODEL_MACS && modelCost(dear).memoryBytes < MAX_MODEL_BYTES);
  assert.is(code(writeWeightFile(dear, 'fp32', makeTensors(dear))), 'WEIGHTS_SIZE', 'compute');
  // the shipped architectures are far inside both limits (ResNet18: ~91 MiB with its Winograd weights)
  for (const c of [DEFAULT_CONFIG, C3AE64, { ...DEFAULT_CONFIG, encoder: 'resnet18' as const, inputSize: 128, width: 64 }]) {
    const k = modelCost(c);
    assert.ok(k.memoryBytes < MAX_MODEL_BYTES / 4 && k.macs < MAX_MODEL_MACS / 4, JSON.stringify(c));
  }
});

test('modelCost tracks what the runtime really places (within 25% + 64 KiB), fp32 and int8', async () => {
  const rows: string[] = [];
  for (const [name, cfg] of [...SMALL_CONFIGS, ['c3ae64', C3AE64] as [string, ModelConfig], ['c3ae96', DEFAULT_CONFIG] as [string, ModelConfig]])
    for (const p of ['fp32', 'int8'] as const) {
      const est = await Estimator.create({ crop: 'chip', model: weightFile(cfg, p), backend: 'simd' });
      const used = (est as unknown as { arena: { used: number } }).arena.used;
      const cost = modelCost(cfg).memoryBytes;
      assert.ok(used <= cost * 1.25 + 65536, `${name} ${p}: runtime places ${used} bytes, modelCost says ${cost}`);
      assert.ok(est.memoryBytes() <= Math.max(2 * 1048576, cost * 1.25 + 131072), `${name} ${p}: memory ${est.memoryBytes()}`);
      rows.push(`${name}/${p} ${(used / 1024).toFixed(0)}/${(cost / 1024).toFixed(0)} KiB`);
      est.dispose();
    }
  console.log(`  placed/modelCost: ${rows.join(', ')}`);
});

test('a large but legal config loads, within the documented memory', async () => {
  const big: ModelConfig = { ...DEFAULT_CONFIG, inputSize: 768, width: 4, featDim: 8 };
  const k = modelCost(big);
  const est = await Estimator.create({ crop: 'chip', model: writeWeightFile(big, 'fp32', makeTensors(big)) });
  assert.ok(Number.isFinite(est.estimate(rgba(100, 100)).age));
  assert.ok(est.memoryBytes() <= k.memoryBytes * 1.25 + 131072 + 100 * 100 * 4 + 65536);
  console.log(`  c3ae 768 px width 4: modelCost ${mib(k.memoryBytes)}, ${(k.macs / 1e6).toFixed(0)} M multiply-adds; wasm memory ${mib(est.memoryBytes())}`);
  est.dispose();
});

test('the header is checked before the checksum: a 64 MiB file with a bad layout is rejected without a pass over it', () => {
  const b = new Uint8Array(64 * 1048576);
  b.set(good.subarray(0, 32));
  dvOf(b).setUint32(8, b.length, true);
  dvOf(b).setUint32(28, 0xfffffff0, true);
  const t = performance.now();
  for (let i = 0; i < 100; i++) assert.is(code(b), 'WEIGHTS_TABLE');
  const us = ((performance.now() - t) / 100) * 1000;
  assert.ok(us < 2000, `${us} us per rejection`);
  // the same bytes with a good layout but a bad CRC: a full pass (the CRC at ~0.5-1.5 GB/s)
  dvOf(b).setUint32(28, dvOf(good).getUint32(28, true), true);
  const t2 = performance.now();
  assert.is(code(b), 'WEIGHTS_CHECKSUM');
  console.log(`  64 MiB file: bad layout rejected in ${us.toFixed(1)} us; bad checksum in ${(performance.now() - t2).toFixed(1)} ms`);
});

test('JSON header: extra keys dropped, odd meta ignored, deep nesting and bad UTF-8 rejected', () => {
  const t = makeTensors(SMALL_CONFIGS[0][1], 1);
  const cfg = { ...SMALL_CONFIGS[0][1], extra: 'x', __proto__: { polluted: true } } as unknown as ModelConfig;
  const f = readWeightFile(writeWeightFile(cfg, 'fp32', t));
  assert.equal(Object.keys(f.config).sort(), ['daa', 'encoder', 'featDim', 'inputSize', 'numTemplates', 'statsEps', 'width']);
  assert.equal(readWeightFile(writeWeightFile(SMALL_CONFIGS[0][1], 'fp32', t, [1, 2] as never)).meta, {});
  // a config JSON of 60 000 nested arrays
  const deep = good.slice();
  const enc = new TextEncoder().encode('['.repeat(60000));
  const b = new Uint8Array(align16(32 + enc.length) + (good.length - TABLE));
  b.set(good.subarray(0, 32));
  b.set(enc, 32);
  b.set(good.subarray(TABLE), align16(32 + enc.length));
  const dv = dvOf(b);
  dv.setUint32(16, enc.length, true);
  dv.setUint32(24, align16(32 + enc.length), true);
  dv.setUint32(28, dv.getUint32(28, true) - TABLE + align16(32 + enc.length), true);
  assert.is(code(reseal(b)), 'WEIGHTS_CONFIG', 'deep nesting');
  // a header that is JSON but not an object (same length: trailing blanks are legal JSON)
  const cfgLen = dvOf(good).getUint32(16, true);
  for (const json of ['[1]', 'null', '"x"', '7', '{"config":null}', '{"config":[]}']) {
    const b2 = good.slice();
    b2.fill(0x20, 32, 32 + cfgLen);
    b2.set(new TextEncoder().encode(json), 32);
    assert.is(code(reseal(b2, false)), 'WEIGHTS_CONFIG', json);
  }
  // bad UTF-8 in the JSON
  deep[33] = 0xff;
  assert.is(code(reseal(deep, false)), 'WEIGHTS_CONFIG', 'invalid UTF-8');
});
const align16 = (n: number) => Math.ceil(n / 16) * 16;

test('input objects: Buffer, ArrayBuffer, odd-offset views, shared and foreign buffers accepted; anything else rejected', async () => {
  const w = makeWeights();
  const ref = readWeightFile(w);
  const same = (input: unknown, what: string) => {
    const f = readWeightFile(input as Uint8Array);
    assert.equal(f.config, ref.config, what);
    assert.equal(Array.from(f.tensors.get('dec.conv.w')!.data), Array.from(ref.tensors.get('dec.conv.w')!.data), what);
  };
  same(Buffer.from(w), 'Buffer');
  same(w.slice().buffer, 'ArrayBuffer');
  const odd = new Uint8Array(w.length + 7);
  odd.set(w, 3);
  same(odd.subarray(3, 3 + w.length), 'view at byte offset 3');
  const shared = new Uint8Array(new SharedArrayBuffer(w.length));
  shared.set(w);
  same(shared, 'SharedArrayBuffer view (read through a private copy)');
  const foreign = runInNewContext('new Uint8Array(n)', { n: w.length }) as Uint8Array;
  foreign.set(w);
  same(foreign, 'a Uint8Array of another realm');
  // a Buffer over a larger (pool-like) ArrayBuffer at an offset: the tensors are copies, not views of it
  const pool = new ArrayBuffer(w.length + 4096);
  const pooled = Buffer.from(pool, 1000, w.length);
  pooled.set(w);
  const fromPool = readWeightFile(pooled);
  new Uint8Array(pool).fill(0);
  assert.equal(Array.from(fromPool.tensors.get('dec.conv.w')!.data), Array.from(ref.tensors.get('dec.conv.w')!.data), 'copies independent of a pooled Buffer');
  same(pooled.fill(0).set(w) ?? pooled, 'Buffer at an offset of a larger ArrayBuffer');
  const liar = w.slice();
  Object.defineProperty(liar, 'length', { value: 10 });
  same(liar, 'own length property ignored');
  const detached = w.slice().buffer;
  structuredClone(detached, { transfer: [detached] });
  for (const [what, v] of [
    ['detached ArrayBuffer', detached],
    ['string', 'weights.daaw'],
    ['DataView', new DataView(w.buffer)],
    ['Int8Array', new Int8Array(w.buffer)],
    ['Proxy', new Proxy(w, {})],
    ['null', null],
    ['plain array', Array.from(w.subarray(0, 64))],
  ] as const)
    assert.ok(['WEIGHTS_TRUNCATED'].includes(code(v)), what);
  // through the public API: the same typed errors
  assert.is(await codeOf(() => Estimator.create({ crop: 'chip', model: new DataView(w.buffer) as never })), 'OPTIONS');
  assert.is(await codeOf(() => Estimator.create({ crop: 'chip', model: detached })), 'WEIGHTS_TRUNCATED');
  assert.is(await codeOf(() => Estimator.create({ crop: 'chip', model: w, wasmModule: {} as never })), 'OPTIONS');
});

test.run();
