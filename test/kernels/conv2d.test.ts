import { test } from "uvu";
import * as assert from "uvu/assert";
import { Harness, DEBUG_BUILDS, RELEASE_BUILDS, type Build } from "../util/wasm.ts";
import { rng } from "../util/rng.ts";
import { expectBitEqual, expectClose, TOL } from "../util/expect.ts";
import * as ref from "./reference.ts";
import { packF32Weights } from "../../src/pack-f32.ts";
import { relaxedSupported } from "../../src/kernels.ts";

const CH = [1, 3, 4, 5, 7, 8, 9, 16, 17, 31, 32, 33, 64];
const SP = [1, 2, 3, 5, 8, 9, 13];
const KSP: [number, number, number][] = [];
for (const K of [1, 3]) for (const stride of [1, 2]) for (const pad of [0, 1]) KSP.push([K, stride, pad]);

interface ConvCase {
  H: number; W: number; Cin: number; Cout: number; K: number; stride: number; pad: number;
  act: number; res: 0 | 1 | 2; // 0 none, 1 separate buffer, 2 res === y
  misalign: number;
}

function cases(): ConvCase[] {
  const out: ConvCase[] = [];
  let i = 0;
  // A: every (Cin, Cout) pair around the 4/8-wide channel tiles, spatial/K/stride/pad/act/res cycling.
  for (const Cin of CH) for (const Cout of CH) {
    const [K, stride, pad] = KSP[i % 8];
    out.push({ H: SP[i % 7], W: SP[(3 * i + 2) % 7], Cin, Cout, K, stride, pad, act: i % 4, res: (i % 3) as 0 | 1 | 2, misalign: i % 5 === 4 ? 4 : 0 });
    i++;
  }
  // B: every (H, W) pair x every (K, stride, pad) around the 4-pixel tile, small channel counts.
  const CI = [1, 3, 4, 8, 5], CO = [8, 4, 1, 9, 16, 12, 3, 17, 24];
  for (const H of SP) for (const W of SP) for (const [K, stride, pad] of KSP) {
    out.push({ H, W, Cin: CI[i % 5], Cout: CO[i % 9], K, stride, pad, act: i % 4, res: ((i >> 2) % 3) as 0 | 1 | 2, misalign: 0 });
    i++;
  }
  // C: all act x res x (K, stride, pad) on shapes that hit 8-, 4- and scalar channel tails and pixel tails.
  for (const Cout of [13, 12, 7]) for (let a = 0; a < 4; a++) for (const r of [0, 1, 2] as const) for (const [K, stride, pad] of KSP) {
    out.push({ H: 9, W: 13, Cin: 5, Cout, K, stride, pad, act: a, res: r, misalign: 0 });
  }
  // D: 1x1 outputs (and the empty-output corner) with wide channels.
  for (const [H, W, K, stride, pad] of [
    [1, 1, 1, 1, 0], [1, 1, 3, 1, 1], [1, 1, 3, 2, 1], [3, 3, 3, 1, 0], [3, 3, 3, 2, 0], [2, 2, 1, 2, 0],
    [2, 2, 3, 2, 1], [2, 1, 3, 2, 0], [1, 2, 1, 2, 1], [1, 1, 3, 1, 0],
  ]) for (const [Cin, Cout] of [[64, 64], [33, 17], [1, 9], [17, 1]]) {
    out.push({ H, W, Cin, Cout, K, stride, pad, act: (H + Cin) % 4, res: (Cout % 3) as 0 | 1 | 2, misalign: 0 });
  }
  // E: dense channel grid: every (Cin, Cout) pair x every (K, stride, pad) on a 5x7 map.
  for (const Cin of CH) for (const Cout of CH) for (const [K, stride, pad] of KSP) {
    out.push({ H: 5, W: 7, Cin, Cout, K, stride, pad, act: i % 4, res: ((i >> 1) % 3) as 0 | 1 | 2, misalign: 0 });
    i++;
  }
  return out;
}

const ALL = cases();

// The relaxed-SIMD build where this engine runs it; in qs8.test.ts's child process
// (DAA_TEST_RELAXED_ONLY=1, Node 20 with --experimental-wasm-relaxed-simd --no-liftoff) only that build.
const RELAXED_ONLY = process.env.DAA_TEST_RELAXED_ONLY === "1";
const DEBUG: Build[] = RELAXED_ONLY ? ["relaxed.debug"] : [...DEBUG_BUILDS, ...(relaxedSupported() ? ["relaxed.debug" as Build] : [])];
const RELEASE: Build[] = RELAXED_ONLY ? ["relaxed"] : [...RELEASE_BUILDS, ...(relaxedSupported() ? ["relaxed" as Build] : [])];

function runCase(h: Harness, c: ConvCase, seed: number, idx: number): void {
  const r = rng(seed);
  const { H, W, Cin, Cout, K, stride, pad } = c;
  const OH = ref.convOut(H, K, stride, pad), OW = ref.convOut(W, K, stride, pad);
  const n = K * K * Cin;
  const x = r.fill(new Float32Array(H * W * Cin), -1, 1);
  const ws = 1 / Math.sqrt(n);
  const w = r.fill(new Float32Array(n * Cout), -ws, ws);
  const b = r.fill(new Float32Array(Cout), -0.5, 0.5);
  const res = c.res ? r.fill(new Float32Array(OH * OW * Cout), -1, 1) : null;
  h.reset();
  const px = h.f32(x, c.misalign), pw = h.f32(w, c.misalign), pb = h.f32(b, c.misalign);
  const py = h.f32out(OH * OW * Cout, c.misalign);
  let pr = 0;
  if (res && c.res === 1) pr = h.f32(res, c.misalign);
  if (res && c.res === 2) { h.write(py, res); pr = py; }
  h.k.f32_conv2d(px, H, W, Cin, pw, pb, py, Cout, K, stride, pad, c.act, pr);
  const expected = ref.conv2d(x, H, W, Cin, w, b, Cout, K, stride, pad, c.act, res).y;
  const ctx = { build: h.build, seed, caseIndex: idx, shape: c };
  const hwio = h.read(py, OH * OW * Cout);
  expectClose(hwio, expected, TOL.conv(n), ctx);
  expectClose(h.read(px, x.length), x, TOL.exact, { ...ctx, what: "x must be unchanged" });
  h.checkGuards(JSON.stringify(ctx));
  // the packed-weight entry point: same traversal and summation order, so bit-identical to HWIO
  const pk = h.f32(packF32Weights(w, K, Cin, Cout), c.misalign);
  const py2 = h.f32out(OH * OW * Cout, c.misalign);
  let pr2 = 0;
  if (res && c.res === 1) pr2 = pr;
  if (res && c.res === 2) { h.write(py2, res); pr2 = py2; }
  h.k.f32_conv2d_packed(px, H, W, Cin, pk, pb, py2, Cout, K, stride, pad, c.act, pr2);
  const packed = h.read(py2, OH * OW * Cout);
  expectClose(packed, expected, TOL.conv(n), { ...ctx, what: "f32_conv2d_packed" });
  expectBitEqual(packed, hwio, { ...ctx, what: "f32_conv2d_packed vs f32_conv2d" });
  h.checkGuards(JSON.stringify(ctx));
}

test("packF32Weights: [Cout/8][K][K][Cin][8] with a zero-padded tail block", () => {
  for (const [K, Cin, Cout] of [[1, 1, 1], [3, 2, 7], [3, 3, 8], [1, 5, 9], [3, 4, 17]]) {
    const w = Float32Array.from({ length: K * K * Cin * Cout }, (_, i) => i + 1);
    const p = packF32Weights(w, K, Cin, Cout);
    assert.is(p.length, Math.ceil(Cout / 8) * K * K * Cin * 8);
    for (let t = 0; t < K * K * Cin; t++) for (let co = 0; co < Math.ceil(Cout / 8) * 8; co++) {
      const v = p[(Math.floor(co / 8) * K * K * Cin + t) * 8 + (co % 8)];
      assert.is(v, co < Cout ? w[t * Cout + co] : 0, `K=${K} Cin=${Cin} Cout=${Cout} tap=${t} co=${co}`);
    }
  }
});

for (const build of DEBUG) {
  test(`f32_conv2d ${build}: ${ALL.length} shapes vs f64 reference`, async () => {
    const h = await Harness.create(build);
    ALL.forEach((c, i) => runCase(h, c, 1000 + i, i));
  });
}

for (const build of RELEASE) {
  test(`f32_conv2d ${build} (release): every 4th shape vs f64 reference`, async () => {
    const h = await Harness.create(build);
    ALL.forEach((c, i) => { if (i % 4 === 0) runCase(h, c, 5000 + i, i); });
  });
}

test("f32_conv2d: larger layer (32->32 3x3 s1 p1 on 23x23, hswish, residual) on all builds", async () => {
  for (const build of [...DEBUG, ...RELEASE]) {
    const h = await Harness.create(build);
    runCase(h, { H: 23, W: 23, Cin: 32, Cout: 32, K: 3, stride: 1, pad: 1, act: 2, res: 1, misalign: 0 }, 77, -1);
    runCase(h, { H: 24, W: 22, Cin: 16, Cout: 40, K: 3, stride: 2, pad: 1, act: 1, res: 0, misalign: 0 }, 78, -2);
    runCase(h, { H: 12, W: 12, Cin: 64, Cout: 36, K: 1, stride: 1, pad: 0, act: 3, res: 2, misalign: 0 }, 79, -3);
  }
});

test("f32_conv2d: sweep covers 1x1 outputs, empty outputs and every K/stride/pad/act/res combination", () => {
  const key = (c: ConvCase) => `${c.K}${c.stride}${c.pad}${c.act}${c.res}`;
  assert.is(new Set(ALL.map(key)).size, 8 * 4 * 3);
  assert.ok(ALL.some((c) => ref.convOut(c.H, c.K, c.stride, c.pad) === 1 && ref.convOut(c.W, c.K, c.stride, c.pad) === 1));
  assert.ok(ALL.some((c) => ref.convOut(c.H, c.K, c.stride, c.pad) === 0));
  // both loop orders of the SIMD kernel (channel blocks outermost iff K*K*Cout > H*W)
  assert.ok(ALL.some((c) => c.K * c.K * c.Cout > c.H * c.W && c.Cout >= 8 && c.W >= 8));
  assert.ok(ALL.some((c) => c.K * c.K * c.Cout <= c.H * c.W && c.Cout >= 8 && c.W >= 8));
});

test.run();
