import { test } from "uvu";
import * as assert from "uvu/assert";
import { Harness, DEBUG_BUILDS, RELEASE_BUILDS } from "../util/wasm.ts";
import { rng, type Rng } from "../util/rng.ts";
import { expectClose, TOL } from "../util/expect.ts";
import * as ref from "./reference.ts";

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

test("reference: factorised head == naive head (delta per template -> 3x3 conv + bias + relu -> GAP -> linear)", () => {
  let i = 0;
  for (const [H, W, C, F, T] of [[1, 1, 3, 4, 2], [3, 5, 4, 7, 3], [7, 7, 8, 16, 5], [4, 6, 5, 9, 1], [2, 9, 16, 33, 4]]) {
    const seed = 11000 + i++, r = rng(seed);
    const HW = H * W;
    const N = r.fill(new Float32Array(HW * C), -1, 1), E = r.fill(new Float32Array(HW * C), -1, 1);
    const wDec = r.fill(new Float32Array(9 * C * F), -0.3, 0.3);
    const bias = r.fill(new Float32Array(F), -0.5, 0.5), lw = r.fill(new Float32Array(F), -1, 1);
    const lb = r.uniform(-2, 2);
    const tpl = templates(r, T);
    const conv = (x: ArrayLike<number>) => ref.conv2d(x, H, W, C, wDec, null, F, 3, 1, 1, 0, null).y;
    const a = conv(N), c = conv(E), bconst = conv(new Float32Array(HW * C).fill(1));
    const fact = ref.daaHead(a, bconst, c, HW, F, bias, lw, lb, tpl, T);
    const naive = ref.daaHeadNaive(N, E, H, W, C, wDec, bias, F, lw, lb, tpl, T);
    expectClose(fact, naive, TOL.headFactorisation, { seed, shape: { H, W, C, F, T } });
  }
});

const HWS = [1, 2, 3, 5, 9, 13, 25, 121];
const FS = [1, 3, 4, 5, 7, 8, 9, 16, 17, 31, 32, 33, 64];
const TS = [0, 1, 2, 3, 5, 8];

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
      const bias = r.fill(new Float32Array(F), -0.5, 0.5), lw = r.fill(new Float32Array(F), -1, 1);
      const lb = Math.fround(r.uniform(-2, 2));
      const tpl = templates(r, T);
      h.reset();
      const pa = h.f32(a), pb = h.f32(bconst), pc = h.f32(c), pbias = h.f32(bias), plw = h.f32(lw);
      const pt = h.f32(tpl.t), ps = h.f32(tpl.s), page = h.f32(tpl.age), pout = h.f32out(T);
      h.k.f32_daa_head(pa, pb, pc, HW, F, pbias, plw, lb, pt, ps, page, T, pout);
      const want = ref.daaHead(a, bconst, c, HW, F, bias, lw, lb, tpl, T);
      const scale = ref.daaHeadScale(a, bconst, c, HW, F, bias, lw, tpl, T);
      checkHead(h.read(pout, T), want, scale, HW * F, tpl, lb, { build, seed, caseIndex: i, shape: { HW, F, T } });
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
      const pw = h.f32(wDec), zero = h.f32(new Float32Array(F));
      const conv = (x: Float32Array) => {
        const px = h.f32(x), py = h.f32out(HW * F);
        h.k.f32_conv2d(px, H, W, C, pw, zero, py, F, 3, 1, 1, 0, 0);
        return py;
      };
      const pa = conv(N), pc = conv(E), pb = conv(new Float32Array(HW * C).fill(1));
      const pbias = h.f32(bias), plw = h.f32(lw);
      const pt = h.f32(tpl.t), ps = h.f32(tpl.s), page = h.f32(tpl.age), pout = h.f32out(T);
      h.k.f32_daa_head(pa, pb, pc, HW, F, pbias, plw, lb, pt, ps, page, T, pout);
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
