/**
 * A bump allocator over one WebAssembly.Memory, owned by one Estimator. Everything an estimator needs
 * (weights, activations, the image staging area) is placed once at load; nothing is allocated per
 * estimate except when an input image is larger than every one before it (the staging area is the
 * last allocation, so it grows in place).
 */
import { DaaError } from './errors.ts';

const PAGE = 65536;
const ALIGN = 16;

export class Arena {
  readonly memory: WebAssembly.Memory;
  private top: number;
  private readonly maxBytes: number;

  constructor(memory: WebAssembly.Memory, base: number, maxBytes: number) {
    this.memory = memory;
    this.top = Math.ceil(base / ALIGN) * ALIGN;
    this.maxBytes = maxBytes;
  }

  /** bytes in use (the high-water mark of the arena) */
  get used(): number {
    return this.top;
  }

  /** Grow the memory to hold `end` bytes; a failure is a DaaError('MEMORY') and leaves the arena as it was. */
  private ensure(end: number): void {
    if (!(end <= this.maxBytes)) throw new DaaError('MEMORY', `arena: ${end} bytes exceed the ${this.maxBytes}-byte limit of one estimator`);
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    try {
      this.memory.grow(Math.ceil((end - have) / PAGE));
    } catch (e) {
      throw new DaaError('MEMORY', `arena: could not grow the wasm memory to ${end} bytes (${(e as Error).message})`);
    }
  }

  /** `bytes` bytes, 16-byte aligned, zero-filled; returns the byte offset */
  alloc(bytes: number): number {
    const p = this.top;
    const end = p + Math.ceil(Math.max(bytes, 1) / ALIGN) * ALIGN;
    this.ensure(end);
    this.top = end;
    return p;
  }

  allocF32(n: number): number {
    return this.alloc(4 * n);
  }

  /** place f32 values and return their offset */
  putF32(values: ArrayLike<number>): number {
    const p = this.allocF32(values.length);
    this.f32(p, values.length).set(values);
    return p;
  }

  /** Make sure the region starting at `p` (the last allocation) holds `bytes` bytes. */
  growLast(p: number, bytes: number): void {
    const end = p + Math.ceil(Math.max(bytes, 1) / ALIGN) * ALIGN;
    if (end > this.top) {
      this.ensure(end);
      this.top = end;
    }
  }

  /** views are recreated on every call: memory.grow detaches the old buffer */
  f32(p: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, p, n);
  }

  u8(p: number, n: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, p, n);
  }
}
