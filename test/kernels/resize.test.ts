import { test } from "uvu";
import * as tf from "@tensorflow/tfjs";
import { Harness, DEBUG_BUILDS, RELEASE_BUILDS } from "../util/wasm.ts";
import { rng } from "../util/rng.ts";
import { expectClose, TOL } from "../util/expect.ts";
import * as ref from "./reference.ts";

const SRC = [1, 2, 3, 5, 7, 16, 33, 64, 100];
const DST = [1, 2, 3, 5, 8, 13, 16, 64, 112];

function run(h: Harness, src: Uint8Array, srcW: number, srcH: number, srcC: number, dstW: number, dstH: number, misalign = 0): Float32Array {
  h.reset();
  const ps = h.u8(src, misalign), pd = h.f32out(dstW * dstH * 3);
  h.k.f32_resize_bilinear_u8(ps, srcW, srcH, srcC, pd, dstW, dstH);
  h.checkGuards(`resize ${srcW}x${srcH}x${srcC} -> ${dstW}x${dstH}`);
  return h.read(pd, dstW * dstH * 3);
}

for (const build of [...DEBUG_BUILDS, ...RELEASE_BUILDS]) {
  test(`f32_resize_bilinear_u8 ${build}: bit-exact vs the docs/kernels.md procedure (up/down, 1/3/4 channels)`, async () => {
    const h = await Harness.create(build);
    let i = 0;
    for (const srcW of SRC) for (const dstW of DST) {
      const srcH = SRC[(i * 5 + 3) % SRC.length], dstH = DST[(i * 7 + 1) % DST.length];
      const srcC = [1, 3, 4][i % 3];
      const seed = 14000 + i, r = rng(seed);
      const src = r.fill(new Uint8Array(srcW * srcH * srcC), 0, 255);
      const got = run(h, src, srcW, srcH, srcC, dstW, dstH, i % 4); // src is bytes: any alignment
      expectClose(got, ref.resizeBilinearU8(src, srcW, srcH, srcC, dstW, dstH), TOL.resize,
        { build, seed, caseIndex: i, shape: { srcW, srcH, srcC, dstW, dstH } });
      i++;
    }
  });
}

test("f32_resize_bilinear_u8 and the reference match tfjs cpu resizeBilinear(alignCorners=false, halfPixelCenters=true) / 255", async () => {
  await tf.setBackend("cpu");
  await tf.ready();
  const h = await Harness.create("simd");
  let i = 0;
  for (const [srcW, srcH, dstW, dstH, srcC] of [
    [37, 23, 64, 64, 3], [120, 90, 64, 64, 3], [64, 64, 112, 112, 3], [5, 3, 13, 8, 1], [200, 150, 64, 48, 4], [1, 1, 4, 4, 3], [7, 9, 7, 9, 3],
  ]) {
    const seed = 15000 + i, r = rng(seed);
    const src = r.fill(new Uint8Array(srcW * srcH * srcC), 0, 255);
    const tfOut = tf.tidy(() => {
      const img = tf.tensor3d(Int32Array.from(src), [srcH, srcW, srcC], "int32");
      let rs = tf.image.resizeBilinear(img, [dstH, dstW], false, true);
      if (srcC === 1) rs = tf.tile(rs, [1, 1, 3]);
      if (srcC === 4) rs = tf.slice(rs, [0, 0, 0], [dstH, dstW, 3]);
      return tf.div(rs, 255).dataSync() as Float32Array;
    });
    const ctx = { seed, caseIndex: i, shape: { srcW, srcH, srcC, dstW, dstH } };
    expectClose(run(h, src, srcW, srcH, srcC, dstW, dstH), tfOut, TOL.resizeTfjs, { ...ctx, vs: "tfjs (wasm)" });
    expectClose(ref.resizeBilinearU8(src, srcW, srcH, srcC, dstW, dstH), tfOut, TOL.resizeTfjs, { ...ctx, vs: "tfjs (reference)" });
    i++;
  }
});

test.run();
