// Kernels whose SIMD variant uses exactly the scalar twin's per-element operation order must give
// bit-identical results in the two release builds (conv2d is excluded: its single-pixel tiles
// split the tap sum even/odd, which changes rounding).
import { test } from "uvu";
import { Harness } from "../util/wasm.ts";
import { rng } from "../util/rng.ts";
import { expectBitEqual } from "../util/expect.ts";
import { codeStride, packQ8WinogradWeights, q8WinogradScratchBytes } from "../../src/quant.ts";

type Run = (h: Harness, seed: number) => Float32Array;

function both(name: string, run: Run, n = 12): void {
  test(`${name}: simd and scalar release builds are bit-identical`, async () => {
    const s = await Harness.create("simd"), c = await Harness.create("scalar");
    for (let i = 0; i < n; i++) {
      s.reset(); c.reset();
      expectBitEqual(run(s, 16000 + i), run(c, 16000 + i), { name, seed: 16000 + i, caseIndex: i });
    }
  });
}

const shape = (seed: number) => { const r = rng(seed); return { r, HW: r.int(1, 40), C: r.int(1, 70) }; };

both("f32_avgpool2x2", (h, seed) => {
  const r = rng(seed), H = r.int(1, 12), W = r.int(1, 12), C = r.int(1, 40);
  const px = h.f32(r.fill(new Float32Array(H * W * C), -3, 3)), py = h.f32out((H >> 1) * (W >> 1) * C);
  h.k.f32_avgpool2x2(px, H, W, C, py);
  return h.read(py, (H >> 1) * (W >> 1) * C);
});
both("f32_global_avgpool", (h, seed) => {
  const { r, HW, C } = shape(seed);
  const px = h.f32(r.fill(new Float32Array(HW * C), -3, 3)), py = h.f32out(C);
  h.k.f32_global_avgpool(px, HW, C, py);
  return h.read(py, C);
});
both("f32_scale_channels", (h, seed) => {
  const { r, HW, C } = shape(seed);
  const px = h.f32(r.fill(new Float32Array(HW * C), -3, 3)), ps = h.f32(r.fill(new Float32Array(C), 0, 1));
  h.k.f32_scale_channels(px, HW, C, ps);
  return h.read(px, HW * C);
});
both("f32_prelu", (h, seed) => {
  const { r, HW, C } = shape(seed);
  const x = r.fill(new Float32Array(HW * C), -3, 3).map((v, i) => (i % 7 === 0 ? (i % 2 ? -0 : 0) : v));
  const px = h.f32(x), pa = h.f32(r.fill(new Float32Array(C), -1, 1));
  h.k.f32_prelu(px, HW, C, pa);
  return h.read(px, HW * C);
});
both("f32_fc (all activations)", (h, seed) => {
  const r = rng(seed), Cin = r.int(1, 80), Cout = r.int(1, 80), a = seed % 4;
  const px = h.f32(r.fill(new Float32Array(Cin), -1, 1)), pw = h.f32(r.fill(new Float32Array(Cin * Cout), -1, 1));
  const pb = h.f32(r.fill(new Float32Array(Cout), -1, 1)), py = h.f32out(Cout);
  h.k.f32_fc(px, Cin, pw, pb, py, Cout, a);
  return h.read(py, Cout);
});
both("f32_channel_stats", (h, seed) => {
  const { r, HW, C } = shape(seed);
  const px = h.f32(r.fill(new Float32Array(HW * C), -3, 3)), pm = h.f32out(C), ps = h.f32out(C);
  h.k.f32_channel_stats(px, HW, C, pm, ps, 1e-5);
  return Float32Array.from([...h.read(pm, C), ...h.read(ps, C)]);
});
both("f32_normalize", (h, seed) => {
  const { r, HW, C } = shape(seed);
  const px = h.f32(r.fill(new Float32Array(HW * C), -3, 3)), pm = h.f32(r.fill(new Float32Array(C), -1, 1));
  const ps = h.f32(r.fill(new Float32Array(C), 0.1, 2)), py = h.f32out(HW * C);
  h.k.f32_normalize(px, HW, C, pm, ps, py);
  return h.read(py, HW * C);
});
both("f32_daa_delta", (h, seed) => {
  const { r, HW, C } = shape(seed);
  const pc = seed % 2, k = pc ? C : 1;
  const pn = h.f32(r.fill(new Float32Array(HW * C), -3, 3)), pe = h.f32(r.fill(new Float32Array(HW * C), -3, 3));
  const ps = h.f32(r.fill(new Float32Array(k), 0.1, 2)), pt = h.f32(r.fill(new Float32Array(k), -1, 1)), py = h.f32out(HW * C);
  h.k.f32_daa_delta(pn, pe, HW, C, ps, pt, pc, py);
  return h.read(py, HW * C);
});
both("f32_daa_head", (h, seed) => {
  const r = rng(seed), HW = r.int(1, 50), F = r.int(1, 70), T = r.int(0, 9);
  const arr = (n: number, lo: number, hi: number) => h.f32(r.fill(new Float32Array(n), lo, hi));
  const Fpos = r.int(0, F);
  const pa = arr(HW * F, -1, 1), pb = arr(HW * F, -1, 1), pc = arr(HW * F, -1, 1);
  const pt = arr(T, -1, 1), ps = arr(T, 0.3, 2), page = arr(T, 1, 80), po = h.f32out(T);
  h.k.f32_daa_head(pa, pb, pc, HW, F, Fpos, 0.25, pt, ps, page, T, po);
  return h.read(po, T);
});
both("f32_resize_bilinear_u8", (h, seed) => {
  const r = rng(seed), sw = r.int(1, 90), sh = r.int(1, 90), sc = [1, 3, 4][seed % 3], dw = r.int(1, 70), dh = r.int(1, 70);
  const ps = h.u8(r.fill(new Uint8Array(sw * sh * sc), 0, 255)), pd = h.f32out(dw * dh * 3);
  h.k.f32_resize_bilinear_u8(ps, sw, sh, sc, pd, dw, dh);
  return h.read(pd, dw * dh * 3);
});

both("qs8_conv3x3_winograd (y, then the codes as floats)", (h, seed) => {
  const r = rng(seed), Hi = r.int(3, 21), Wi = r.int(3, 21), Cin = r.int(1, 70), Cout = r.int(1, 40), a = seed % 4;
  const Cs = codeStride(Cin), OH = Hi - 2, OW = Wi - 2, n = OH * OW * Cout;
  const px = h.u8(r.fill(new Uint8Array(Hi * Wi * Cs), 0, 127));
  const w = Int8Array.from({ length: 9 * Cin * Cout }, () => r.int(-127, 127));
  const u = packQ8WinogradWeights(w, Cin, Cout), pu = h.alloc(u.byteLength);
  new Int16Array(h.memory.buffer, pu, u.length).set(u);
  const pms = h.f32(Float32Array.from({ length: Cout }, () => r.uniform(0.5, 2) / (127 * 127 * Math.sqrt(9 * Cin)))), pb = h.f32(r.fill(new Float32Array(Cout), -0.5, 0.5));
  const pr = seed % 2 ? h.f32(r.fill(new Float32Array(n), -1, 1)) : 0, py = h.f32out(n), nq = OH * OW * codeStride(Cout), pq = h.alloc(nq, 0, 0);
  h.k.qs8_conv3x3_winograd(px, Hi, Wi, Wi, Cs, pu, Cout, pms, pb, a, pr, py, pq, OW, codeStride(Cout), Math.fround(127 / 4), 0, h.alloc(q8WinogradScratchBytes(Cs, Cout)));
  return Float32Array.from([...h.read(py, n), ...new Uint8Array(h.memory.buffer, pq, nq)]);
});

test.run();
