/**
 * Loads build/daa.train.wasm (the AssemblyScript training kernels) next to tfjs-backend-wasm.
 *
 * Shared mode (the normal case): the module is instantiated on tfjs-wasm's own WebAssembly.Memory
 * (the emscripten module's `asm.memory` export), so kernels read and write tensors in place at
 * their heap offsets (`backend.dataIdMap.get(dataId).memoryOffset`) and take scratch memory from
 * tfjs-wasm's malloc. Possible because the module has no data segment, no start function and no
 * mutable global (checked by scripts/build-train-wasm.mjs). The memory can grow during a call to
 * malloc: offsets stay valid, and JS-side views are re-read from the backend on every use.
 *
 * Copy mode (fallback, e.g. a shared/threaded tfjs build whose memory cannot be imported): the
 * module gets its own memory; each call copies its inputs in, computes, and copies outputs back.
 *
 * Pinned to @tensorflow/tfjs-backend-wasm 4.22 internals: dataIdMap, makeOutput, wasm.asm.memory,
 * wasm._malloc/_free, wasm.HEAPU8.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs';
import { getKernel as tfGetKernel, registerKernel as tfRegisterKernel, unregisterKernel as tfUnregisterKernel } from '@tensorflow/tfjs';

export const TRAIN_WASM_PATH = fileURLToPath(new URL('../../build/daa.train.wasm', import.meta.url));

export interface WasmBackend {
  dataIdMap: { get(id: unknown): { memoryOffset: number; refCount: number } };
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  incRef(dataId: unknown): void;
  disposeData(dataId: unknown, force?: boolean): boolean;
  wasm: {
    HEAPF32: Float32Array;
    HEAPU8: Uint8Array;
    asm: { memory: WebAssembly.Memory };
    _malloc(n: number): number;
    _free(p: number): void;
  };
}

export type TrainExports = {
  pad_nhwc(x: number, xp: number, B: number, H: number, W: number, C: number, pt: number, pl: number, Hp: number, Wp: number): void;
  conv2d_backprop_filter(x: number, dy: number, dw: number, roff: number, B: number, Hp: number, Wp: number, Cin: number, OH: number, OW: number, Cout: number, KH: number, KW: number, sh: number, sw: number): void;
} & Record<string, (...a: number[]) => number | void>;

/** One kernel invocation's memory: byte pointers for the module, valid until end(). */
export interface Call {
  /** pointer to a tensor's data (read-only) */
  input(t: tf.TensorInfo): number;
  /** pointer to an output tensor's data (written by the kernel) */
  output(t: tf.TensorInfo): number;
  /** uninitialised scratch bytes (16-aligned) */
  scratch(bytes: number): number;
  end(): void;
}

export interface TrainRuntime {
  mode: 'shared' | 'copy';
  exports: TrainExports;
  begin(be: WasmBackend): Call;
}

const bytesOf = (t: tf.TensorInfo) => t.shape.reduce((a, b) => a * b, 1) * 4;

let cached: TrainRuntime | null | undefined;
let cachedFor: unknown;

/** The runtime for this backend (null when build/daa.train.wasm is missing). */
export function loadTrainRuntime(be: WasmBackend, forceCopy = false): TrainRuntime | null {
  if (cached !== undefined && cachedFor === be && !forceCopy) return cached;
  if (!existsSync(TRAIN_WASM_PATH)) return null;
  const mod = new WebAssembly.Module(readFileSync(TRAIN_WASM_PATH));
  const abort = () => { throw new Error('daa.train.wasm: abort'); };
  let rt: TrainRuntime | null = null;
  if (!forceCopy) {
    try {
      const memory = be.wasm.asm.memory;
      if (!(memory instanceof WebAssembly.Memory)) throw new Error('tfjs-wasm exposes no WebAssembly.Memory');
      const inst = new WebAssembly.Instance(mod, { env: { memory, abort } });
      rt = sharedRuntime(inst.exports as unknown as TrainExports);
    } catch (e) {
      process.stderr.write(`daa.train.wasm: cannot share tfjs-wasm's memory (${(e as Error).message}); copying tensors instead\n`);
    }
  }
  if (!rt) {
    const memory = new WebAssembly.Memory({ initial: 16 });
    const inst = new WebAssembly.Instance(mod, { env: { memory, abort } });
    rt = copyRuntime(inst.exports as unknown as TrainExports, memory);
  }
  if (!forceCopy) {
    cached = rt;
    cachedFor = be;
  }
  return rt;
}

function sharedRuntime(exports: TrainExports): TrainRuntime {
  return {
    mode: 'shared',
    exports,
    begin(be) {
      const scratch: number[] = [];
      return {
        input: (t) => be.dataIdMap.get(t.dataId).memoryOffset,
        output: (t) => be.dataIdMap.get(t.dataId).memoryOffset,
        scratch(bytes) {
          const p = be.wasm._malloc(Math.max(16, bytes) + 16) >>> 0;
          scratch.push(p);
          return (p + 15) & ~15;
        },
        end() {
          for (const p of scratch) be.wasm._free(p);
        },
      };
    },
  };
}

function copyRuntime(exports: TrainExports, memory: WebAssembly.Memory): TrainRuntime {
  return {
    mode: 'copy',
    exports,
    begin(be) {
      let top = 16;
      const outs: [tf.TensorInfo, number][] = [];
      const alloc = (bytes: number) => {
        const p = (top + 15) & ~15;
        top = p + bytes;
        if (top > memory.buffer.byteLength) memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
        return p;
      };
      return {
        input(t) {
          const n = bytesOf(t);
          const p = alloc(n);
          const off = be.dataIdMap.get(t.dataId).memoryOffset;
          new Uint8Array(memory.buffer, p, n).set(be.wasm.HEAPU8.subarray(off, off + n));
          return p;
        },
        output(t) {
          const p = alloc(bytesOf(t));
          outs.push([t, p]);
          return p;
        },
        scratch: alloc,
        end() {
          for (const [t, p] of outs) {
            const n = bytesOf(t);
            const off = be.dataIdMap.get(t.dataId).memoryOffset;
            be.wasm.HEAPU8.set(new Uint8Array(memory.buffer, p, n), off);
          }
        },
      };
    },
  };
}

/** Register (or replace) a kernel for 'wasm'. */
export function setWasmKernel(kernelName: string, kernelFunc: tf.KernelFunc, setupFunc?: tf.KernelConfig['setupFunc']): void {
  if (tfGetKernel(kernelName, 'wasm')) tfUnregisterKernel(kernelName, 'wasm');
  tfRegisterKernel({ kernelName, backendName: 'wasm', kernelFunc, setupFunc });
}
