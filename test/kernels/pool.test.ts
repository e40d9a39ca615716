import { test } from "uvu";
import { Harness, DEBUG_BUILDS, RELEASE_BUILDS } from "../util/wasm.ts";
import { rng } from "../util/rng.ts";
import { expectClose, TOL } from "../util/expect.ts";
import * as ref from "./reference.ts";

const CH = [1, 3, 4, 5, 7, 8, 9, 16, 17, 31, 32, 33, 64];
const SP = [1, 2, 3, 5, 8, 9, 13];
const BUILDS = [...DEBUG_BUILDS, ...RELEASE_BUILDS];

for (const build of BUILDS) {
  test(`f32_avgpool2x2 ${build}: H, W x C sweep (odd sizes drop the last row/column)`, async () => {
    const h = await Harness.create(build);
    let i = 0;
    for (const H of SP) for (const W of SP) for (const C of CH) {
      if ((H * 7 + W + C) % 3 !== 0 && !(C === 64 || C === 1)) continue; // thin the sweep, keep extremes
      const seed = 2000 + i, r = rng(seed);
      const x = r.fill(new Float32Array(H * W * C), -4, 4);
      h.reset();
      const px = h.f32(x), OH = H >> 1, OW = W >> 1, py = h.f32out(OH * OW * C);
      h.k.f32_avgpool2x2(px, H, W, C, py);
      expectClose(h.read(py, OH * OW * C), ref.avgpool2x2(x, H, W, C), TOL.avgpool2x2, { build, seed, caseIndex: i, shape: { H, W, C } });
      h.checkGuards(`avgpool ${H}x${W}x${C}`);
      i++;
    }
  });

  test(`f32_global_avgpool ${build}: HW x C sweep`, async () => {
    const h = await Harness.create(build);
    let i = 0;
    for (const HW of [1, 2, 3, 4, 5, 9, 25, 64, 169, 2025]) for (const C of [...CH, 15, 48, 65]) {
      const seed = 3000 + i, r = rng(seed);
      const x = r.fill(new Float32Array(HW * C), -2, 3);
      h.reset();
      const px = h.f32(x), py = h.f32out(C);
      h.k.f32_global_avgpool(px, HW, C, py);
      expectClose(h.read(py, C), ref.globalAvgpool(x, HW, C), TOL.mean(HW), { build, seed, caseIndex: i, shape: { HW, C } });
      h.checkGuards();
      i++;
    }
  });

  test(`f32_scale_channels ${build}: HW x C sweep, in place`, async () => {
    const h = await Harness.create(build);
    let i = 0;
    for (const HW of [1, 2, 3, 5, 8, 13, 64]) for (const C of CH) {
      const seed = 4000 + i, r = rng(seed);
      const x = r.fill(new Float32Array(HW * C), -3, 3);
      const s = r.fill(new Float32Array(C), 0, 1);
      h.reset();
      const px = h.f32(x), ps = h.f32(s);
      h.k.f32_scale_channels(px, HW, C, ps);
      expectClose(h.read(px, HW * C), ref.scaleChannels(x, HW, C, s), TOL.elementwise, { build, seed, caseIndex: i, shape: { HW, C } });
      expectClose(h.read(ps, C), s, TOL.exact, { build, seed, what: "s unchanged" });
      h.checkGuards();
      i++;
    }
  });
}

test.run();
