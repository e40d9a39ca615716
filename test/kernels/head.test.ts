import { test } from "uvu";
import * as assert from "uvu/assert";
import { Harness, DEBUG_BUILDS, RELEASE_BUILDS } from "../util/wasm.ts";
import { rng, type Rng } from "../util/rng.ts";
import { expectClose, TOL } from "../util/expect.ts";
import * as ref from "./reference.ts";
import { foldDecoder } from "../../src/models/daa/index.ts";

function templates(r: Rng, T: number): ref.Templates {
  return {
    t: r.fill(new Float32Array(T), -1, 1),
    s: r.fill(new Float32Array(T), 0.3, 2),
    age: r.fill(new Float32Array(T), 1, 80),
  };
}

function checkHead(got: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number>, n: number,
  tpl: ref.Templates, lb: number, ctx: Record<string, unknown>): void {
  for (let j = 0; j < want.length; j++) {
    expectClose([got[j]], [want[j]], TOL.head(n, scale[j], tpl.age[j], lb), { ...ctx, template: j });
  }
}

/** The folded decoder of src/models/daa/head.ts (linear layer and 1/HW in the conv, lw >= 0 channels first). */
function foldedConvs(N: Float32Array, E: Float32Array, H: number, W: number, C: number, wDec: Float32Array,
  bias: Float32Array, lw: Float32Array, F: number) {
  const fold = foldDecoder(wDec, bias, lw, C, F, H * W);
  const conv = (x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null) =>
    ref.conv2d(x, H, W, C, w, b, fold.F2, 3, 1, 1, 0, null).y;
  const a = conv(N, fold.w, null), bconst = conv(new Float32Array(H * W * C).fill(1), fold.w, null);
  const c = conv(E, fold.w.map((v) => -v), fold.b);
  return { fold, a, bconst, c };
}

test("reference: folded factorised head == naive head (delta per template -> 3x3 conv + bias + relu -> GAP -> linear)", () => {
  let i = 0;
  for (const [H, W, C, F, T] of [[1, 1, 3, 4, 2], [3, 5, 4, 7, 3], [7, 7, 8, 16, 5], [4, 6, 5, 9, 1], [2, 9, 16, 33, 4]]) {
    const seed = 11000 + i++, r = rng(seed);
    const N = r.fill(new Float32Array(H * W * C), -1, 1), E = r.fill(new Float32Array(H * W * C), -1, 1);
    const wDec = r.fill(new Float32Array(9 * C * F), -0.3, 0.3);
    const bias = r.fill(new Float32Array(F), -0.5, 0.5), lw = r.fill(new Float32Array(F), -1, 1);
    const lb = r.uniform(-2, 2);
    const tpl = templates(r, T);
    const { fold, a, bconst, c } = foldedConvs(N, E, H, W, C, wDec, bias, lw, F);
    const fact = ref.daaHead(a, bconst, c, H * W, fold.F2, fold.Fpos, lb, tpl, T);
    const naive = ref.daaHeadNaive(N, E, H, W, C, wDec, bias, F, lw, lb, tpl, T);
    // the folded weights are rounded to f32 once: relative 2^-24 per weight
    expectClose(fact, naive, { abs: 1e-6, rel: 1e-6 }, { seed, shape: { H, W, C, F, T } });
  }
});

const HWS = [1, 2, 3, 5, 9, 13, 25, 121];
const FS = [1, 3, 4, 5, 7, 8, 9, 16, 17, 31, 32, 33, 64];
const TS = [0, 1, 2, 3, 4, 5, 7, 8, 9];

for (const build of [...DEBUG_BUILDS, ...RELEASE_BUILDS]) {
  test(`f32_daa_head ${build}: HW x F x T sweep vs f64 factorised reference`, async () => {
    const h = await Harness.create(build);
    let i = 0;
    for (const HW of HWS) for (const F of FS) {
      const T = TS[i % TS.length];
      const seed = 12000 + i, r = rng(seed);
      const a = r.fill(new Float32Array(HW * F), -1, 1);
      const bconst = r.fill(new Float32Array(HW * F), -1, 1);
      const c = r.fill(new Float32Array(HW * F), -1, 1);
      // Fpos sweeps the group split: all negative, all positive, and splits inside / at a vector edge
      const Fpos = [0, F, F >> 1, Math.min(F, 4), Math.max(0, F - 5)][i % 5];
      const lb = Math.fround(r.uniform(-2, 2));
      const tpl = templates(r, T);
      h.reset();
      const pa = h.f32(a), pb = h.f32(bconst), pc = h.f32(c);
      const pt = h.f32(tpl.t), ps = h.f32(tpl.s), page = h.f32(tpl.age), pout = h.f32out(T);
      h.k.f32_daa_head(pa, pb, pc, HW, F, Fpos, lb, pt, ps, page, T, pout);
      const want = ref.daaHead(a, bconst, c, HW, F, Fpos, lb, tpl, T);
      const scale = ref.daaHeadScale(a, bconst, c, HW, F, tpl, T);
      checkHead(h.read(pout, T), want, scale, HW * F, tpl, lb, { build, seed, caseIndex: i, shape: { HW, F, Fpos, T } });
      h.checkGuards();
      i++;
    }
  });

  test(`f32_daa_head ${build}: end to end (wasm conv for a, c, bconst) vs naive f64 head`, async () => {
    const h = await Harness.create(build);
    let i = 0;
    for (const [H, W, C, F, T] of [[5, 5, 16, 64, 7], [3, 4, 8, 17, 3], [1, 1, 4, 5, 2], [6, 6, 32, 32, 12]]) {
      const seed = 13000 + i, r = rng(seed);
      const HW = H * W;
      const N = r.fill(new Float32Array(HW * C), -1, 1), E = r.fill(new Float32Array(HW * C), -1, 1);
      const ws = 1 / Math.sqrt(9 * C);
      const wDec = r.fill(new Float32Array(9 * C * F), -ws, ws);
      const bias = r.fill(new Float32Array(F), -0.2, 0.2), lw = r.fill(new Float32Array(F), -1, 1);
      const lb = Math.fround(r.uniform(-2, 2));
      const tpl = templates(r, T);
      h.reset();
      // as src/models/daa/head.ts plans it: folded weights, inputs copied into zero-bordered buffers, pad-0 convs
      const fold = foldDecoder(wDec, bias, lw, C, F, HW);
      const F2 = fold.F2;
      const pw = h.f32(fold.w), pwn = h.f32(fold.w.map((v) => -v)), pfb = h.f32(fold.b), zero = h.f32(new Float32Array(F2));
      const conv = (x: Float32Array, w: number, b: number) => {
        const px = h.f32(x), pp = h.f32out((H + 2) * (W + 2) * C), py = h.f32out(HW * F2);
        new Float32Array(h.memory.buffer, pp, (H + 2) * (W + 2) * C).fill(0);
        h.k.f32_copy_padded(px, H, W, C, 1, pp);
        h.k.f32_conv2d(pp, H + 2, W + 2, C, w, b, py, F2, 3, 1, 0, 0, 0);
        return py;
      };
      const pa = conv(N, pw, zero), pc = conv(E, pwn, pfb), pb = conv(new Float32Array(HW * C).fill(1), pw, zero);
      const pt = h.f32(tpl.t), ps = h.f32(tpl.s), page = h.f32(tpl.age), pout = h.f32out(T);
      h.k.f32_daa_head(pa, pb, pc, HW, F2, fold.Fpos, lb, pt, ps, page, T, pout);
      const want = ref.daaHeadNaive(N, E, H, W, C, wDec, bias, F, lw, lb, tpl, T);
      const got = h.read(pout, T);
      for (let j = 0; j < T; j++) {
        const err = Math.abs(got[j] - want[j]);
        assert.ok(err <= 2e-4 + 1e-6 * Math.abs(want[j]),
          `build=${build} seed=${seed} case=${i} template=${j}: expected ${want[j]}, actual ${got[j]}, err ${err}`);
      }
      h.checkGuards();
      i++;
    }
  });
}

test.run();
