// Typed loader for the WebAssembly kernel library (build/daa.simd.wasm, build/daa.scalar.wasm and
// their .debug twins). ABI: docs/kernels.md. Browser- and Node-safe: no Node built-ins, no tfjs.

/** Byte offset into the shared linear memory. */
export type Ptr = number;

/**
 * Every export of the kernel modules. Pointers are byte offsets (`Ptr`), sizes are element counts,
 * scalar parameters (`eps`, `lb`) are f32. All kernels return nothing and never allocate.
 */
export interface Kernels {
  /** y = act(conv(x, w) + b + res); x HWC, w HWIO, K 1|3, stride 1|2, pad 0|1, res 0 or OHxOWxCout. */
  f32_conv2d(x: Ptr, H: number, W: number, Cin: number, w: Ptr, b: Ptr, y: Ptr, Cout: number,
    K: number, stride: number, pad: number, act: number, res: Ptr): void;
  /** f32_conv2d with w packed [ceil(Cout/8)][K][K][Cin][8] (src/quant.ts packF32Weights); identical results. */
  f32_conv2d_packed(x: Ptr, H: number, W: number, Cin: number, w: Ptr, b: Ptr, y: Ptr, Cout: number,
    K: number, stride: number, pad: number, act: number, res: Ptr): void;
  /** 2x2 / stride 2 average pool, floor mode. */
  f32_avgpool2x2(x: Ptr, H: number, W: number, C: number, y: Ptr): void;
  /** y[c] = mean_p x[p, c]. */
  f32_global_avgpool(x: Ptr, HW: number, C: number, y: Ptr): void;
  /** In place x[p, c] *= s[c]. */
  f32_scale_channels(x: Ptr, HW: number, C: number, s: Ptr): void;
  /** y[co] = act(b[co] + sum_ci x[ci] w[ci * Cout + co]). */
  f32_fc(x: Ptr, Cin: number, w: Ptr, b: Ptr, y: Ptr, Cout: number, act: number): void;
  /** Per-channel mean and sqrt(unbiased var + eps). */
  f32_channel_stats(x: Ptr, HW: number, C: number, mean: Ptr, std: Ptr, eps: number): void;
  /** y = (x - mean[c]) / std[c]. */
  f32_normalize(x: Ptr, HW: number, C: number, mean: Ptr, std: Ptr, y: Ptr): void;
  /** y = s' n + t' - e (per channel or scalar s/t). */
  f32_daa_delta(n: Ptr, e: Ptr, HW: number, C: number, s: Ptr, t: Ptr, perChannel: number, y: Ptr): void;
  /** Factorised DAA head (decoder linear layer folded into a, bconst, c): out[j] = age_j - D_j. */
  f32_daa_head(a: Ptr, bconst: Ptr, c: Ptr, HW: number, F: number, Fpos: number, lb: number,
    tpl_t: Ptr, tpl_s: Ptr, tpl_age: Ptr, T: number, out: Ptr): void;
  /** Valid 3x3 / stride 1 conv by Winograd F(2x2, 3x3): u from src/winograd.ts packWinogradWeights, ws scratch of winogradScratchFloats; Cin, Cout % 4 == 0. */
  f32_conv3x3_winograd(x: Ptr, H: number, W: number, Cin: number, u: Ptr, b: Ptr, y: Ptr, Cout: number, act: number, res: Ptr, ws: Ptr): void;
  /** Copies H x W x C into the interior of a (H + 2 pad) x (W + 2 pad) x C buffer; the border is not written. */
  f32_copy_padded(x: Ptr, H: number, W: number, C: number, pad: number, y: Ptr): void;
  /** u8 srcH x srcW x srcC -> f32 dstH x dstW x 3 in [0, 1] (note: widths before heights). */
  f32_resize_bilinear_u8(src: Ptr, srcW: number, srcH: number, srcC: number, dst: Ptr, dstW: number, dstH: number): void;
  /**
   * Quantised convolution (docs/kernels.md `qs8_conv2d`): valid conv over an Hi x Wi region of u7
   * codes (row pitch xW pixels, Cs bytes per pixel, Cs % 4 == 0), weights packed by
   * src/quant.ts packQ8Weights, exact i32 accumulation, then act(f32(acc) * ms[co] + b[co] + res)
   * to y (f32, optional) and/or requantised codes to yq (row pitch yW pixels, yCs bytes per pixel).
   */
  qs8_conv2d(xq: Ptr, Hi: number, Wi: number, xW: number, Cs: number, wq: Ptr, Cout: number, K: number, stride: number,
    ms: Ptr, b: Ptr, act: number, res: Ptr, y: Ptr, yq: Ptr, yW: number, yCs: number, yInv: number, yOff: number): void;
  /**
   * qs8_conv2d with K = 3, stride 1 by exact integer Winograd F(2x2, 3x3) (docs/kernels.md
   * `qs8_conv3x3_winograd`): the same arguments except K and stride, weights uq from src/quant.ts
   * packQ8WinogradWeights (i16), scratch ws of q8WinogradScratchBytes(Cs, Cout) bytes; Cs <= 3696.
   * Outputs bit-identical to qs8_conv2d.
   */
  qs8_conv3x3_winograd(xq: Ptr, Hi: number, Wi: number, xW: number, Cs: number, uq: Ptr, Cout: number,
    ms: Ptr, b: Ptr, act: number, res: Ptr, y: Ptr, yq: Ptr, yW: number, yCs: number, yInv: number, yOff: number, ws: Ptr): void;
  /** f32 H x W x C -> u7 codes nearest((x - off) * inv) clamped to 0..127, at yq (pitch yW pixels, yCs bytes per pixel). */
  qs8_quantize(x: Ptr, H: number, W: number, C: number, yq: Ptr, yW: number, yCs: number, inv: number, off: number): void;
  /** Face detector stem: 5x5 / stride 2 conv of an H x W x 3 image, TF "SAME" padding, HWIO w, fused bias + act. */
  f32_conv5x5s2_c3(x: Ptr, H: number, W: number, w: Ptr, b: Ptr, y: Ptr, Cout: number, act: number): void;
  /** Depthwise 3x3 conv, stride 1|2, TF "SAME" padding, w [3][3][C], fused bias + act. */
  f32_dwconv3x3(x: Ptr, H: number, W: number, C: number, w: Ptr, b: Ptr, y: Ptr, stride: number, act: number): void;
  /** y = x (pool 1) or its 2x2 / 2 max pool (pool 2), channels zero-padded Cin -> Cout. */
  f32_pad_channels(x: Ptr, H: number, W: number, Cin: number, y: Ptr, Cout: number, pool: number): void;
  /** Affine warp of a u8 image to f32 RGB: dst = mean of ss x ss bilinear sub-samples * scale + bias; constant border. */
  f32_warp_affine_u8(src: Ptr, srcW: number, srcH: number, srcC: number, dst: Ptr, dstW: number, dstH: number,
    m0: number, m1: number, m2: number, m3: number, m4: number, m5: number, ss: number, scale: number, bias: number, border: number): void;
  /** First byte the module does not use for static data; place buffers at or above it. */
  heap_base(): number;
}

const KERNEL_NAMES = [
  "f32_conv2d", "f32_conv2d_packed", "f32_avgpool2x2", "f32_global_avgpool", "f32_scale_channels", "f32_fc",
  "f32_channel_stats", "f32_normalize", "f32_daa_delta", "f32_daa_head", "f32_copy_padded", "f32_conv3x3_winograd", "f32_resize_bilinear_u8",
  "qs8_conv2d", "qs8_conv3x3_winograd", "qs8_quantize", "heap_base",
  "f32_conv5x5s2_c3", "f32_dwconv3x3", "f32_pad_channels", "f32_warp_affine_u8",
] as const satisfies readonly (keyof Kernels)[];

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
