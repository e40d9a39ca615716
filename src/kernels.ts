// Typed loader for the WebAssembly kernel library (build/daa.simd.wasm, build/daa.scalar.wasm and
// their .debug twins). ABI: docs/kernels.md. Browser- and Node-safe: no Node built-ins, no tfjs.

import { KERNEL_NAMES, type Kernels } from './kernel-abi.ts';

// the ABI itself (Kernels, KERNEL_NAMES, ACT) is generated from assembly/kernels.manifest.json
export { ACT, KERNEL_ARGS, KERNEL_NAMES, type ActName, type KernelName, type Kernels, type Ptr } from './kernel-abi.ts';

/** Reads an AssemblyScript string (UTF-16LE, byte length stored at ptr - 4) for abort messages. */
function readAscString(memory: WebAssembly.Memory, ptr: number): string {
  if (!ptr) return "";
  const buf = memory.buffer;
  if (ptr < 4 || ptr > buf.byteLength) return `<string @${ptr}>`;
  const len = new DataView(buf).getUint32(ptr - 4, true);
  if (ptr + len > buf.byteLength || (len & 1)) return `<string @${ptr}>`;
  const u16 = new Uint16Array(buf, ptr, len >>> 1);
  let s = "";
  for (let i = 0; i < u16.length; i += 4096) s += String.fromCharCode(...u16.subarray(i, i + 4096));
  return s;
}

/**
 * Instantiates a kernel module against `memory` (imported as `env.memory`). Release builds import
 * nothing else; debug builds also import `env.abort`, which throws an Error carrying the assertion
 * message and source location. Throws if an expected export is missing. `wasm` may be the bytes
 * (any ArrayBuffer / view) or an already compiled module (required on workerd-like hosts).
 */
export async function instantiateKernels(
  wasm: BufferSource | ArrayBufferView<ArrayBufferLike> | WebAssembly.Module,
  memory: WebAssembly.Memory,
): Promise<Kernels> {
  const imports: WebAssembly.Imports = {
    env: {
      memory,
      abort(msg: number, file: number, line: number, column: number): never {
        throw new Error(`daa-wasm kernel abort: ${readAscString(memory, msg) || "assertion failed"}`
          + ` at ${readAscString(memory, file) || "?"}:${line}:${column}`);
      },
    },
  };
  const module = wasm instanceof WebAssembly.Module ? wasm : await WebAssembly.compile(wasm as BufferSource);
  const instance = await WebAssembly.instantiate(module, imports);
  const ex = instance.exports as Record<string, unknown>;
  for (const name of KERNEL_NAMES) {
    if (typeof ex[name] !== "function") throw new Error(`daa-wasm: kernel module lacks export ${name}`);
  }
  return ex as unknown as Kernels;
}

// (module (func (result v128) (v128.const i32x4 0 0 0 0)))  -- wasm-feature-detect's simd probe shape
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,       // type section: [] -> [v128]
  0x03, 0x02, 0x01, 0x00,                         // function section: 1 func of type 0
  0x0a, 0x16, 0x01, 0x14, 0x00,                   // code section: 1 body, 20 bytes, 0 locals
  0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // v128.const 0
  0x0b,                                           // end
]);

/** True when this engine validates WebAssembly SIMD (fixed-width v128), i.e. daa.simd.wasm can run. */
export function simdSupported(): boolean {
  try {
    return typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

// (module (func (result v128) (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.const 0) (v128.const 0) (v128.const 0))))
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,       // type section: [] -> [v128]
  0x03, 0x02, 0x01, 0x00,                         // function section: 1 func of type 0
  0x0a, 0x3d, 0x01, 0x3b, 0x00,                   // code section: 1 body, 59 bytes, 0 locals
  0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // v128.const 0
  0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // v128.const 0
  0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // v128.const 0
  0xfd, 0x93, 0x02,                               // i32x4.relaxed_dot_i8x16_i7x16_add_s (0xfd 0x113)
  0x0b,                                           // end
]);

// (module (func (export "f") (param i32 i32 i32) (result i32)
//   (i32x4.extract_lane 0 (i32x4.relaxed_dot_i8x16_i7x16_add_s
//     (i8x16.splat (local.get 0)) (i8x16.splat (local.get 1)) (i32x4.splat (local.get 2))))))
const RELAXED_KAT = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, // type: (i32 i32 i32) -> i32
  0x03, 0x02, 0x01, 0x00,                                     // function section
  0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00,                   // export "f"
  0x0a, 0x16, 0x01, 0x14, 0x00,                               // code: 1 body, 20 bytes, 0 locals
  0x20, 0x00, 0xfd, 0x0f, 0x20, 0x01, 0xfd, 0x0f, 0x20, 0x02, 0xfd, 0x11, // splats
  0xfd, 0x93, 0x02, 0xfd, 0x1b, 0x00, 0x0b,                   // relaxed dot add, extract_lane 0, end
]);

let relaxedOk: boolean | undefined;

/**
 * True when this engine validates relaxed SIMD (the i8 dot product daa.relaxed.wasm is built
 * around) AND computes i32x4.relaxed_dot_i8x16_i7x16_add_s correctly on a known answer (run once,
 * cached). Chrome >= 114, Node >= 22, Deno have relaxed SIMD on. Node 20 needs
 * --experimental-wasm-relaxed-simd, and there V8 11.3's baseline compiler (Liftoff) drops the
 * accumulator of that instruction (it returns 2 * dot instead of dot + c), so the check fails and
 * the SIMD build is used; with --no-liftoff as well the check passes and the relaxed build is exact.
 */
export function relaxedSupported(): boolean {
  if (relaxedOk !== undefined) return relaxedOk;
  try {
    relaxedOk = false;
    if (typeof WebAssembly !== "object" || !WebAssembly.validate(RELAXED_PROBE)) return false;
    const f = new WebAssembly.Instance(new WebAssembly.Module(RELAXED_KAT), {}).exports.f as (a: number, b: number, c: number) => number;
    relaxedOk = f(-100, 100, 7) === -39993 && f(-127, 127, 1000) === -63516 && f(127, 127, -5) === 64511;
  } catch {
    relaxedOk = false;
  }
  return relaxedOk;
}
