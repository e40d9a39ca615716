/**
 * Seeded mutations of weight files for the fuzz tests: bit flips, byte sets, u32 field overwrites at
 * header and table offsets (with values chosen to wrap, overflow and straddle limits), splices within
 * and across files, insertions and deletions, truncations (biased to section boundaries), extensions,
 * table-entry copies and swaps, and JSON-level config edits written back through the real writer.
 */
import type { ModelConfig } from '../../src/arch.ts';
import { readWeightFile, type Precision, type StoredTensor } from '../../src/format.ts';
import { writeWeightFile } from '../../train/format-writer.ts';
import { mulberry32 } from './determinism-fixture.ts';

export interface Rand {
  (): number;
  int(lo: number, hi: number): number;
  pick<T>(a: readonly T[]): T;
}

export function rand(seed: number): Rand {
  const r = mulberry32(seed) as Rand;
  r.int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  r.pick = (a) => a[Math.floor(r() * a.length)];
  return r;
}

export interface Corpus {
  name: string;
  bytes: Uint8Array;
  /** what the reader made of the original (for config-level mutations) */
  config: ModelConfig;
  precision: Precision;
  tensors: StoredTensor[];
  tableOffset: number;
  dataOffset: number;
  count: number;
}

export function corpusEntry(name: string, bytes: Uint8Array): Corpus {
  const f = readWeightFile(bytes);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    name,
    bytes,
    config: f.config,
    precision: f.precision,
    tensors: [...f.tensors.values()],
    tableOffset: dv.getUint32(24, true),
    dataOffset: dv.getUint32(28, true),
    count: dv.getUint32(20, true),
  };
}

const HEADER_FIELDS = [4, 8, 12, 16, 20, 24, 28];
const ENTRY_FIELDS = [64, 68, 72, 76, 80, 84, 88, 92];
const SPECIAL_BYTES = [0, 1, 0x2e, 0x30, 0x41, 0x5f, 0x7a, 0x7f, 0x80, 0xc0, 0xff];

function interestingU32(r: Rand, orig: number, len: number): number {
  const v = r.pick([
    0, 1, 2, 3, 4, 15, 16, 17, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff,
    len, len - 16, len + 16, len - 1, orig + 1, orig - 1, orig + 16, orig - 16, orig * 2, orig >>> 1, 0x100000000 - orig,
    0x100000000 - 16, orig ^ (1 << r.int(0, 31)), 1 << 24, (1 << 24) + 1, 1 << 26, (1 << 26) + 1, 4096, 4097, NaN,
  ]);
  return Number.isNaN(v) ? Math.floor(r() * 0x100000000) : v >>> 0;
}

/** An offset biased towards the header, the config and the table (where the structure lives). */
function structuralOffset(r: Rand, c: Corpus, len: number): number {
  const u = r();
  if (u < 0.15) return r.int(0, 31);
  if (u < 0.5) return r.int(0, Math.min(len, c.dataOffset) - 1);
  return r.int(0, len - 1);
}

const JSON_VALUES: unknown[] = [
  0, -1, 1.5, 1e9, 4096, 4095, 2048, 1024, 255, 256, 1e308, -0, 2 ** 53, '64', null, true, [], {}, 'c3ae', 'resnet18', 'none',
  'template_channel', 1e-30, 0.999999, 1,
];
const CONFIG_KEYS = ['encoder', 'inputSize', 'width', 'daa', 'featDim', 'numTemplates', 'statsEps'];

/**
 * One mutant of `c` (a fresh array). `sealed` mutations may go through the writer (JSON-level config
 * edits, which re-seal by construction); raw byte mutations are re-sealed by the caller when wanted.
 */
export function mutate(r: Rand, c: Corpus, others: Corpus[]): { bytes: Uint8Array; op: string } {
  const src = c.bytes;
  const len = src.length;
  const op = r.pick(['flip', 'flip', 'byte', 'byte', 'u32', 'u32', 'u32', 'splice', 'insdel', 'truncate', 'truncate', 'extend', 'entry', 'config', 'config']);
  switch (op) {
    case 'flip': {
      const b = src.slice();
      for (let n = r.int(1, 4); n > 0; n--) b[structuralOffset(r, c, len)] ^= 1 << r.int(0, 7);
      return { bytes: b, op };
    }
    case 'byte': {
      const b = src.slice();
      for (let n = r.int(1, 4); n > 0; n--) b[structuralOffset(r, c, len)] = r() < 0.5 ? r.pick(SPECIAL_BYTES) : r.int(0, 255);
      return { bytes: b, op };
    }
    case 'u32': {
      const b = src.slice();
      const dv = new DataView(b.buffer);
      let at: number;
      if (r() < 0.3) at = r.pick(HEADER_FIELDS);
      else if (r() < 0.9) at = c.tableOffset + 96 * r.int(0, c.count - 1) + r.pick(ENTRY_FIELDS);
      else at = r.int(0, len - 4);
      dv.setUint32(at, interestingU32(r, dv.getUint32(at, true), len), true);
      return { bytes: b, op: `u32@${at < 32 ? at : at < c.dataOffset ? `t+${(at - c.tableOffset) % 96}` : 'data'}` };
    }
    case 'splice': {
      const from = r() < 0.3 ? r.pick(others).bytes : src;
      const n = r.int(1, Math.min(256, from.length));
      const a = r.int(0, from.length - n);
      const b = src.slice();
      const at = r.int(0, Math.max(0, len - n));
      b.set(from.subarray(a, a + Math.min(n, len - at)), at);
      return { bytes: b, op };
    }
    case 'insdel': {
      const at = structuralOffset(r, c, len);
      const n = r.int(1, 64);
      if (r() < 0.5) {
        const b = new Uint8Array(len + n);
        b.set(src.subarray(0, at));
        for (let i = 0; i < n; i++) b[at + i] = r.int(0, 255);
        b.set(src.subarray(at), at + n);
        return { bytes: b, op: 'insert' };
      }
      const b = new Uint8Array(len - Math.min(n, len - at));
      b.set(src.subarray(0, at));
      b.set(src.subarray(at + (len - b.length)), at);
      return { bytes: b, op: 'delete' };
    }
    case 'truncate': {
      const edges = [0, 1, 15, 16, 31, 32, 33, c.tableOffset, c.dataOffset, c.dataOffset + 16, len - 16, len - 4, len - 1];
      const at = r() < 0.5 ? Math.max(0, Math.min(len - 1, r.pick(edges) + r.int(-2, 2))) : r.int(0, len - 1);
      return { bytes: src.slice(0, at), op };
    }
    case 'extend': {
      const n = r.pick([1, 4, 15, 16, 17, 64, 1000]);
      const b = new Uint8Array(len + n);
      b.set(src);
      if (r() < 0.5) for (let i = len; i < b.length; i++) b[i] = r.int(0, 255);
      return { bytes: b, op };
    }
    case 'entry': {
      // copy one table entry over another (duplicates) or swap two entries (a legal reorder)
      const b = src.slice();
      const i = r.int(0, c.count - 1);
      const j = r.int(0, c.count - 1);
      const ei = c.tableOffset + 96 * i;
      const ej = c.tableOffset + 96 * j;
      const lo = r() < 0.5 ? 0 : r.pick([0, 64, 68, 84]);
      const hi = lo === 0 ? r.pick([64, 96]) : 96;
      const tmp = b.slice(ei + lo, ei + hi);
      b.copyWithin(ei + lo, ej + lo, ej + hi);
      if (r() < 0.5) b.set(tmp, ej + lo);
      return { bytes: b, op: 'entry' };
    }
    default: {
      // JSON-level: a config key set to a hostile value (or dropped, or the precision/encoder changed),
      // written back through the real writer with the original tensors, so the file is well sealed
      const cfg: Record<string, unknown> = { ...c.config };
      const key = r.pick(CONFIG_KEYS);
      const u = r();
      if (u < 0.1) delete cfg[key];
      else if (u < 0.6) cfg[key] = r.pick(JSON_VALUES);
      else if (typeof cfg[key] === 'number') cfg[key] = (cfg[key] as number) * r.pick([2, 4, 16, 64, 100, 0.5]) + r.pick([0, 1, -1]);
      else cfg[key] = r.pick(JSON_VALUES);
      let precision: Precision = c.precision;
      let tensors = c.tensors;
      if (r() < 0.1) precision = precision === 'fp32' ? 'int8' : 'fp32';
      if (r() < 0.1) tensors = tensors.slice(1);
      return { bytes: writeWeightFile(cfg as unknown as ModelConfig, precision, tensors, r() < 0.2 ? { note: 'x'.repeat(r.int(0, 70000)) } : {}), op: `config.${key}` };
    }
  }
}
