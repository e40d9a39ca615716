/**
 * A plan is data: the buffers a model needs (sizes known before anything is allocated: the memory
 * plan) and lists of steps `{ name, kernel, args }` over them. Nothing here touches wasm memory until
 * `place()`; `bind()` then turns a list of steps into the kernel calls one estimate makes.
 *
 * Buffer sizes are rounded up to the arena's 16-byte alignment (src/arena.ts), so `PlanBuilder.bytes`
 * is exactly what `place()` takes from the arena.
 */
import type { Arena } from '../arena.ts';
import { KERNEL_ARGS, type KernelName, type Kernels } from '../kernels.ts';

const ALIGN = 16;

export type BufferKind = 'input' | 'activation' | 'weights' | 'scratch' | 'output';

export interface BufferSpec {
  name: string;
  kind: BufferKind;
  /** bytes the arena reserves (rounded up to 16) */
  bytes: number;
  /** writes the buffer's initial contents (weights, constants) at placement; others start zeroed */
  fill?: (memory: ArrayBuffer, ptr: number) => void;
}

/** A kernel argument: a number as it is, a number known once the weights are read (a folded
 *  constant), or a byte offset into a planned buffer. */
export type Arg = number | (() => number) | { buf: BufferSpec; offset: number };

export interface Step {
  /** what the step computes, for tables and profiles: `<op name>` or `<op name>/<part>` */
  name: string;
  kernel: KernelName;
  args: Arg[];
  /** multiply-adds (direct-convolution equivalent for Winograd steps) */
  macs: number;
  /** shapes for printing, e.g. `64x64x3 -> 32x32x64` */
  shapes: string;
  /** an interchangeable kernel call with the same outputs (bit for bit); bind(..., 'alt') takes it */
  alt?: { kernel: KernelName; args: Arg[] };
}

/**
 * Zeroes the subnormal floats (0 < |v| < 2^-126) of `a` in place; returns the count. Wasm has no
 * flush-to-zero mode, and on x86 a multiply with a subnormal operand takes a microcode assist of
 * about a hundred cycles. Trained weights carry them (weight decay drives unused weights towards 0):
 * 6,119 of the 147,456 weights of resnet18w16-daa's enc.l4.b1.conv1 made that fp32 Winograd conv
 * 7x slower than its neighbours of the same shape. No output changes by a visible amount: each
 * zeroed product is below 2^-126 times an activation.
 */
export function flushSubnormals(a: Float32Array): number {
  const bits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  let n = 0;
  for (let i = 0; i < bits.length; i++) {
    // exponent field 0 and a non-zero mantissa: subnormal; keep the sign of zero
    if ((bits[i] & 0x7f800000) === 0 && (bits[i] & 0x007fffff) !== 0) {
      bits[i] &= 0x80000000;
      n++;
    }
  }
  return n;
}

export const ref = (buf: BufferSpec, offset = 0): Arg => ({ buf, offset });

/** Collects buffers (the memory plan) while a model family lowers its ops to steps. */
export class PlanBuilder {
  readonly buffers: BufferSpec[] = [];
  private readonly shared = new Map<string, BufferSpec>();

  buffer(name: string, bytes: number, kind: BufferKind, fill?: BufferSpec['fill']): BufferSpec {
    const b: BufferSpec = { name, kind, bytes: Math.ceil(Math.max(bytes, 1) / ALIGN) * ALIGN, fill };
    this.buffers.push(b);
    return b;
  }

  f32(name: string, n: number, kind: BufferKind = 'activation'): BufferSpec {
    return this.buffer(name, 4 * n, kind);
  }

  /** f32 constants (weights, folded tensors) computed when placed: `values()` must return n floats. */
  constF32(name: string, n: number, values: () => ArrayLike<number>): BufferSpec {
    return this.f32Weights(name, n, (dst) => dst.set(values()));
  }

  /** n f32 weights that `write` lays out in place when the plan is placed (packed layouts);
   *  subnormals are then zeroed (flushSubnormals). */
  f32Weights(name: string, n: number, write: (dst: Float32Array) => void): BufferSpec {
    return this.buffer(name, 4 * n, 'weights', (mem, p) => {
      const dst = new Float32Array(mem, p, n);
      write(dst);
      flushSubnormals(dst);
    });
  }

  /** One buffer per key, made on first request (shared scratch, a weight used by several steps). */
  once(key: string, make: () => BufferSpec): BufferSpec {
    let b = this.shared.get(key);
    if (b === undefined) this.shared.set(key, (b = make()));
    return b;
  }

  /** the memory plan: bytes of every buffer, as the arena will place them */
  get bytes(): number {
    return this.buffers.reduce((a, b) => a + b.bytes, 0);
  }
}

/** Where each planned buffer landed in one arena. */
export class Placement {
  private readonly at = new Map<BufferSpec, number>();

  /** Reserves every buffer (zeroed by the arena), then writes the initial contents. */
  constructor(readonly arena: Arena, buffers: readonly BufferSpec[]) {
    for (const b of buffers) this.at.set(b, arena.alloc(b.bytes));
    for (const b of buffers) b.fill?.(arena.memory.buffer, this.at.get(b)!);
  }

  ptr(b: BufferSpec): number {
    const p = this.at.get(b);
    if (p === undefined) throw new Error(`plan: buffer ${b.name} was not placed`);
    return p;
  }

  resolve(args: readonly Arg[]): number[] {
    return args.map((a) => (typeof a === 'number' ? a : typeof a === 'function' ? a() : this.ptr(a.buf) + a.offset));
  }
}

/** The kernel calls of a list of steps, arguments resolved once. */
export interface Program {
  steps: readonly Step[];
  calls: Array<() => void>;
  run(): void;
}

export function bind(steps: readonly Step[], k: Kernels, at: Placement, variant: 'main' | 'alt' = 'main'): Program {
  const calls = steps.map((s) => {
    const { kernel, args } = variant === 'alt' && s.alt ? s.alt : s;
    const fn = k[kernel] as (...a: number[]) => void;
    if (typeof fn !== 'function') throw new Error(`plan: step ${s.name} calls ${kernel}, which the kernel module lacks`);
    return fn.bind(undefined, ...at.resolve(args));
  });
  return {
    steps,
    calls,
    run() {
      for (let i = 0; i < calls.length; i++) calls[i]();
    },
  };
}

const fmtInt = (n: number) => n.toLocaleString('en-US');

/** A plan's steps as a text table: #, name, kernel, shapes, bytes of the weights it reads, MACs. */
export function formatSteps(title: string, steps: readonly Step[]): string {
  const rows = steps.map((s, i) => {
    const weightBytes = s.args.reduce<number>((a, x) => a + (typeof x === 'object' && x.buf.kind === 'weights' ? x.buf.bytes : 0), 0);
    return [String(i), s.name, s.kernel + (s.alt ? ` | ${s.alt.kernel}` : ''), s.shapes, fmtInt(weightBytes), fmtInt(s.macs)];
  });
  const head = ['#', 'step', 'kernel', 'shapes', 'weight bytes', 'MACs'];
  const total = steps.reduce((a, s) => a + s.macs, 0);
  rows.push(['', 'total', '', '', '', fmtInt(total)]);
  const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((v, c) => (c >= 4 ? v.padStart(w[c]) : v.padEnd(w[c]))).join('  ');
  return [title, line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

/** Buffers by kind with their bytes (the memory plan as a short table). */
export function formatMemory(buffers: readonly BufferSpec[]): string {
  const by = new Map<BufferKind, { n: number; bytes: number }>();
  for (const b of buffers) {
    const e = by.get(b.kind) ?? { n: 0, bytes: 0 };
    e.n++;
    e.bytes += b.bytes;
    by.set(b.kind, e);
  }
  const total = buffers.reduce((a, b) => a + b.bytes, 0);
  const rows = [...by].map(([k, e]) => `  ${k.padEnd(10)} ${String(e.n).padStart(4)} buffers ${fmtInt(e.bytes).padStart(14)} bytes`);
  return ['memory plan (placed once, before the first estimate):', ...rows, `  ${'total'.padEnd(10)} ${String(buffers.length).padStart(4)} buffers ${fmtInt(total).padStart(14)} bytes`].join('\n');
}

/** Argument names with their values, for debugging one step: `x=1024 H=64 ...`. */
export function describeCall(s: Step, at?: Placement): string {
  const names = KERNEL_ARGS[s.kernel];
  return s.args.map((a, i) => `${names[i] ?? i}=${typeof a === 'number' ? a : typeof a === 'function' ? '(from weights)' : at ? at.ptr(a.buf) + a.offset : `${a.buf.name}+${a.offset}`}`).join(' ');
}
