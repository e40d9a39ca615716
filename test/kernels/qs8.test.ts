// qs8_conv2d and qs8_quantize (the int8 path) against the TypeScript reference (exact integer
// accumulation, the kernels' f32 epilogue step by step), on every build, plus bit-equality of the
// release builds with each other. Codes must be equal exactly; f32 outputs bit-exact (sigmoid,
// evaluated with the kernels' own expf, within 2e-7 and codes within 1).
//
// The relaxed-SIMD build runs here when relaxedSupported() (validation + a known-answer check of the
// relaxed dot product). Node 20 needs --experimental-wasm-relaxed-simd, and its baseline compiler
// miscompiles the dot product (src/kernels.ts), so there this file re-runs its relaxed part in a
// child process with --experimental-wasm-relaxed-simd --no-liftoff (DAA_TEST_RELAXED_ONLY=1), and
// skips with a message where those flags are unknown.
import { test } from "uvu";
import { relaxedChildTest } from "../util/relaxed-child.ts";
import * as assert from "uvu/assert";
import { Harness, type Build } from "../util/wasm.ts";
import { rng } from "../util/rng.ts";
import { relaxedSupported } from "../../src/kernels.ts";
import { codeStride, packQ8Weights } from "../../src/quant.ts";
import * as ref from "./reference.ts";

const RELAXED = relaxedSupported();
const RELAXED_ONLY = process.env.DAA_TEST_RELAXED_ONLY === "1";
const DEBUG: Build[] = RELAXED_ONLY ? ["relaxed.debug"] : ["simd.debug", "scalar.debug", ...(RELAXED ? ["relaxed.debug" as Build] : [])];
const RELEASE: Build[] = RELAXED_ONLY ? ["relaxed", "simd", "scalar"] : ["simd", "scalar", ...(RELAXED ? ["relaxed" as Build] : [])];

interface QCase {
  H: number; W: number; Cin: number; Cout: number; K: number; stride: number; pad: number;
  act: number; res: 0 | 1 | 2; y: boolean; yq: boolean;
  xb: number; yb: number; yExtra: number; off: boolean;
}

const KSP: [number, number, number][] = [];
for (const K of [1, 3]) for (const stride of [1, 2]) for (const pad of [0, 1]) KSP.push([K, stride, pad]);

function cases(): QCase[] {
  const out: QCase[] = [];
  let i = 0;
  const mk = (H: number, W: number, Cin: number, Cout: number, K: number, stride: number, pad: number, j: number): QCase => ({
    H, W, Cin, Cout, K, stride, pad, act: j % 3, res: (j % 3) as 0 | 1 | 2, y: j % 5 !== 1, yq: j % 5 !== 2,
    xb: pad + (j % 4 === 3 ? 1 : 0), yb: j % 3 === 1 ? 1 : 0, yExtra: j % 7 === 0 ? 4 : 0, off: j % 6 === 5 && pad === 0,
  });
  // A: channel grid around the quad (4 bytes), the 8-channel block and the i16 pair / 4-pixel tiles
  for (const Cin of [1, 3, 4, 5, 8, 9, 16, 17, 33]) for (const Cout of [1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33]) {
    const [K, stride, pad] = KSP[i % 8];
    out.push(mk([1, 2, 3, 5, 8, 9, 13][i % 7], [1, 2, 3, 4, 5, 7, 9][(3 * i + 2) % 7], Cin, Cout, K, stride, pad, i));
    i++;
  }
  // B: spatial grid x (K, stride, pad): pixel tiles of 2 (simd) and 4 (relaxed), equal / one below / one above
  const CI = [1, 3, 4, 8, 5], CO = [8, 4, 1, 9, 16, 12, 3, 17, 24];
  for (const H of [1, 2, 3, 4, 5, 7, 9]) for (const W of [1, 2, 3, 4, 5, 6, 7, 9, 10]) for (const [K, stride, pad] of KSP) {
    out.push(mk(H, W, CI[i % 5], CO[i % 9], K, stride, pad, i));
    i++;
  }
  // C: every act x res x output mode x offset on one shape with channel and pixel tails
  for (let a = 0; a < 4; a++) for (const r of [0, 1, 2] as const) for (const mode of [0, 1, 2]) for (const [K, stride, pad] of KSP) {
    const c = mk(9, 13, 5, 13, K, stride, pad, i++);
    out.push({ ...c, act: a, res: r, y: mode !== 1, yq: mode !== 2, off: pad === 0 && a === 2 });
  }
  // D: 1x1 outputs and empty outputs with wide channels
  for (const [H, W, K, stride, pad] of [[1, 1, 1, 1, 0], [1, 1, 3, 1, 1], [1, 1, 3, 2, 1], [3, 3, 3, 1, 0], [2, 2, 3, 2, 1], [1, 2, 3, 1, 0], [2, 1, 1, 2, 0]])
    for (const [Cin, Cout] of [[64, 64], [33, 17], [1, 9], [17, 1]]) out.push(mk(H, W, Cin, Cout, K, stride, pad, i++));
  return out;
}
const ALL = cases();

interface QOut { y: Float32Array | null; q: Uint8Array | null }

function runCase(h: Harness, c: QCase, seed: number, idx: number, check = true): QOut {
  const r = rng(seed);
  const { H, W, Cin, Cout, K, stride, pad } = c;
  const OH = ref.convOut(H, K, stride, pad), OW = ref.convOut(W, K, stride, pad);
  const n = K * K * Cin;
  const x = r.fill(new Uint8Array(H * W * Cin), 0, 127);
  const w = new Int8Array(n * Cout);
  for (let k = 0; k < w.length; k++) w[k] = r.int(-127, 127);
  if (w.length > 1) { w[0] = 127; w[1] = -127; }
  if (x.length > 1) { x[0] = 127; x[x.length - 1] = 127; }
  const ms = Float32Array.from({ length: Cout }, () => r.uniform(0.5, 2) / (127 * 127 * Math.sqrt(n)) * 2);
  const b = r.fill(new Float32Array(Cout), -0.5, 0.5);
  const resMode = c.res === 2 && !c.y ? 1 : c.res;
  const res = resMode ? r.fill(new Float32Array(OH * OW * Cout), -1, 1) : null;
  const yInv = Math.fround(127 / 4), yOff = c.off ? Math.fround(-0.375) : 0;
  h.reset();
  // x codes stored with a border of xb pixels; spatial border zero within `pad`, garbage beyond (must not be read),
  // channel padding lanes garbage (their weights are zero)
  const Cs = codeStride(Cin), pitch = W + 2 * c.xb;
  const xbytes = (H + 2 * c.xb) * pitch * Cs;
  const px = h.alloc(xbytes, 0, 0x55);
  const mem = () => new Uint8Array(h.memory.buffer);
  for (let yy = -c.xb; yy < H + c.xb; yy++) for (let xx = -c.xb; xx < W + c.xb; xx++) {
    const p = px + ((yy + c.xb) * pitch + (xx + c.xb)) * Cs;
    const inside = yy >= 0 && yy < H && xx >= 0 && xx < W;
    const inPad = yy >= -pad && yy < H + pad && xx >= -pad && xx < W + pad;
    for (let ci = 0; ci < Cs; ci++) {
      if (inside) mem()[p + ci] = ci < Cin ? x[(yy * W + xx) * Cin + ci] : 0x33;
      else if (inPad) mem()[p + ci] = 0;
    }
  }
  const packed = packQ8Weights(w, K, Cin, Cout);
  const pw = h.alloc(packed.length);
  new Int8Array(h.memory.buffer, pw, packed.length).set(packed);
  const pms = h.f32(ms), pb = h.f32(b);
  const py = c.y ? h.f32out(OH * OW * Cout) : 0;
  let pr = 0;
  if (res && resMode === 1) pr = h.f32(res);
  if (res && resMode === 2) { h.write(py, res); pr = py; }
  const yCs = codeStride(Cout) + c.yExtra, yPitch = OW + 2 * c.yb;
  const yqBytes = Math.max(1, (OH + 2 * c.yb) * yPitch * yCs);
  const pyq = c.yq ? h.alloc(yqBytes, 0, 0xee) : 0;
  const xo = px + ((c.xb - pad) * pitch + (c.xb - pad)) * Cs;
  const yo = pyq ? pyq + (c.yb * yPitch + c.yb) * yCs : 0;
  h.k.qs8_conv2d(xo, H + 2 * pad, W + 2 * pad, pitch, Cs, pw, Cout, K, stride, pms, pb, c.act, pr, py, yo, yPitch, yCs, yInv, yOff);
  const ctx = `build=${h.build} seed=${seed} case=${idx} shape=${JSON.stringify(c)}`;
  h.checkGuards(ctx);
  const out: QOut = { y: null, q: null };
  const e = ref.qs8Conv2d(x, H, W, Cin, w, Cout, K, stride, pad, ms, b, c.act, res, yInv, yOff);
  if (c.y) {
    out.y = h.read(py, OH * OW * Cout);
    if (check) for (let k = 0; k < out.y.length; k++) {
      const a = out.y[k], ex = e.y[k];
      const ok = c.act === 3 ? Math.abs(a - ex) <= 2e-7 : Object.is(a, ex) || a === ex;
      if (!ok) throw new Error(`qs8_conv2d y mismatch at index ${k}: expected ${ex}, actual ${a} (acc ${e.acc[k]}) [${ctx}]`);
    }
  }
  if (c.yq) {
    const m = mem();
    out.q = new Uint8Array(OH * OW * Cout);
    for (let yy = -c.yb; yy < OH + c.yb; yy++) for (let xx = -c.yb; xx < OW + c.yb; xx++) for (let ch = 0; ch < yCs; ch++) {
      const v = m[pyq + ((yy + c.yb) * yPitch + (xx + c.yb)) * yCs + ch];
      const inside = yy >= 0 && yy < OH && xx >= 0 && xx < OW && ch < Cout;
      if (!inside) {
        if (v !== 0xee) throw new Error(`qs8_conv2d wrote outside the output codes at (${yy}, ${xx}, ${ch}): ${v} [${ctx}]`);
        continue;
      }
      const k = (yy * OW + xx) * Cout + ch;
      out.q[k] = v;
      const ex = e.q[k];
      if (check && (c.act === 3 ? Math.abs(v - ex) > 1 : v !== ex))
        throw new Error(`qs8_conv2d code mismatch at index ${k}: expected ${ex}, actual ${v} (y ${e.y[k]}) [${ctx}]`);
    }
  }
  const xAfter = mem().subarray(px, px + xbytes);
  for (let k = 0; k < x.length; k++) {
    const p = Math.floor(k / Cin), ci = k % Cin;
    const yy = Math.floor(p / W), xx = p % W;
    if (xAfter[((yy + c.xb) * pitch + (xx + c.xb)) * Cs + ci] !== x[k]) throw new Error(`x codes changed [${ctx}]`);
  }
  return out;
}

if (RELAXED_ONLY) {
  test("relaxed child: relaxedSupported() accepts this engine", () => assert.ok(RELAXED, "relaxedSupported() is false"));
} else {
  test("qs8 sweep covers pixel/channel tails, every K/stride/pad/act/res, offsets, output modes", () => {
    const key = (c: QCase) => `${c.K}${c.stride}${c.pad}${c.act}${c.res}${c.y}${c.yq}`;
    assert.ok(new Set(ALL.map(key)).size >= 8 * 4 * 3 * 3 - 8 * 4 /* res=y needs y */);
    assert.ok(ALL.some((c) => ref.convOut(c.H, c.K, c.stride, c.pad) === 0));
    for (const ow of [1, 2, 3, 4, 5, 8]) assert.ok(ALL.some((c) => ref.convOut(c.W, c.K, c.stride, c.pad) === ow), `OW ${ow}`);
    for (const co of [7, 8, 9, 15, 16, 17]) assert.ok(ALL.some((c) => c.Cout === co), `Cout ${co}`);
    assert.ok(ALL.some((c) => c.off) && ALL.some((c) => c.xb > c.pad) && ALL.some((c) => c.yExtra > 0));
  });
}

for (const build of DEBUG) {
  test(`qs8_conv2d ${build}: ${ALL.length} shapes vs reference (codes exact, f32 bit-exact)`, async () => {
    const h = await Harness.create(build);
    ALL.forEach((c, i) => runCase(h, c, 31000 + i, i));
  });
}

test(`qs8_conv2d release builds (${RELEASE.join(", ")}): bit-identical to each other and to the reference`, async () => {
  const hs = await Promise.all(RELEASE.map((b) => Harness.create(b)));
  const big: QCase[] = [
    { H: 23, W: 23, Cin: 32, Cout: 32, K: 3, stride: 1, pad: 0, act: 2, res: 0, y: true, yq: true, xb: 0, yb: 0, yExtra: 0, off: true },
    { H: 16, W: 16, Cin: 64, Cout: 128, K: 3, stride: 2, pad: 1, act: 1, res: 0, y: false, yq: true, xb: 1, yb: 1, yExtra: 0, off: false },
    { H: 8, W: 8, Cin: 128, Cout: 128, K: 3, stride: 1, pad: 1, act: 1, res: 1, y: true, yq: true, xb: 1, yb: 1, yExtra: 0, off: false },
    { H: 16, W: 16, Cin: 64, Cout: 128, K: 1, stride: 2, pad: 0, act: 0, res: 0, y: true, yq: false, xb: 1, yb: 0, yExtra: 0, off: false },
  ];
  const list = [...ALL.filter((_, i) => i % 3 === 0), ...big];
  list.forEach((c, i) => {
    const outs = hs.map((h) => runCase(h, c, 47000 + i, i));
    for (let k = 1; k < outs.length; k++) {
      const ctx = `${RELEASE[k]} vs ${RELEASE[0]} seed=${47000 + i} case=${i} shape=${JSON.stringify(c)}`;
      if (outs[0].y) for (let j = 0; j < outs[0].y.length; j++)
        if (!Object.is(outs[k].y![j], outs[0].y[j])) throw new Error(`y differs at ${j}: ${outs[0].y[j]} vs ${outs[k].y![j]} [${ctx}]`);
      if (outs[0].q) for (let j = 0; j < outs[0].q.length; j++)
        if (outs[k].q![j] !== outs[0].q[j]) throw new Error(`codes differ at ${j}: ${outs[0].q[j]} vs ${outs[k].q![j]} [${ctx}]`);
    }
  });
});

for (const build of [...DEBUG, ...RELEASE]) {
  test(`qs8_quantize ${build}: exact codes (ties to even, clamp, NaN -> 0), untouched padding`, async () => {
    const h = await Harness.create(build);
    let idx = 0;
    for (const C of [1, 2, 3, 4, 5, 7, 8, 9, 16, 17]) for (const [H, W] of [[1, 1], [2, 3], [5, 4]]) for (const [inv, off] of [[1, 0], [31.75, 0], [20, -0.375]]) {
      const seed = 52000 + idx++;
      const r = rng(seed);
      const x = r.fill(new Float32Array(H * W * C), -1, 5);
      for (let k = 0; k < x.length; k += 3) x[k] = Math.fround((r.int(-3, 130) + 0.5) / inv + off); // exact-ish ties
      if (x.length > 2) { x[1] = NaN; x[2] = 1e30; }
      const yW = W + (idx % 2), yCs = codeStride(C) + (idx % 3 === 0 ? 4 : 0);
      h.reset();
      const px = h.f32(x), pq = h.alloc(H * yW * yCs, 0, 0xee);
      h.k.qs8_quantize(px, H, W, C, pq, yW, yCs, Math.fround(inv), Math.fround(off));
      h.checkGuards();
      const m = new Uint8Array(h.memory.buffer);
      for (let yy = 0; yy < H; yy++) for (let xx = 0; xx < yW; xx++) for (let c = 0; c < yCs; c++) {
        const v = m[pq + (yy * yW + xx) * yCs + c];
        const ex = xx < W && c < C ? ref.quantCode(x[(yy * W + xx) * C + c], Math.fround(inv), Math.fround(off)) : 0xee;
        if (v !== ex) throw new Error(`qs8_quantize ${build} at (${yy},${xx},${c}): expected ${ex}, actual ${v} (x ${x[(yy * W + xx) * C + c]}) seed=${seed}`);
      }
    }
  });
}

if (!RELAXED && !RELAXED_ONLY) relaxedChildTest(test, /(qs8|conv2d)\.test\.ts$/, 8);

test.run();
