// Tolerance-aware comparisons with informative failure messages (seed, case, index, ref, actual).

export interface Tol {
  /** absolute slack */
  abs: number;
  /** relative slack, times |reference| */
  rel: number;
}

const F32_EPS = 2 ** -23;

/**
 * Per-op tolerances against the f64 references. Elementwise ops whose single f32 rounding is
 * the only error get a few ulps; reductions scale with the reduction length n (f32 sequential
 * accumulation error grows ~ n eps |partial sums|; inputs are O(1)).
 */
export const TOL = {
  exact: { abs: 0, rel: 0 } as Tol,
  /** ReLU / copies / max: exact where the math allows. */
  relu: { abs: 0, rel: 0 } as Tol,
  /** one f32 rounding of an f64 result */
  elementwise: { abs: 1e-7, rel: 4 * F32_EPS } as Tol,
  /** 3 f32 roundings on sums of inputs of magnitude <= 4 (cancellation: abs, not rel) */
  avgpool2x2: { abs: 1e-6, rel: 4 * F32_EPS } as Tol,
  /** conv / fc: reduction of n products, plus bias/res and the activation */
  conv: (n: number): Tol => ({ abs: Math.max(1e-5, 2 * n * F32_EPS), rel: 1e-5 }),
  fc: (n: number): Tol => ({ abs: Math.max(1e-5, 2 * n * F32_EPS), rel: 1e-5 }),
  mean: (n: number): Tol => ({ abs: Math.max(1e-6, n * F32_EPS), rel: 1e-6 }),
  /** std: sqrt halves the relative error of the variance */
  std: (n: number): Tol => ({ abs: Math.max(1e-6, n * F32_EPS), rel: 1e-5 }),
  /** normalize: (x - m) / s, two roundings */
  normalize: { abs: 1e-6, rel: 8 * F32_EPS } as Tol,
  delta: { abs: 1e-6, rel: 8 * F32_EPS } as Tol,
  /**
   * head: out = age - (lb + S) with S a sum of n = HW*F hinge terms. `scale` is the reference's
   * sum of |term| and |operands| (see reference.daaHeadScale): worst-case f32 summation error
   * n eps scale, plus a few roundings on the age / lb scale.
   */
  head: (n: number, scale: number, age: number, lb: number): Tol =>
    ({ abs: 4 * F32_EPS * (Math.abs(age) + Math.abs(lb)) + n * F32_EPS * scale + 1e-7, rel: 0 }),
  /** wasm resize vs the TS reference that follows docs/kernels.md step by step: bit exact */
  resize: { abs: 0, rel: 0 } as Tol,
  /** wasm resize (f32 arithmetic) vs tfjs cpu resizeBilinear (f64 arithmetic, f32 result) / 255 */
  resizeTfjs: { abs: 2e-6, rel: 0 } as Tol,
  /** naive (delta -> conv -> GAP -> linear) head vs the factorised head, both f64 */
  headFactorisation: { abs: 1e-9, rel: 1e-9 } as Tol,
};

export interface Ctx {
  seed?: number;
  caseIndex?: number;
  name?: string;
  shape?: unknown;
  [k: string]: unknown;
}

function fmtCtx(ctx: Ctx): string {
  return Object.entries(ctx)
    .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(" ");
}

/**
 * Asserts |actual[i] - ref[i]| <= tol.abs + tol.rel * |ref[i]| for every i (and equal lengths,
 * and matching NaN-ness). Throws on the first failure with the worst context.
 */
export function expectClose(
  actual: ArrayLike<number>,
  ref: ArrayLike<number>,
  tol: Tol,
  ctx: Ctx = {},
): void {
  if (actual.length !== ref.length) {
    throw new Error(`length mismatch: actual ${actual.length} vs ref ${ref.length} [${fmtCtx(ctx)}]`);
  }
  for (let i = 0; i < ref.length; i++) {
    const a = actual[i], r = ref[i];
    if (Number.isNaN(r) || Number.isNaN(a)) {
      if (Number.isNaN(r) && Number.isNaN(a)) continue;
      throw new Error(`mismatch at index ${i}: expected ${r}, actual ${a} [${fmtCtx(ctx)}]`);
    }
    const err = Math.abs(a - r);
    const lim = tol.abs + tol.rel * Math.abs(r);
    if (!(err <= lim)) {
      throw new Error(
        `mismatch at index ${i}: expected ${r}, actual ${a}, |err| ${err.toExponential(3)} > tol ${lim.toExponential(3)} ` +
        `(abs ${tol.abs}, rel ${tol.rel}) [${fmtCtx(ctx)}]`,
      );
    }
  }
}

/** Bit-for-bit equality of two f32 arrays (NaNs compare by bits). */
export function expectBitEqual(actual: Float32Array, other: Float32Array, ctx: Ctx = {}): void {
  if (actual.length !== other.length) throw new Error(`length mismatch ${actual.length} vs ${other.length} [${fmtCtx(ctx)}]`);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const b = new Uint32Array(other.buffer, other.byteOffset, other.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      throw new Error(`bit mismatch at index ${i}: ${other[i]} (0x${b[i].toString(16)}) vs ${actual[i]} (0x${a[i].toString(16)}) [${fmtCtx(ctx)}]`);
    }
  }
}
