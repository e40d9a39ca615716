// Test harness: loads the kernel builds from build/ and places buffers in the imported memory.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { instantiateKernels, type Kernels } from "../../src/kernels.ts";

export type Build = "simd" | "scalar" | "simd.debug" | "scalar.debug" | "relaxed" | "relaxed.debug";
export const RELEASE_BUILDS: Build[] = ["simd", "scalar"];
/** Correctness sweeps run on the debug builds so the kernels' debug assertions execute. */
export const DEBUG_BUILDS: Build[] = ["simd.debug", "scalar.debug"];

export function wasmPath(build: Build): string {
  return fileURLToPath(new URL(`../../build/daa.${build}.wasm`, import.meta.url));
}

export function wasmBytes(build: Build): Uint8Array<ArrayBuffer> {
  try {
    return new Uint8Array(readFileSync(wasmPath(build)));
  } catch (e) {
    throw new Error(`cannot read ${wasmPath(build)}: run \`node scripts/build-wasm.mjs\` first (${(e as Error).message})`);
  }
}

const GUARD = 32; // bytes of canary after every allocation
const CANARY = 0xa5;

/**
 * A memory + instantiated kernels + a bump allocator. Every allocation is 16-byte aligned (plus an
 * optional extra misalignment), followed by a 32-byte canary guard; `checkGuards()` verifies that no
 * kernel wrote outside its buffers.
 */
export class Harness {
  readonly k: Kernels;
  readonly memory: WebAssembly.Memory;
  readonly build: Build;
  private readonly base: number;
  private top: number;
  private guards: number[] = [];

  private constructor(build: Build, k: Kernels, memory: WebAssembly.Memory) {
    this.build = build;
    this.k = k;
    this.memory = memory;
    this.base = (k.heap_base() + 15) & ~15;
    this.top = this.base;
  }

  static async create(build: Build, pages = 64): Promise<Harness> {
    const memory = new WebAssembly.Memory({ initial: pages });
    const k = await instantiateKernels(wasmBytes(build), memory);
    return new Harness(build, k, memory);
  }

  /** Frees everything (bump allocator reset). */
  reset(): void {
    this.top = this.base;
    this.guards = [];
  }

  /** Reserves `bytes` at a 16-byte aligned offset (+ `misalign` bytes) and fills it with `fillByte`. */
  alloc(bytes: number, misalign = 0, fillByte = 0xff): number {
    const ptr = ((this.top + 15) & ~15) + misalign;
    const end = ptr + bytes + GUARD;
    if (end > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((end - this.memory.buffer.byteLength) / 65536) + 16);
    }
    const u8 = new Uint8Array(this.memory.buffer);
    u8.fill(fillByte, ptr, ptr + bytes); // 0xffffffff = a NaN: unwritten f32 outputs show up
    u8.fill(CANARY, ptr + bytes, ptr + bytes + GUARD);
    this.guards.push(ptr + bytes);
    this.top = end;
    return ptr;
  }

  /** Copies `data` into a fresh buffer and returns its byte offset. */
  f32(data: ArrayLike<number>, misalign = 0): number {
    const ptr = this.alloc(data.length * 4, misalign);
    new Float32Array(this.memory.buffer, ptr, data.length).set(data);
    return ptr;
  }

  /** Uninitialised (NaN-filled) f32 output buffer of n elements. */
  f32out(n: number, misalign = 0): number {
    return this.alloc(n * 4, misalign);
  }

  u8(data: ArrayLike<number>, misalign = 0): number {
    const ptr = this.alloc(data.length, misalign);
    new Uint8Array(this.memory.buffer, ptr, data.length).set(data);
    return ptr;
  }

  /** Copy of n f32 at ptr. */
  read(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n).slice();
  }

  /** Overwrites n f32 at ptr. */
  write(ptr: number, data: ArrayLike<number>): void {
    new Float32Array(this.memory.buffer, ptr, data.length).set(data);
  }

  /** Throws if any canary guard was overwritten. */
  checkGuards(ctx = ""): void {
    const u8 = new Uint8Array(this.memory.buffer);
    for (const g of this.guards) {
      for (let i = 0; i < GUARD; i++) {
        if (u8[g + i] !== CANARY) throw new Error(`${this.build}: kernel wrote past a buffer end at byte ${g + i} (guard +${i}) ${ctx}`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Minimal wasm binary reader: sections, globals and an opcode-level walk of the code section.

export interface Section { id: number; start: number; end: number }

class Reader {
  p: number;
  constructor(readonly b: Uint8Array, p = 0) { this.p = p; }
  byte(): number { if (this.p >= this.b.length) throw new Error("wasm: unexpected end"); return this.b[this.p++]; }
  u32(): number { let r = 0, s = 0, x: number; do { x = this.byte(); r += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80); return r; }
  sleb(): void { let x: number; do { x = this.byte(); } while (x & 0x80); }
  skip(n: number): void { this.p += n; }
}

export function sections(bytes: Uint8Array): Section[] {
  const m = [0x00, 0x61, 0x73, 0x6d];
  if (!m.every((v, i) => bytes[i] === v)) throw new Error("not a wasm binary");
  const r = new Reader(bytes, 8);
  const out: Section[] = [];
  while (r.p < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    out.push({ id, start: r.p, end: r.p + size });
    r.skip(size);
  }
  return out;
}

/** Globals as { type, mutable }. Init expressions are walked with the opcode reader. */
export function globals(bytes: Uint8Array): { type: number; mutable: boolean }[] {
  const s = sections(bytes).find((x) => x.id === 6);
  if (!s) return [];
  const r = new Reader(bytes, s.start);
  const n = r.u32();
  const out = [];
  for (let i = 0; i < n; i++) {
    const type = r.byte();
    const mutable = r.byte() === 1;
    walkExpr(r, () => {});
    out.push({ type, mutable });
  }
  return out;
}

function blockType(r: Reader): void {
  const t = r.b[r.p];
  if (t === 0x40 || (t >= 0x6f && t <= 0x7f)) r.p++;
  else r.sleb();
}

function memarg(r: Reader): void { r.u32(); r.u32(); }

/** Walks one expression up to its final `end`, calling onOp(prefix, opcode) for each instruction. */
function walkExpr(r: Reader, onOp: (prefix: number, op: number) => void): void {
  let depth = 1;
  while (depth > 0) {
    const op = r.byte();
    switch (op) {
      case 0x02: case 0x03: case 0x04: blockType(r); depth++; onOp(0, op); continue;
      case 0x0b: depth--; onOp(0, op); continue;
      case 0x0c: case 0x0d: case 0x10: case 0x20: case 0x21: case 0x22: case 0x23: case 0x24:
      case 0x25: case 0x26: case 0xd2: r.u32(); break;
      case 0x0e: { const n = r.u32(); for (let i = 0; i <= n; i++) r.u32(); break; }
      case 0x11: r.u32(); r.u32(); break;
      case 0x1c: { const n = r.u32(); r.skip(n); break; }
      case 0x3f: case 0x40: r.byte(); break;
      case 0x41: case 0x42: r.sleb(); break;
      case 0x43: r.skip(4); break;
      case 0x44: r.skip(8); break;
      case 0xd0: r.byte(); break;
      case 0xfc: {
        const sub = r.u32();
        if (sub === 8) { r.u32(); r.byte(); }
        else if (sub === 9 || sub === 13 || sub >= 15) r.u32();
        else if (sub === 10) { r.byte(); r.byte(); }
        else if (sub === 11) r.byte();
        else if (sub === 12 || sub === 14) { r.u32(); r.u32(); }
        onOp(0xfc, sub);
        continue;
      }
      case 0xfd: {
        const sub = r.u32();
        if (sub <= 11 || sub === 92 || sub === 93) memarg(r);
        else if (sub === 12 || sub === 13) r.skip(16);
        else if (sub >= 21 && sub <= 34) r.byte();
        else if (sub >= 84 && sub <= 91) { memarg(r); r.byte(); }
        onOp(0xfd, sub);
        continue;
      }
      default:
        if (op >= 0x28 && op <= 0x3e) memarg(r);
        else if (!(op <= 0x01 || op === 0x05 || op === 0x0f || op === 0x1a || op === 0x1b || (op >= 0x45 && op <= 0xc4) || op === 0xd1)) {
          throw new Error(`wasm: unknown opcode 0x${op.toString(16)} at ${r.p - 1}`);
        }
    }
    onOp(0, op);
  }
}

/** Counts instructions in the code section by prefix: { simd: 0xFD-prefixed ops, total }. */
export function opcodeStats(bytes: Uint8Array): { simd: number; relaxed: number; misc: number; total: number } {
  const s = sections(bytes).find((x) => x.id === 10);
  const st = { simd: 0, relaxed: 0, misc: 0, total: 0 };
  if (!s) return st;
  const r = new Reader(bytes, s.start);
  const nFuncs = r.u32();
  for (let f = 0; f < nFuncs; f++) {
    const size = r.u32();
    const end = r.p + size;
    const nLocals = r.u32();
    for (let i = 0; i < nLocals; i++) { r.u32(); r.byte(); }
    walkExpr(r, (prefix, op) => {
      st.total++;
      if (prefix === 0xfd) {
        st.simd++;
        if (op >= 0x100 && op <= 0x113) st.relaxed++; // relaxed-SIMD opcodes
      } else if (prefix === 0xfc) st.misc++;
    });
    if (r.p !== end) throw new Error(`wasm: function ${f} body parse ended at ${r.p}, expected ${end}`);
  }
  return st;
}
