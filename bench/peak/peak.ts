/**
 * This machine's f32x4 multiply-add peak, measured in the same process as the kernels.
 *
 * A register-blocked micro-kernel, generated here (peakWat gives its text, peakBinary encodes the
 * same module byte by byte): `mx` f32x4 vectors of "A" held in registers, `ny` broadcast loads of "B" per
 * step (v128.load32_splat from a 256-byte L1-resident buffer), mx*ny accumulators, acc += a * b as
 * f32x4.mul + f32x4.add (plain SIMD has no fused multiply-add) — the shape of a GEMM/conv inner
 * loop. Several blockings are timed and the best is the peak; bench/peak/peak.wat is the 2x5 one
 * written out by hand for reading (`npx tsx bench/peak/check.ts` checks the encoder against binaryen). Where the engine validates relaxed SIMD, f32x4.relaxed_madd (FMA)
 * is measured too (reported, not used as the reference: the kernels are plain SIMD).
 */

export interface PeakVariant {
  name: string;
  mx: number;
  ny: number;
  fma: boolean;
  flopsPerIter: number;
  run(iters: number): number;
}

const STEPS = 2; // steps unrolled per loop iteration

export function peakWat(mx: number, ny: number, fma: boolean): string {
  const L: string[] = [];
  const acc = (i: number, j: number) => `$a${i}_${j}`;
  L.push('(module (memory (export "memory") 1)');
  L.push('(func (export "run") (param $iters i32) (result f32) (local $y v128) (local $p i32)');
  for (let i = 0; i < mx; i++) L.push(`(local $x${i} v128)`);
  for (let i = 0; i < mx; i++) for (let j = 0; j < ny; j++) L.push(`(local ${acc(i, j)} v128)`);
  for (let i = 0; i < mx; i++) L.push(`(local.set $x${i} (f32x4.splat (f32.const ${(0.999 + i * 0.001).toFixed(4)})))`);
  L.push('(block $done (loop $top (br_if $done (i32.eqz (local.get $iters)))');
  for (let s = 0; s < STEPS; s++)
    for (let j = 0; j < ny; j++) {
      L.push(`(local.set $y (v128.load32_splat offset=${4 * (s * ny + j)} (local.get $p)))`);
      for (let i = 0; i < mx; i++) {
        const a = acc(i, j);
        L.push(
          fma
            ? `(local.set ${a} (f32x4.relaxed_madd (local.get $x${i}) (local.get $y) (local.get ${a})))`
            : `(local.set ${a} (f32x4.add (local.get ${a}) (f32x4.mul (local.get $x${i}) (local.get $y))))`,
        );
      }
    }
  L.push('(local.set $p (i32.and (i32.add (local.get $p) (i32.const 64)) (i32.const 192)))');
  L.push('(local.set $iters (i32.sub (local.get $iters) (i32.const 1))) (br $top)))');
  // fold every accumulator into the result so nothing is dead
  let sum = `(local.get ${acc(0, 0)})`;
  for (let i = 0; i < mx; i++) for (let j = 0; j < ny; j++) if (i || j) sum = `(f32x4.add ${sum} (local.get ${acc(i, j)}))`;
  L.push(`(f32x4.extract_lane 0 ${sum})))`);
  return L.join('\n');
}

const uleb = (n: number): number[] => {
  const o: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    o.push(b);
  } while (n);
  return o;
};
const sleb = (n: number): number[] => {
  const o: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      o.push(b);
      return o;
    }
    o.push(b | 0x80);
  }
};
const f32c = (v: number) => [0x43, ...new Uint8Array(Float32Array.of(v).buffer)];
const simd = (op: number) => [0xfd, ...uleb(op)];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];

/**
 * The same module as peakWat(mx, ny, fma), encoded directly to binary (binaryen is not used at run
 * time: its own wasm takes a minute to compile when the bench runs V8 without Liftoff).
 */
export function peakBinary(mx: number, ny: number, fma: boolean): Uint8Array<ArrayBuffer> {
  // locals: 0 = $iters (param), 1 = $p (i32), 2 = $y, 3.. = $x_i, then the accumulators
  const P = 1;
  const Y = 2;
  const X = (i: number) => 3 + i;
  const A = (i: number, j: number) => 3 + mx + i * ny + j;
  const get = (l: number) => [0x20, ...uleb(l)];
  const set = (l: number) => [0x21, ...uleb(l)];
  const b: number[] = [];
  for (let i = 0; i < mx; i++) b.push(...f32c(0.999 + i * 0.001), ...simd(19), ...set(X(i))); // f32x4.splat
  b.push(0x02, 0x40, 0x03, 0x40); // block, loop
  b.push(...get(0), 0x45, 0x0d, 1); // br_if $done (i32.eqz iters)
  for (let s = 0; s < STEPS; s++)
    for (let j = 0; j < ny; j++) {
      b.push(...get(P), ...simd(9), 2, ...uleb(4 * (s * ny + j)), ...set(Y)); // v128.load32_splat align=4
      for (let i = 0; i < mx; i++) {
        if (fma) b.push(...get(X(i)), ...get(Y), ...get(A(i, j)), ...simd(0x105), ...set(A(i, j))); // f32x4.relaxed_madd
        else b.push(...get(A(i, j)), ...get(X(i)), ...get(Y), ...simd(230), ...simd(228), ...set(A(i, j))); // mul, add
      }
    }
  b.push(...get(P), 0x41, ...sleb(64), 0x6a, 0x41, ...sleb(192), 0x71, ...set(P));
  b.push(...get(0), 0x41, 1, 0x6b, ...set(0));
  b.push(0x0c, 0, 0x0b, 0x0b); // br $top, end loop, end block
  b.push(...get(A(0, 0)));
  for (let i = 0; i < mx; i++) for (let j = 0; j < ny; j++) if (i || j) b.push(...get(A(i, j)), ...simd(228));
  b.push(...simd(31), 0, 0x0b); // f32x4.extract_lane 0, end
  const locals = vec([[...uleb(1), 0x7f], [...uleb(1 + mx + mx * ny), 0x7b]]);
  const body = [...locals, ...b];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 1, 0x7f, 1, 0x7d]])), // type: (i32) -> f32
    ...section(3, vec([[0]])), // function 0 has type 0
    ...section(5, vec([[0x00, 1]])), // memory: min 1 page
    ...section(7, vec([[...uleb(3), 0x72, 0x75, 0x6e, 0x00, 0], [...uleb(6), 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0]])), // exports: "run" = func 0, "memory" = memory 0
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ];
  return new Uint8Array(bytes);
}

export function peakVariants(): PeakVariant[] {
  const out: PeakVariant[] = [];
  const shapes: Array<[number, number]> = [
    [2, 5],
    [3, 4],
    [2, 6],
    [4, 3],
  ];
  for (const fma of [false, true]) {
    for (const [mx, ny] of fma ? shapes.slice(0, 2) : shapes) {
      const bin = peakBinary(mx, ny, fma);
      if (!WebAssembly.validate(bin)) continue; // relaxed SIMD not enabled in this engine
      const inst = new WebAssembly.Instance(new WebAssembly.Module(bin), {});
      const f = inst.exports.run as (n: number) => number;
      out.push({ name: `${fma ? 'relaxed_madd' : 'mul+add'} ${mx}x${ny}`, mx, ny, fma, flopsPerIter: STEPS * mx * ny * 8, run: f });
    }
  }
  return out;
}
