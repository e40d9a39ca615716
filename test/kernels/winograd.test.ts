// f32_conv3x3_winograd: valid 3x3 / stride 1 convolution by Winograd F(2x2, 3x3) (src/winograd.ts
// packs the weights), against the f64 direct-convolution reference of reference.ts.
//
// Winograd reorders the arithmetic, so the kernel is not bit-identical to f32_conv2d. Tolerance,
// per output element, with s = |b| + |res| + sum over the 9 * Cin taps of |x| |w| (in f64):
//   |got - want| <= L(act) * (2e-6 s + 1e-6) + 4 eps |want|
// The input transform B^T d B sums up to 4 inputs and the output transform A^T M A sums 9 products
// of the Cin reduction, so F(2x2, 3x3)'s rounding error stays within a small multiple of
// eps * s (2e-6 is about 34 eps); it is applied before the activation and carried through it with
// the activation's Lipschitz constant L (1 for none / relu, 1.5 for hard-swish, 0.25 -> 1 for
// sigmoid), plus a few ulps for the f32 activation itself. The test "f32 Winograd model" below
// checks that a plain f32 emulation of F(2x2, 3x3) on packWinogradWeights meets this bound.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Harness, DEBUG_BUILDS, RELEASE_BUILDS, type Build } from "../util/wasm.ts";
import { rng } from "../util/rng.ts";
import { expectClose, TOL } from "../util/expect.ts";
import * as ref from "./reference.ts";
import { packWinogradWeights, winogradScratchFloats, WINO_POS } from "../../src/winograd.ts";
import { relaxedSupported } from "../../src/kernels.ts";

const F32_EPS = 2 ** -23;
const f = Math.fround;

// Spatial sizes around the 2x2 output tile and the group of 4 tiles (8 output columns):
// outputs 0 (H or W < 3), 1..2 (one tile), 3..4, 8..11 (a group of 8 columns -1 / 0 / +1 / +2), 45.
const SP = [1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 47];
const CI = [4, 8, 12, 32, 36];
const CO = [4, 8, 12, 16, 28, 32, 68]; // 4, 12, 28, 68: a Cout % 8 == 4 tail block

interface WinoCase {
  H: number; W: number; Cin: number; Cout: number;
  act: number; res: 0 | 1 | 2; // 0 none, 1 separate buffer, 2 res === y
}

function cases(): WinoCase[] {
  const out: WinoCase[] = [];
  // 48 cases: round k pairs H = SP[j] with W = SP[(j + 1 + 5k) % 12] (shifts 1, 6, 11, 4), so every
  // value of H and of W appears 4 times, each time with a different partner; (Cin, Cout) runs
  // through all 35 pairs; act x res through all 12 combinations every 12 cases.
  for (let i = 0; i < 48; i++) {
    const j = i % 12, k = Math.floor(i / 12);
    out.push({
      H: SP[j], W: SP[(j + 1 + 5 * k) % 12], Cin: CI[i % 5], Cout: CO[i % 7],
      act: i % 4, res: (Math.floor(i / 4) % 3) as 0 | 1 | 2,
    });
  }
  return out;
}

const ALL = cases();

// The relaxed-SIMD build where this engine runs it, as in conv2d.test.ts; with
// DAA_TEST_RELAXED_ONLY=1 (qs8.test.ts's child process) only that build.
const RELAXED_ONLY = process.env.DAA_TEST_RELAXED_ONLY === "1";
const DEBUG: Build[] = RELAXED_ONLY ? ["relaxed.debug"] : [...DEBUG_BUILDS, ...(relaxedSupported() ? ["relaxed.debug" as Build] : [])];
const RELEASE: Build[] = RELAXED_ONLY ? ["relaxed"] : [...RELEASE_BUILDS, ...(relaxedSupported() ? ["relaxed" as Build] : [])];

/** Lipschitz constant of the activation (the pre-activation error bound is carried through it). */
function lipschitz(act: number): number {
  return act === 2 ? 1.5 : 1;
}

/** Per-output s = |b| + |res| + sum_taps |x| |w| (f64), the scale of the tolerance. */
function errScale(x: ArrayLike<number>, H: number, W: number, Cin: number, w: ArrayLike<number>, b: ArrayLike<number>,
  Cout: number, res: ArrayLike<number> | null): Float64Array {
  const ax = Float64Array.from(x, Math.abs), aw = Float64Array.from(w, Math.abs), ab = Float64Array.from(b, Math.abs);
  const s = ref.conv2d(ax, H, W, Cin, aw, ab, Cout, 3, 1, 0, 0, null).y;
  if (res) for (let i = 0; i < s.length; i++) s[i] += Math.abs(res[i]);
  return s;
}

interface CheckCtx { build: string; seed: number; caseIndex: number; shape: unknown; what?: string }

function checkWino(got: ArrayLike<number>, want: ArrayLike<number>, s: ArrayLike<number>, act: number,
  OW: number, Cout: number, ctx: CheckCtx): void {
  if (got.length !== want.length) throw new Error(`length mismatch: actual ${got.length} vs ref ${want.length} ${JSON.stringify(ctx)}`);
  const L = lipschitz(act);
  for (let i = 0; i < want.length; i++) {
    const a = got[i], r = want[i];
    const lim = L * (2e-6 * s[i] + 1e-6) + 4 * F32_EPS * Math.abs(r);
    const err = Math.abs(a - r);
    if (!(err <= lim)) { // NaN (an unwritten output) fails here too
      const co = i % Cout, px = Math.floor(i / Cout), oy = Math.floor(px / OW), ox = px % OW;
      throw new Error(
        `${ctx.what ?? "f32_conv3x3_winograd"} mismatch at element ${i} (oy ${oy}, ox ${ox}, co ${co}): expected ${r}, ` +
        `actual ${a}, |err| ${err.toExponential(3)} > tol ${lim.toExponential(3)} (s ${s[i].toExponential(3)}) ` +
        `[build=${ctx.build} seed=${ctx.seed} caseIndex=${ctx.caseIndex} shape=${JSON.stringify(ctx.shape)}]`,
      );
    }
  }
}

interface CaseData {
  x: Float32Array; w: Float32Array; u: Float32Array; b: Float32Array; res: Float32Array | null;
  OH: number; OW: number; want: Float64Array; s: Float64Array;
}

function makeCase(c: WinoCase, seed: number): CaseData {
  const r = rng(seed);
  const { H, W, Cin, Cout } = c;
  const OH = Math.max(0, H - 2), OW = Math.max(0, W - 2);
  const x = r.fill(new Float32Array(H * W * Cin), -1, 1);
  const w = r.fill(new Float32Array(9 * Cin * Cout), -0.3, 0.3);
  const b = r.fill(new Float32Array(Cout), -0.5, 0.5);
  const res = c.res ? r.fill(new Float32Array(OH * OW * Cout), -1, 1) : null;
  const u = packWinogradWeights(w, Cin, Cout);
  const want = ref.conv2d(x, H, W, Cin, w, b, Cout, 3, 1, 0, c.act, res).y;
  const s = errScale(x, H, W, Cin, w, b, Cout, res);
  return { x, w, u, b, res, OH, OW, want, s };
}

function runCase(h: Harness, c: WinoCase, seed: number, idx: number): void {
  const d = makeCase(c, seed);
  const { H, W, Cin, Cout } = c;
  const n = d.OH * d.OW * Cout;
  h.reset();
  const px = h.f32(d.x), pu = h.f32(d.u), pb = h.f32(d.b);
  const pws = h.f32out(winogradScratchFloats(Cin, Cout));
  const py = h.f32out(n); // NaN-filled: unwritten outputs fail the comparison
  let pr = 0;
  if (d.res && c.res === 1) pr = h.f32(d.res);
  if (d.res && c.res === 2) { h.write(py, d.res); pr = py; }
  h.k.f32_conv3x3_winograd(px, H, W, Cin, pu, pb, py, Cout, c.act, pr, pws);
  const ctx: CheckCtx = { build: h.build, seed, caseIndex: idx, shape: c };
  checkWino(h.read(py, n), d.want, d.s, c.act, d.OW, Cout, ctx);
  const ectx = { build: h.build, seed, caseIndex: idx, shape: c };
  expectClose(h.read(px, d.x.length), d.x, TOL.exact, { ...ectx, what: "x must be unchanged" });
  expectClose(h.read(pu, d.u.length), d.u, TOL.exact, { ...ectx, what: "u must be unchanged" });
  expectClose(h.read(pb, d.b.length), d.b, TOL.exact, { ...ectx, what: "b must be unchanged" });
  if (d.res && c.res === 1) expectClose(h.read(pr, n), d.res, TOL.exact, { ...ectx, what: "res must be unchanged" });
  h.checkGuards(JSON.stringify(ctx));
}

/**
 * Plain f32 emulation of F(2x2, 3x3) on packWinogradWeights' layout (each add / multiply rounded
 * to f32, the Cin reduction sequential): checks the weight packing and that the tolerance admits
 * correct Winograd arithmetic, independently of the wasm builds.
 */
function winogradF32Model(x: Float32Array, H: number, W: number, Cin: number, u: Float32Array, b: Float32Array,
  Cout: number, act: number, res: Float32Array | null): Float32Array {
  const OH = Math.max(0, H - 2), OW = Math.max(0, W - 2);
  const y = new Float32Array(OH * OW * Cout);
  const V = new Float32Array(WINO_POS * Cin);
  const d = new Float32Array(16), e = new Float32Array(16);
  for (let ty = 0; ty < OH; ty += 2) for (let tx = 0; tx < OW; tx += 2) {
    for (let ci = 0; ci < Cin; ci++) {
      for (let rr = 0; rr < 4; rr++) for (let cc = 0; cc < 4; cc++) {
        const iy = ty + rr, ix = tx + cc;
        d[rr * 4 + cc] = iy < H && ix < W ? x[(iy * W + ix) * Cin + ci] : 0;
      }
      for (let cc = 0; cc < 4; cc++) { // B^T d
        const d0 = d[cc], d1 = d[4 + cc], d2 = d[8 + cc], d3 = d[12 + cc];
        e[cc] = f(d0 - d2); e[4 + cc] = f(d1 + d2); e[8 + cc] = f(d2 - d1); e[12 + cc] = f(d1 - d3);
      }
      for (let rr = 0; rr < 4; rr++) { // (B^T d) B
        const e0 = e[rr * 4], e1 = e[rr * 4 + 1], e2 = e[rr * 4 + 2], e3 = e[rr * 4 + 3];
        V[(rr * 4) * Cin + ci] = f(e0 - e2); V[(rr * 4 + 1) * Cin + ci] = f(e1 + e2);
        V[(rr * 4 + 2) * Cin + ci] = f(e2 - e1); V[(rr * 4 + 3) * Cin + ci] = f(e1 - e3);
      }
    }
    for (let co = 0; co < Cout; co++) {
      const M = new Float32Array(16);
      for (let xi = 0; xi < 16; xi++) {
        let m = 0;
        for (let ci = 0; ci < Cin; ci++) m = f(m + f(V[xi * Cin + ci] * u[(((co >> 3) * WINO_POS + xi) * Cin + ci) * 8 + (co & 7)]));
        M[xi] = m;
      }
      const t = new Float32Array(8); // A^T M: rows m0 + m1 + m2 and m1 - m2 - m3
      for (let cc = 0; cc < 4; cc++) {
        t[cc] = f(f(M[cc] + M[4 + cc]) + M[8 + cc]);
        t[4 + cc] = f(f(M[4 + cc] - M[8 + cc]) - M[12 + cc]);
      }
      for (let rr = 0; rr < 2; rr++) {
        const t0 = t[rr * 4], t1 = t[rr * 4 + 1], t2 = t[rr * 4 + 2], t3 = t[rr * 4 + 3];
        const out = [f(f(t0 + t1) + t2), f(f(t1 - t2) - t3)];
        for (let cc = 0; cc < 2; cc++) {
          const oy = ty + rr, ox = tx + cc;
          if (oy >= OH || ox >= OW) continue;
          const o = (oy * OW + ox) * Cout + co;
          let v = f(out[cc] + b[co]);
          if (res) v = f(v + res[o]);
          y[o] = ref.actF32(v, act);
        }
      }
    }
  }
  return y;
}

test("packWinogradWeights: [ceil(Cout/8)][16][Cin][8] = G g G^T with a zero-padded tail block", () => {
  for (const [Cin, Cout] of [[1, 1], [4, 4], [3, 12], [8, 8], [4, 17]]) {
    const seed = 40000 + Cin * 100 + Cout, r = rng(seed);
    const w = r.fill(new Float32Array(9 * Cin * Cout), -1, 1);
    const u = packWinogradWeights(w, Cin, Cout);
    const nb = Math.ceil(Cout / 8);
    assert.is(u.length, nb * WINO_POS * Cin * 8);
    assert.is(winogradScratchFloats(Cin, Cout), 16 * 4 * (Cin + 8 * nb));
    const G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]];
    for (let ci = 0; ci < Cin; ci++) for (let co = 0; co < nb * 8; co++) for (let xi = 0; xi < 16; xi++) {
      const got = u[(((co >> 3) * WINO_POS + xi) * Cin + ci) * 8 + (co & 7)];
      let want = 0;
      if (co < Cout) {
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) want += G[xi >> 2][i] * w[((i * 3 + j) * Cin + ci) * Cout + co] * G[xi & 3][j];
      }
      assert.ok(Math.abs(got - want) <= 4 * F32_EPS * 2.25, `seed=${seed} Cin=${Cin} Cout=${Cout} ci=${ci} co=${co} xi=${xi}: expected ${want}, actual ${got}`);
    }
  }
  assert.throws(() => packWinogradWeights(new Float32Array(10), 1, 1), /packWinogradWeights: expected 9 weights, got 10/);
});

test(`f32 Winograd model (packWinogradWeights + F(2x2, 3x3) in f32) meets the tolerance on the ${ALL.length}-case sweep`, () => {
  ALL.forEach((c, i) => {
    const seed = 41000 + i;
    const d = makeCase(c, seed);
    const got = winogradF32Model(d.x, c.H, c.W, c.Cin, d.u, d.b, c.Cout, c.act, d.res);
    checkWino(got, d.want, d.s, c.act, d.OW, c.Cout, { build: "f32 model", seed, caseIndex: i, shape: c, what: "f32 Winograd model" });
  });
});

for (const build of [...DEBUG, ...RELEASE]) {
  test(`f32_conv3x3_winograd ${build}: ${ALL.length} shapes vs f64 direct reference`, async () => {
    const h = await Harness.create(build);
    ALL.forEach((c, i) => runCase(h, c, 41000 + i, i));
  });
}

test("f32_conv3x3_winograd: larger layers (residual in place, every act) on all builds", async () => {
  const big: WinoCase[] = [
    { H: 26, W: 26, Cin: 32, Cout: 32, act: 2, res: 2 },
    { H: 19, W: 34, Cin: 16, Cout: 44, act: 1, res: 1 },
    { H: 12, W: 12, Cin: 64, Cout: 36, act: 3, res: 0 },
    { H: 9, W: 18, Cin: 4, Cout: 4, act: 0, res: 2 },
  ];
  for (const build of [...DEBUG, ...RELEASE]) {
    const h = await Harness.create(build);
    big.forEach((c, i) => runCase(h, c, 42000 + i, -1 - i));
  }
});

for (const build of DEBUG) {
  test(`f32_conv3x3_winograd ${build}: Cin or Cout not a multiple of 4 aborts`, async () => {
    const h = await Harness.create(build);
    const H = 6, W = 6, MAXC = 16;
    const x = h.f32(new Float32Array(H * W * MAXC));
    const u = h.f32(new Float32Array(Math.ceil(MAXC / 8) * WINO_POS * MAXC * 8));
    const b = h.f32(new Float32Array(MAXC));
    const y = h.f32out((H - 2) * (W - 2) * MAXC);
    const ws = h.f32out(winogradScratchFloats(MAXC, MAXC));
    const re = /f32_conv3x3_winograd: Cin and Cout must be multiples of 4/;
    const bad: [number, number][] = [[1, 4], [2, 8], [3, 4], [5, 4], [6, 12], [7, 4], [9, 8], [15, 16],
      [4, 1], [4, 2], [8, 3], [4, 5], [4, 6], [12, 7], [4, 9], [16, 13], [3, 3], [5, 7], [1, 1]];
    bad.forEach(([Cin, Cout], i) => {
      assert.throws(() => h.k.f32_conv3x3_winograd(x, H, W, Cin, u, b, y, Cout, 0, 0, ws), re,
        `${build} case ${i}: Cin=${Cin} Cout=${Cout} should abort with ${re}`);
    });
    // control: the same buffers with multiples of 4 run
    for (const [Cin, Cout] of [[4, 4], [8, 12], [16, 16]]) h.k.f32_conv3x3_winograd(x, H, W, Cin, u, b, y, Cout, 0, 0, ws);
    h.checkGuards(build);
  });
}

test("f32_conv3x3_winograd: H < 3 or W < 3 writes nothing, on every build", async () => {
  for (const build of [...DEBUG, ...RELEASE]) {
    const h = await Harness.create(build);
    let i = 0;
    for (const [H, W] of [[1, 1], [2, 2], [1, 7], [2, 12], [7, 1], [12, 2], [2, 47], [47, 1]]) for (const [Cin, Cout] of [[4, 4], [8, 12], [36, 68]]) {
      const seed = 43000 + i, r = rng(seed);
      h.reset();
      const x = r.fill(new Float32Array(H * W * Cin), -1, 1);
      const px = h.f32(x);
      const pu = h.f32(packWinogradWeights(r.fill(new Float32Array(9 * Cin * Cout), -0.3, 0.3), Cin, Cout));
      const pb = h.f32(r.fill(new Float32Array(Cout), -0.5, 0.5));
      const nY = 4 * Math.max(H, W) * Cout; // more than a wrongly computed output could need
      const py = h.f32out(nY), pres = h.f32out(nY);
      const nWs = winogradScratchFloats(Cin, Cout), pws = h.f32out(nWs);
      const ctx = { build, seed, caseIndex: i, shape: { H, W, Cin, Cout } };
      for (const [act, res] of [[0, 0], [1, pres], [3, py]]) {
        h.k.f32_conv3x3_winograd(px, H, W, Cin, pu, pb, py, Cout, act, res, pws);
        const y = h.read(py, nY), ws = h.read(pws, nWs);
        const iy = y.findIndex((v) => !Number.isNaN(v)), iw = ws.findIndex((v) => !Number.isNaN(v));
        assert.ok(iy < 0, `y written at element ${iy} (act ${act}, res ${res ? "set" : "0"}): expected NaN, actual ${y[iy]} ${JSON.stringify(ctx)}`);
        assert.ok(iw < 0, `ws written at element ${iw} (act ${act}): expected NaN, actual ${ws[iw]} ${JSON.stringify(ctx)}`);
        expectClose(h.read(px, x.length), x, TOL.exact, { ...ctx, what: "x must be unchanged" });
        h.checkGuards(JSON.stringify(ctx));
      }
      i++;
    }
  }
});

test("f32_conv3x3_winograd: the sweep covers every size, act x res, tile / group edges and the Cout % 8 == 4 tail", () => {
  for (const v of SP) {
    assert.ok(new Set(ALL.filter((c) => c.H === v).map((c) => c.W)).size >= 3, `H=${v} with >= 3 widths`);
    assert.ok(new Set(ALL.filter((c) => c.W === v).map((c) => c.H)).size >= 3, `W=${v} with >= 3 heights`);
  }
  assert.is(new Set(ALL.map((c) => `${c.act}${c.res}`)).size, 12);
  assert.is(new Set(ALL.map((c) => `${c.Cin},${c.Cout}`)).size, CI.length * CO.length);
  const nonEmpty = ALL.filter((c) => c.H >= 3 && c.W >= 3);
  for (const a of [0, 1, 2, 3]) assert.ok(nonEmpty.some((c) => c.act === a), `non-empty case with act ${a}`);
  for (const r of [0, 1, 2]) assert.ok(nonEmpty.some((c) => c.res === r), `non-empty case with res mode ${r}`);
  const ow = new Set(nonEmpty.map((c) => c.W - 2)), oh = new Set(nonEmpty.map((c) => c.H - 2));
  for (const o of [1, 2, 3, 8, 9, 45]) assert.ok(ow.has(o), `output width ${o}`);
  for (const o of [1, 2, 3, 45]) assert.ok(oh.has(o), `output height ${o}`);
  assert.ok(nonEmpty.some((c) => c.Cout % 8 === 4 && c.Cout > 8), "a Cout % 8 == 4 tail after a full block");
  assert.ok(ALL.some((c) => c.H < 3 || c.W < 3), "an empty output");
});

test.run();
