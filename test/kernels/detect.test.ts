// The face detector's kernels (f32_conv5x5s2_c3, f32_dwconv3x3, f32_pad_channels, f32_warp_affine_u8)
// against the f64 references of reference-detect.ts, on every build, over swept shapes: sizes around
// the f32x4 / 8-channel tiles (1, 3, 4, 5, 7, 8, 9, 12, 24, 42), odd and even sides (SAME padding's
// odd pixel), and misaligned buffers where the ABI allows.
import { test } from "uvu";
import { Harness, DEBUG_BUILDS, RELEASE_BUILDS, type Build } from "../util/wasm.ts";
import { relaxedSupported } from "../../src/kernels.ts";
import { rng } from "../util/rng.ts";
import { expectClose, expectBitEqual, TOL } from "../util/expect.ts";
import * as ref from "./reference-detect.ts";

const BUILDS: Build[] = [...DEBUG_BUILDS, ...RELEASE_BUILDS, ...(relaxedSupported() ? ["relaxed" as const] : [])];
/** warp: taps in [0, 255] times scale 1/255, sums of <= 4 ss^2 products in f32 */
const WARP_TOL = { abs: 2e-6, rel: 1e-6 };

for (const build of BUILDS) {
  test(`f32_conv5x5s2_c3 ${build}: SAME padding (asymmetric), Cout around the 8/4 tiles`, async () => {
    const h = await Harness.create(build);
    let i = 0;
    for (const [H, W] of [[1, 1], [2, 3], [5, 5], [6, 7], [9, 4], [16, 16], [17, 13], [128, 128]]) for (const Cout of [1, 3, 4, 5, 8, 9, 12, 24]) {
      if (H === 128 && Cout !== 24) continue;
      const seed = 41000 + i, r = rng(seed);
      const x = r.fill(new Float32Array(H * W * 3), -1, 1), w = r.fill(new Float32Array(75 * Cout), -0.5, 0.5), b = r.fill(new Float32Array(Cout), -1, 1);
      const act = i % 2;
      h.reset();
      const px = h.f32(x), pw = h.f32(w), pb = h.f32(b), OH = Math.ceil(H / 2), OW = Math.ceil(W / 2), py = h.f32out(OH * OW * Cout);
      h.k.f32_conv5x5s2_c3(px, H, W, pw, pb, py, Cout, act);
      h.checkGuards(`conv5x5s2 ${H}x${W}x${Cout}`);
      expectClose(h.read(py, OH * OW * Cout), ref.conv5x5s2c3(x, H, W, w, b, Cout, act), TOL.conv(75), { build, seed, caseIndex: i, shape: { H, W, Cout, act } });
      i++;
    }
  });

  test(`f32_dwconv3x3 ${build}: stride 1 and 2, SAME padding, C around the f32x4 tile, W around the 4- and 2-pixel tiles and the 16-pixel chunk`, async () => {
    const h = await Harness.create(build);
    let i = 0;
    for (const [H, W] of [[1, 1], [1, 4], [2, 2], [3, 5], [4, 4], [7, 6], [8, 8], [5, 9], [6, 7], [16, 15], [3, 19], [5, 33], [4, 36], [6, 40], [64, 64]]) for (const C of [1, 3, 4, 5, 7, 8, 24, 42]) for (const stride of [1, 2]) {
      if (H === 64 && C !== 24 && C !== 42) continue;
      const seed = 42000 + i, r = rng(seed);
      const x = r.fill(new Float32Array(H * W * C), -1, 1), w = r.fill(new Float32Array(9 * C), -1, 1), b = r.fill(new Float32Array(C), -1, 1);
      const act = (i >> 1) % 2;
      h.reset();
      const px = h.f32(x, i % 3 === 2 ? 4 : 0), pw = h.f32(w), pb = h.f32(b), OH = Math.ceil(H / stride), OW = Math.ceil(W / stride);
      const py = h.f32out(OH * OW * C, i % 5 === 4 ? 8 : 0);
      h.k.f32_dwconv3x3(px, H, W, C, pw, pb, py, stride, act);
      h.checkGuards(`dwconv3x3 ${H}x${W}x${C}/${stride}`);
      expectClose(h.read(py, OH * OW * C), ref.dwconv3x3(x, H, W, C, w, b, stride, act), TOL.conv(9), { build, seed, caseIndex: i, shape: { H, W, C, stride, act } });
      i++;
    }
  });

  test(`f32_pad_channels ${build}: identity / 2x2 max pool, zero channels written on every call`, async () => {
    const h = await Harness.create(build);
    let i = 0;
    for (const [H, W] of [[2, 2], [4, 6], [8, 8], [1, 3], [3, 3], [16, 16]]) for (const [Cin, Cout] of [[1, 1], [3, 4], [4, 4], [5, 9], [24, 28], [28, 32], [42, 48], [88, 96]]) for (const pool of [1, 2]) {
      if (pool === 2 && (H % 2 || W % 2)) continue;
      const seed = 43000 + i, r = rng(seed);
      const x = r.fill(new Float32Array(H * W * Cin), -2, 2);
      h.reset();
      const px = h.f32(x), n = (H / pool) * (W / pool) * Cout, py = h.f32out(n); // NaN-filled: unwritten pad channels fail
      h.k.f32_pad_channels(px, H, W, Cin, py, Cout, pool);
      h.checkGuards(`pad_channels ${H}x${W} ${Cin}->${Cout} /${pool}`);
      expectClose(h.read(py, n), ref.padChannels(x, H, W, Cin, Cout, pool), TOL.exact, { build, seed, caseIndex: i, shape: { H, W, Cin, Cout, pool } });
      i++;
    }
  });

  test(`f32_warp_affine_u8 ${build}: identity, scale, rotation, borders, sub-sampling, 1/3/4 channels`, async () => {
    const h = await Harness.create(build);
    let i = 0;
    const cases: Array<[number, number, number, number, number, number[], number]> = [
      // srcW, srcH, srcC, dstW, dstH, m (dst -> src), ss
      [8, 8, 3, 8, 8, [1, 0, 0, 0, 1, 0], 1],
      [7, 5, 4, 13, 9, [0.5, 0, 0.1, 0, 0.55, -0.3], 1],
      [40, 30, 3, 16, 16, [2.5, 0, 0, 0, 2.5, -5], 3],
      [33, 21, 1, 12, 12, [Math.cos(0.4) * 2, -Math.sin(0.4) * 2, 10, Math.sin(0.4) * 2, Math.cos(0.4) * 2, -4], 2],
      [64, 48, 4, 16, 16, [5, 0, -8, 0, 5, -16], 5],
      [5, 5, 3, 9, 9, [1.2, 0.3, -3, -0.2, 1.1, -2], 1],
      [1, 1, 3, 4, 4, [0.25, 0, 0, 0, 0.25, 0], 1],
      [100, 80, 3, 20, 17, [5.3, 0.7, -1, -0.6, 5.1, 3], 6],
    ];
    for (const [srcW, srcH, srcC, dstW, dstH, m, ss] of cases) {
      const seed = 44000 + i, r = rng(seed);
      const src = r.fill(new Uint8Array(srcW * srcH * srcC), 0, 255);
      const scale = i % 2 ? 2 / 255 : 1 / 255, bias = i % 2 ? -1 : 0, border = i % 3 === 0 ? 0 : 127.5;
      h.reset();
      const ps = h.u8(src, i % 4), pd = h.f32out(dstW * dstH * 3);
      h.k.f32_warp_affine_u8(ps, srcW, srcH, srcC, pd, dstW, dstH, m[0], m[1], m[2], m[3], m[4], m[5], ss, scale, bias, border);
      h.checkGuards(`warp ${srcW}x${srcH}x${srcC} -> ${dstW}x${dstH}`);
      expectClose(h.read(pd, dstW * dstH * 3), ref.warpAffineU8(src, srcW, srcH, srcC, dstW, dstH, m, ss, Math.fround(scale), Math.fround(bias), border), WARP_TOL,
        { build, seed, caseIndex: i, shape: { srcW, srcH, srcC, dstW, dstH, ss } });
      i++;
    }
  });
}

test("detector kernels: simd and scalar release builds agree bit for bit", async () => {
  const [s, c] = await Promise.all([Harness.create("simd"), Harness.create("scalar")]);
  const r = rng(45000);
  const H = 17, W = 14, C = 42;
  const x3 = r.fill(new Float32Array(H * W * 3), -1, 1), w5 = r.fill(new Float32Array(75 * 24), -1, 1), b = r.fill(new Float32Array(48), -1, 1);
  const x = r.fill(new Float32Array(H * W * C), -1, 1), w3 = r.fill(new Float32Array(9 * C), -1, 1);
  const x2 = r.fill(new Float32Array(16 * 14 * C), -1, 1);
  const xw = r.fill(new Float32Array(5 * 37 * C), -1, 1);
  const out = (h: Harness) => {
    h.reset();
    const y1 = h.f32out(9 * 7 * 24), y2 = h.f32out(9 * 7 * C), y3 = h.f32out(8 * 7 * 48), y4 = h.f32out(5 * 37 * C);
    h.k.f32_conv5x5s2_c3(h.f32(x3), H, W, h.f32(w5), h.f32(b), y1, 24, 1);
    h.k.f32_dwconv3x3(h.f32(x), H, W, C, h.f32(w3), h.f32(b), y2, 2, 0);
    h.k.f32_pad_channels(h.f32(x2), 16, 14, C, y3, 48, 2);
    h.k.f32_dwconv3x3(h.f32(xw), 5, 37, C, h.f32(w3), h.f32(b), y4, 1, 1); // stride 1, rows of three 16-pixel chunks
    return [h.read(y1, 9 * 7 * 24), h.read(y2, 9 * 7 * C), h.read(y3, 8 * 7 * 48), h.read(y4, 5 * 37 * C)];
  };
  const a = out(s), d = out(c);
  a.forEach((v, k) => expectBitEqual(v, d[k], { name: ["conv5x5s2", "dwconv3x3 stride 2", "pad_channels", "dwconv3x3 stride 1"][k] }));
});

test("f32_warp_affine_u8: the map mirrored in the output (X -> W - X) gives the output mirrored (the estimator's flip)", async () => {
  for (const build of ["simd", "scalar"] as const) {
    const h = await Harness.create(build);
    const seed = 45200, r = rng(seed);
    const srcW = 41, srcH = 33, srcC = 4, S = 24;
    const src = r.fill(new Uint8Array(srcW * srcH * srcC), 0, 255);
    for (const [m, ss] of [[[1.3, -0.2, 4, 0.2, 1.3, 2], 1], [[2.1, 0.4, 3, -0.4, 2.1, -1], 2]] as Array<[number[], number]>) {
      const mm = [-m[0], m[1], m[0] * S + m[2], -m[3], m[4], m[3] * S + m[5]];
      const run = (t: number[]) => {
        h.reset();
        const ps = h.u8(src, 1), pd = h.f32out(S * S * 3);
        h.k.f32_warp_affine_u8(ps, srcW, srcH, srcC, pd, S, S, t[0], t[1], t[2], t[3], t[4], t[5], ss, 1 / 255, 0, 128);
        return h.read(pd, S * S * 3);
      };
      const a = run(m), b = run(mm);
      const bm = new Float32Array(b.length);
      for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) for (let c = 0; c < 3; c++) bm[(y * S + x) * 3 + c] = b[(y * S + S - 1 - x) * 3 + c];
      expectClose(bm, a, WARP_TOL, { build, seed, caseIndex: ss, shape: { srcW, srcH, S, ss } });
    }
  }
});

test("f32_warp_affine_u8: simd and scalar release builds agree bit for bit (1/3/4 channels, inside, edges, border, axis-aligned)", async () => {
  const [s, c] = await Promise.all([Harness.create("simd"), Harness.create("scalar")]);
  let i = 0;
  for (const srcC of [1, 3, 4])
    for (const [m, ss] of [
      [[1, 0, 0, 0, 1, 0], 1],
      [[2.6, 0, -7, 0, 2.6, -3], 3],
      [[Math.cos(0.3) * 1.7, -Math.sin(0.3) * 1.7, 5, Math.sin(0.3) * 1.7, Math.cos(0.3) * 1.7, -6], 2],
      [[0.7, 0.2, -2, -0.1, 0.8, 1], 1],
      // axis-aligned (the SIMD build's table path): a letterbox-like downscale with borders, a mirror,
      // and a sub-sampling so fine that the tables would fill dst (the general path alone)
      [[1.9, 0, -4, 0, 1.9, -3], 3],
      [[-1.4, 0, 40, 0, 1.3, -2], 2],
      [[1.1, 0, 1, 0, 1.2, 0.5], 40],
    ] as Array<[number[], number]>) {
      const seed = 45100 + i, r = rng(seed);
      const srcW = 37, srcH = 29, dstW = 23, dstH = 19;
      const src = r.fill(new Uint8Array(srcW * srcH * srcC), 0, 255);
      const out = (h: Harness) => {
        h.reset();
        const ps = h.u8(src, i % 4), pd = h.f32out(dstW * dstH * 3);
        h.k.f32_warp_affine_u8(ps, srcW, srcH, srcC, pd, dstW, dstH, m[0], m[1], m[2], m[3], m[4], m[5], ss, 2 / 255, -1, 31);
        h.checkGuards(`warp ${srcC} channels, case ${i}`);
        return h.read(pd, dstW * dstH * 3);
      };
      expectBitEqual(out(s), out(c), { name: `warp seed ${seed} case ${i} srcC ${srcC} ss ${ss}` });
      i++;
    }
});

test.run();
