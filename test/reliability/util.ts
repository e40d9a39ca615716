/** Shared helpers of the reliability tests: seeded weight files (no tfjs), budgets, error codes. */
import * as assert from 'uvu/assert';
import { DEFAULT_CONFIG, type ModelConfig } from '../../src/arch.ts';
import { DaaError } from '../../src/errors.ts';
import { crc32 } from '../../src/crc32.ts';
import type { Precision, StoredTensor } from '../../src/format.ts';
import { writeWeightFile } from '../../train/format-writer.ts';
import { quantizePerChannel } from '../../train/quantize.ts';
import { makeTensors } from './determinism-fixture.ts';

/** DAA_LONG=1 runs the long mode (full counts); the default is the CI budget. */
export const LONG = process.env.DAA_LONG === '1';

/** The C3AE-DAA 64 px config of the long runs and the determinism fixture. */
export const C3AE64: ModelConfig = { ...DEFAULT_CONFIG, inputSize: 64 };

/** Tensors of `makeTensors`, int8-quantised as train/export.ts does (every `.w` of rank >= 2). */
export function quantized(tensors: StoredTensor[]): StoredTensor[] {
  return tensors.map((t) => {
    if (!t.name.endsWith('.w') || t.shape.length < 2) return t;
    const { codes, scales } = quantizePerChannel(t.data as Float32Array, t.shape[t.shape.length - 1]);
    return { name: t.name, dtype: 'i8', shape: t.shape, data: codes, scales };
  });
}

/** A real weight file (the writer of train/format-writer.ts) with seeded weights. */
export function weightFile(cfg: ModelConfig, precision: Precision = 'fp32', seed = 1): Uint8Array {
  const t = makeTensors(cfg, seed);
  return writeWeightFile(cfg, precision, precision === 'int8' ? quantized(t) : t, { seed });
}

/** Small configs of every encoder and DAA variant: the fuzz corpus (files of 2..30 KB). */
export const SMALL_CONFIGS: Array<[string, ModelConfig]> = [
  ['c3ae-binary', { ...DEFAULT_CONFIG, inputSize: 40, width: 4, featDim: 4 }],
  ['c3ae-template_channel', { ...DEFAULT_CONFIG, inputSize: 40, width: 4, featDim: 4, daa: 'template_channel', numTemplates: 7 }],
  ['c3ae-template_all', { ...DEFAULT_CONFIG, inputSize: 40, width: 2, featDim: 3, daa: 'template_all', numTemplates: 5 }],
  ['c3ae-none', { ...DEFAULT_CONFIG, inputSize: 40, width: 2, featDim: 2, daa: 'none' }],
  ['resnet18-binary', { ...DEFAULT_CONFIG, encoder: 'resnet18', inputSize: 16, width: 2, featDim: 4 }],
];

/** The facemesh encoder at its smallest input (4 halvings: E 2x2x128). Its widths are fixed, so its
 *  files are ~470 KB: not in the fuzz corpus, whose reads must stay ~1 ms. */
export const FACEMESH_SMALL: [string, ModelConfig] = ['facemesh-binary', { ...DEFAULT_CONFIG, encoder: 'facemesh', inputSize: 32, width: 16, featDim: 4 }];

/** Re-seal a file after an edit: the declared size (optionally) and the CRC-32 (when it has a header). */
export function reseal(b: Uint8Array, fixSize = true): Uint8Array {
  if (b.length >= 16) {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (fixSize) dv.setUint32(8, b.length, true);
    dv.setUint32(12, crc32(b, 16, b.length), true);
  }
  return b;
}

/** The DaaError code of what `f` throws ('ok' when nothing); anything not a DaaError fails the test. */
export async function codeOf(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    if (!(e instanceof DaaError)) assert.unreachable(`not a DaaError: ${(e as Error)?.stack ?? String(e)}`);
    return (e as DaaError).code;
  }
  return 'ok';
}

/** A seeded RGBA image. */
export function rgba(w: number, h: number, seed = 1): { data: Uint8ClampedArray; width: number; height: number } {
  let s = seed >>> 0;
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s >>> 24;
  }
  return { data, width: w, height: h };
}

export const mib = (n: number) => `${(n / 1048576).toFixed(2)} MiB`;
