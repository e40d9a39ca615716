import { test } from "uvu";
import { Harness, DEBUG_BUILDS, RELEASE_BUILDS } from "../util/wasm.ts";
import { rng } from "../util/rng.ts";
import { expectClose, TOL } from "../util/expect.ts";
import * as ref from "./reference.ts";

const CH = [1, 3, 4, 5, 7, 8, 9, 16, 17, 31, 32, 33, 64];
const HWS = [1, 2, 3, 5, 8, 9, 13, 25, 81, 169];

for (const build of [...DEBUG_BUILDS, ...RELEASE_BUILDS]) {
  test(`f32_channel_stats ${build}: HW x C sweep (unbiased var, HW == 1 -> var 0)`, async () => {
    const h = await Harness.create(build);
    let i = 0;
    for (const HW of HWS) for (const C of CH) {
      const seed = 7000 + i, r = rng(seed);
      const off = r.uniform(-3, 3), sc = r.uniform(0.1, 4);
      const x = new Float32Array(HW * C).map(() => off + sc * r.uniform(-1, 1));
      const eps = i % 2 ? 1e-5 : 1e-3;
      h.reset();
      const px = h.f32(x), pm = h.f32out(C), ps = h.f32out(C);
      h.k.f32_channel_stats(px, HW, C, pm, ps, eps);
      const want = ref.channelStats(x, HW, C, Math.fround(eps));
      const ctx = { build, seed, caseIndex: i, shape: { HW, C, eps } };
      // mean error is relative to the data scale, not to the (possibly tiny) mean
      expectClose(h.read(pm, C), want.mean, { abs: TOL.mean(HW).abs * (Math.abs(off) + sc), rel: TOL.mean(HW).rel }, { ...ctx, what: "mean" });
      expectClose(h.read(ps, C), want.std, TOL.std(HW), { ...ctx, what: "std" });
      h.checkGuards();
      i++;
    }
  });

  test(`f32_normalize ${build}: HW x C sweep, out of place and in place`, async () => {
    const h = await Harness.create(build);
    let i = 0;
    for (const HW of HWS) for (const C of CH) {
      const seed = 8000 + i, r = rng(seed);
      const x = r.fill(new Float32Array(HW * C), -3, 3);
      const m = r.fill(new Float32Array(C), -1, 1);
      const s = r.fill(new Float32Array(C), 0.2, 3);
      const want = ref.normalize(x, HW, C, m, s);
      h.reset();
      const px = h.f32(x), pm = h.f32(m), ps = h.f32(s), py = h.f32out(HW * C);
      h.k.f32_normalize(px, HW, C, pm, ps, py);
      const ctx = { build, seed, caseIndex: i, shape: { HW, C } };
      expectClose(h.read(py, HW * C), want, TOL.normalize, ctx);
      h.k.f32_normalize(px, HW, C, pm, ps, px);
      expectClose(h.read(px, HW * C), want, TOL.normalize, { ...ctx, inPlace: true });
      h.checkGuards();
      i++;
    }
  });

  test(`f32_daa_delta ${build}: HW x C sweep, per-channel and scalar s/t`, async () => {
    const h = await Harness.create(build);
    let i = 0;
    for (const HW of HWS) for (const C of CH) for (const perChannel of [0, 1]) {
      const seed = 9000 + i, r = rng(seed);
      const n = r.fill(new Float32Array(HW * C), -2, 2);
      const e = r.fill(new Float32Array(HW * C), -2, 2);
      const k = perChannel ? C : 1;
      const s = r.fill(new Float32Array(k), 0.2, 2);
      const t = r.fill(new Float32Array(k), -1, 1);
      h.reset();
      const pn = h.f32(n), pe = h.f32(e), ps = h.f32(s), pt = h.f32(t), py = h.f32out(HW * C);
      h.k.f32_daa_delta(pn, pe, HW, C, ps, pt, perChannel, py);
      expectClose(h.read(py, HW * C), ref.daaDelta(n, e, HW, C, s, t, perChannel === 1), TOL.delta,
        { build, seed, caseIndex: i, shape: { HW, C, perChannel } });
      h.checkGuards();
      i++;
    }
  });
}

test.run();
