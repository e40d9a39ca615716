// qs8_conv3x3_winograd (exact int8 Winograd F(2x2, 3x3), weights from src/quant.ts
// packQ8WinogradWeights) against qs8_conv2d with K = 3, stride 1 on the same codes (weights packed
// by packQ8Weights), on every build: f32 outputs equal bit for bit (Float32 bits compared), codes
// equal, bytes outside the outputs untouched; and against the TypeScript reference (exact i32
// accumulation, the kernels' f32 epilogue; sigmoid compared with the reference's tolerance only).
//
// The relaxed-SIMD build (where qs8_conv2d is the relaxed dot-product kernel) runs here when
// relaxedSupported(); on Node 20 this file re-runs itself in a child process with
// --experimental-wasm-relaxed-simd --no-liftoff (DAA_TEST_RELAXED_ONLY=1), as qs8.test.ts does.
import { test } from "uvu";
import { relaxedChildTest } from "../util/relaxed-child.ts";
import * as assert from "uvu/assert";
import { Harness, type Build } from "../util/wasm.ts";
import { rng, type Rng } from "../util/rng.ts";
import { relaxedSupported } from "../../src/kernels.ts";
import { codeStride, packQ8Weights, packQ8WinogradWeights, q8WinogradScratchBytes } from "../../src/quant.ts";
import * as ref from "./reference.ts";

const RELAXED = relaxedSupported();
const RELAXED_ONLY = process.env.DAA_TEST_RELAXED_ONLY === "1";
const DEBUG: Build[] = RELAXED_ONLY ? ["relaxed.debug"] : ["simd.debug", "scalar.debug", ...(RELAXED ? ["relaxed.debug" as Build] : [])];
const RELEASE: Build[] = RELAXED_ONLY ? ["relaxed", "simd", "scalar"] : ["simd", "scalar", ...(RELAXED ? ["relaxed" as Build] : [])];

/** Largest Cs the kernel accepts: 4 * 9 * Cs * 127^2 < 2^31 (assembly/q8/winograd.common.ts). */
const MAX_CS = 3696;

interface WCase {
  Hi: number; Wi: number; Cin: number; Cout: number;
  act: number; res: 0 | 1 | 2; // 0 none, 1 separate buffer, 2 res === y
  y: boolean; yq: boolean;
  xExtra: number; // xW = Wi + xExtra (garbage codes in the extra columns)
  yExtra: number; // yW = OW + yExtra
  yCsExtra: number; off: boolean;
}

// Sizes around the 2x2 tile and the 4-tile register tile / 16-tile group: OH, OW in 1..16
const HS = [3, 4, 5, 6, 7, 10, 11, 18];
const CS = [4, 8, 12, 16, 64];
const CO = [1, 3, 4, 7, 8, 9, 16, 17];

function cases(): WCase[] {
  const out: WCase[] = [];
  // 128 cases: every (Hi, Wi) pair twice; (Cs, Cout) runs through all 40 pairs (i % 5, i % 8);
  // Cin = Cs, Cs - 1 or Cs - 3 (channel padding); act x res x output mode rotate.
  for (let i = 0; i < 128; i++) {
    const Hi = HS[i % 8], Wi = HS[(Math.floor(i / 8) + i) % 8];
    const Cs = CS[i % 5], Cout = CO[i % 8];
    const Cin = Math.max(1, Cs - [0, 0, 1, 3][Math.floor(i / 5) % 4]);
    const mode = Math.floor(i / 9) % 3;
    const y = mode !== 1, yq = mode !== 2;
    const res = (Math.floor(i / 3) % 3) as 0 | 1 | 2;
    out.push({
      Hi, Wi, Cin, Cout, act: i % 3 === 2 && i % 7 === 0 ? 3 : i % 3, res: res === 2 && !y ? 1 : res, y, yq,
      xExtra: i % 4 === 1 ? 3 : 0, yExtra: i % 5 === 2 ? 2 : 0, yCsExtra: i % 6 === 3 ? 4 : 0, off: i % 7 === 4,
    });
  }
  return out;
}
const ALL = cases();

interface Data {
  x: Uint8Array; w: Int8Array; ms: Float32Array; b: Float32Array; res: Float32Array | null;
  yInv: number; yOff: number; OH: number; OW: number;
}

function makeData(c: WCase, r: Rng, fillX?: (k: number) => number, fillW?: (k: number) => number): Data {
  const { Hi, Wi, Cin, Cout } = c;
  const OH = Math.max(0, Hi - 2), OW = Math.max(0, Wi - 2);
  const x = new Uint8Array(Hi * Wi * Cin);
  for (let k = 0; k < x.length; k++) x[k] = fillX ? fillX(k) : r.int(0, 127);
  const w = new Int8Array(9 * Cin * Cout);
  for (let k = 0; k < w.length; k++) w[k] = fillW ? fillW(k) : r.int(-127, 127);
  if (!fillX && x.length > 1) { x[0] = 127; x[x.length - 1] = 127; }
  if (!fillW && w.length > 1) { w[0] = 127; w[1] = -127; }
  const n = 9 * Cin;
  const ms = Float32Array.from({ length: Cout }, () => r.uniform(0.5, 2) / (127 * 127 * Math.sqrt(n)) * 2);
  const b = r.fill(new Float32Array(Cout), -0.5, 0.5);
  const res = c.res ? r.fill(new Float32Array(OH * OW * Cout), -1, 1) : null;
  return { x, w, ms, b, res, yInv: Math.fround(127 / 4), yOff: c.off ? Math.fround(-0.375) : 0, OH, OW };
}

interface Out { y: Float32Array | null; q: Uint8Array | null }

/**
 * Runs one kernel (winograd or direct) on case c in a fresh harness state: x codes in an Hi x xW
 * region (garbage 0x33 in padding channels and 0x7f in the columns past Wi), outputs NaN-filled,
 * code buffer 0xee-filled and checked outside OH x OW x Cout. Returns y and the dense codes.
 */
function run(h: Harness, c: WCase, d: Data, wino: boolean, ctx: string): Out {
  const { Hi, Wi, Cin, Cout } = c;
  const { OH, OW } = d;
  const Cs = codeStride(Cin), xW = Wi + c.xExtra;
  h.reset();
  const px = h.alloc(Hi * xW * Cs, 0, 0x7f);
  const m8 = () => new Uint8Array(h.memory.buffer);
  for (let yy = 0; yy < Hi; yy++) for (let xx = 0; xx < Wi; xx++) for (let ci = 0; ci < Cs; ci++)
    m8()[px + (yy * xW + xx) * Cs + ci] = ci < Cin ? d.x[(yy * Wi + xx) * Cin + ci] : 0x33;
  let pw: number;
  if (wino) {
    const u = packQ8WinogradWeights(d.w, Cin, Cout);
    pw = h.alloc(u.byteLength);
    new Int16Array(h.memory.buffer, pw, u.length).set(u);
  } else {
    const p = packQ8Weights(d.w, 3, Cin, Cout);
    pw = h.alloc(p.length);
    new Int8Array(h.memory.buffer, pw, p.length).set(p);
  }
  const pms = h.f32(d.ms), pb = h.f32(d.b);
  const nY = OH * OW * Cout;
  const py = c.y ? h.f32out(Math.max(1, nY)) : 0;
  let pr = 0;
  if (d.res && c.res === 1) pr = h.f32(d.res);
  if (d.res && c.res === 2) { h.write(py, d.res); pr = py; }
  const yCs = codeStride(Cout) + c.yCsExtra, yW = OW + c.yExtra;
  const yqBytes = Math.max(1, OH * yW * yCs);
  const pyq = c.yq ? h.alloc(yqBytes, 0, 0xee) : 0;
  const pws = wino ? h.alloc(q8WinogradScratchBytes(Cs, Cout), 0, 0xcd) : 0;
  if (wino) h.k.qs8_conv3x3_winograd(px, Hi, Wi, xW, Cs, pw, Cout, pms, pb, c.act, pr, py, pyq, yW, yCs, d.yInv, d.yOff, pws);
  else h.k.qs8_conv2d(px, Hi, Wi, xW, Cs, pw, Cout, 3, 1, pms, pb, c.act, pr, py, pyq, yW, yCs, d.yInv, d.yOff);
  const what = wino ? "qs8_conv3x3_winograd" : "qs8_conv2d";
  h.checkGuards(`${what} ${ctx}`);
  const out: Out = { y: c.y ? h.read(py, nY) : null, q: null };
  if (c.yq) {
    const m = m8();
    out.q = new Uint8Array(nY);
    for (let yy = 0; yy < OH; yy++) for (let xx = 0; xx < yW; xx++) for (let ch = 0; ch < yCs; ch++) {
      const v = m[pyq + (yy * yW + xx) * yCs + ch];
      if (xx < OW && ch < Cout) out.q[(yy * OW + xx) * Cout + ch] = v;
      else if (v !== 0xee) throw new Error(`${what} wrote outside the output codes at (${yy}, ${xx}, ${ch}): ${v} [${ctx}]`);
    }
  }
  const m = m8();
  for (let k = 0; k < d.x.length; k++) {
    const p = Math.floor(k / Cin), ci = k % Cin, yy = Math.floor(p / Wi), xx = p % Wi;
    if (m[px + (yy * xW + xx) * Cs + ci] !== d.x[k]) throw new Error(`${what}: x codes changed [${ctx}]`);
  }
  return out;
}

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** Winograd vs direct on one build (bit-exact y, equal codes), and vs the TS reference. */
function checkCase(h: Harness, c: WCase, seed: number, idx: number, d?: Data): Out {
  d ??= makeData(c, rng(seed));
  const ctx = `build=${h.build} seed=${seed} case=${idx} shape=${JSON.stringify(c)}`;
  const got = run(h, c, d, true, ctx);
  const want = run(h, c, d, false, ctx);
  const e = ref.qs8Conv2d(d.x, c.Hi, c.Wi, c.Cin, d.w, c.Cout, 3, 1, 0, d.ms, d.b, c.act, d.res, d.yInv, d.yOff);
  if (got.y) {
    const g = bits(got.y), w = bits(want.y!);
    for (let k = 0; k < g.length; k++) {
      if (g[k] !== w[k]) throw new Error(`qs8_conv3x3_winograd y mismatch at index ${k}: expected ${want.y![k]} (0x${w[k].toString(16)}, qs8_conv2d), actual ${got.y[k]} (0x${g[k].toString(16)}) (acc ${e.acc[k]}) [${ctx}]`);
      const ok = c.act === 3 ? Math.abs(got.y[k] - e.y[k]) <= 2e-7 : Object.is(got.y[k], e.y[k]) || got.y[k] === e.y[k];
      if (!ok) throw new Error(`qs8_conv3x3_winograd y mismatch at index ${k}: expected ${e.y[k]} (reference), actual ${got.y[k]} (acc ${e.acc[k]}) [${ctx}]`);
    }
  }
  if (got.q) {
    for (let k = 0; k < got.q.length; k++) {
      if (got.q[k] !== want.q![k]) throw new Error(`qs8_conv3x3_winograd code mismatch at index ${k}: expected ${want.q![k]} (qs8_conv2d), actual ${got.q[k]} (acc ${e.acc[k]}) [${ctx}]`);
      if (c.act === 3 ? Math.abs(got.q[k] - e.q[k]) > 1 : got.q[k] !== e.q[k])
        throw new Error(`qs8_conv3x3_winograd code mismatch at index ${k}: expected ${e.q[k]} (reference), actual ${got.q[k]} (acc ${e.acc[k]}) [${ctx}]`);
    }
  }
  return got;
}

if (RELAXED_ONLY) {
  test("relaxed child: relaxedSupported() accepts this engine", () => assert.ok(RELAXED, "relaxedSupported() is false"));
} else {
  test("qs8 Winograd sweep covers every size, Cs x Cout pair, act x res, output mode and pitch", () => {
    for (const v of HS) {
      assert.ok(new Set(ALL.filter((c) => c.Hi === v).map((c) => c.Wi)).size === HS.length, `Hi=${v} with every Wi`);
    }
    assert.is(new Set(ALL.map((c) => `${codeStride(c.Cin)},${c.Cout}`)).size, CS.length * CO.length);
    assert.ok(ALL.some((c) => c.Cin % 4 !== 0) && ALL.some((c) => codeStride(c.Cin) % 8 === 4 && codeStride(c.Cin) > 4));
    for (const a of [0, 1, 2, 3]) for (const r of [0, 1, 2]) if (a !== 3) assert.ok(ALL.some((c) => c.act === a && c.res === r), `act ${a} res ${r}`);
    assert.ok(ALL.some((c) => c.act === 3));
    for (const [y, yq] of [[true, false], [false, true], [true, true]]) assert.ok(ALL.some((c) => c.y === y && c.yq === yq), `y ${y} yq ${yq}`);
    assert.ok(ALL.some((c) => c.xExtra > 0) && ALL.some((c) => c.yExtra > 0) && ALL.some((c) => c.yCsExtra > 0) && ALL.some((c) => c.off));
  });

  test("packQ8WinogradWeights: [ceil(Cout/8)][16][Cs/2][8][2] = 4 G g G^T, zero padding, i16 range", () => {
    const G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]];
    for (const [Cin, Cout] of [[1, 1], [3, 5], [4, 8], [6, 9], [8, 17]]) {
      const seed = 61000 + Cin * 100 + Cout, r = rng(seed);
      const w = Int8Array.from({ length: 9 * Cin * Cout }, () => r.int(-127, 127));
      const u = packQ8WinogradWeights(w, Cin, Cout);
      const Cs = codeStride(Cin), nb = Math.ceil(Cout / 8);
      assert.is(u.length, nb * 16 * Cs * 8);
      for (let ci = 0; ci < Cs; ci++) for (let co = 0; co < nb * 8; co++) for (let xi = 0; xi < 16; xi++) {
        const got = u[(((co >> 3) * 16 + xi) * (Cs >> 1) + (ci >> 1)) * 16 + (co & 7) * 2 + (ci & 1)];
        let want = 0;
        if (ci < Cin && co < Cout)
          for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) want += 4 * G[xi >> 2][i] * w[((i * 3 + j) * Cin + ci) * Cout + co] * G[xi & 3][j];
        if (got !== want) throw new Error(`packQ8WinogradWeights seed=${seed} Cin=${Cin} Cout=${Cout} ci=${ci} co=${co} xi=${xi}: expected ${want}, actual ${got}`);
      }
    }
    const ext = packQ8WinogradWeights(new Int8Array(9).fill(127), 1, 1);
    assert.is(Math.max(...ext), 9 * 127);
    assert.throws(() => packQ8WinogradWeights(new Int8Array(10), 1, 1), /packQ8WinogradWeights: expected 9 codes, got 10/);
  });
}

for (const build of DEBUG) {
  test(`qs8_conv3x3_winograd ${build}: ${ALL.length} shapes, bit-identical to qs8_conv2d (K 3, stride 1) and the reference`, async () => {
    const h = await Harness.create(build);
    ALL.forEach((c, i) => checkCase(h, c, 62000 + i, i));
  });
}

test(`qs8_conv3x3_winograd release builds (${RELEASE.join(", ")}): bit-identical to qs8_conv2d, to the reference and to each other`, async () => {
  const hs = await Promise.all(RELEASE.map((b) => Harness.create(b)));
  const base = { xExtra: 0, yExtra: 0, yCsExtra: 0, off: false };
  const big: WCase[] = [
    { ...base, Hi: 34, Wi: 34, Cin: 64, Cout: 64, act: 1, res: 0, y: false, yq: true },
    { ...base, Hi: 18, Wi: 23, Cin: 36, Cout: 44, act: 2, res: 2, y: true, yq: true, xExtra: 5, yExtra: 1, off: true },
    { ...base, Hi: 10, Wi: 10, Cin: 128, Cout: 72, act: 1, res: 1, y: true, yq: true },
    { ...base, Hi: 9, Wi: 40, Cin: 12, Cout: 9, act: 3, res: 0, y: true, yq: true },
  ];
  const list = [...ALL.filter((_, i) => i % 2 === 0), ...big];
  list.forEach((c, i) => {
    const seed = 63000 + i;
    const outs = hs.map((h) => checkCase(h, c, seed, i));
    for (let k = 1; k < outs.length; k++) {
      const ctx = `${RELEASE[k]} vs ${RELEASE[0]} seed=${seed} case=${i} shape=${JSON.stringify(c)}`;
      if (outs[0].y) {
        const a = bits(outs[0].y), b = bits(outs[k].y!);
        for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) throw new Error(`y differs at ${j}: expected ${outs[0].y[j]}, actual ${outs[k].y![j]} [${ctx}]`);
      }
      if (outs[0].q) for (let j = 0; j < outs[0].q.length; j++)
        if (outs[k].q![j] !== outs[0].q[j]) throw new Error(`codes differ at ${j}: expected ${outs[0].q[j]}, actual ${outs[k].q![j]} [${ctx}]`);
    }
  });
});

// Worst cases for the i32 arithmetic: extreme codes make |V| and |U'| maximal (508 and 1143) and
// the direct accumulator reach 9 * Cs * 127^2, up to Cs = 3696, the documented limit: there
// |M| = 4 * |acc| = 2146060224, just under 2^31.
const WORST: [string, (k: number, C: number) => number, (k: number) => number][] = [
  ["x 127, w +127", () => 127, () => 127],
  ["x 127, w -127", () => 127, () => -127],
  ["x 127, w alternating", () => 127, (k) => (k & 1 ? -127 : 127)],
  ["x checkerboard 0/127, w alternating by tap", (k, C) => ((Math.floor(k / C) & 1) ? 0 : 127), (k) => ((k * 7) % 3 === 0 ? -127 : 127)],
  ["x random 0/127, w random +-127", (k) => ((Math.imul(k, 2654435761) >>> 13) & 1 ? 127 : 0), (k) => ((Math.imul(k, 40503) >>> 11) & 1 ? 127 : -127)],
];
for (const build of [...DEBUG, ...RELEASE]) {
  test(`qs8_conv3x3_winograd ${build}: worst-case codes at Cs = 512 and ${MAX_CS}, exact vs qs8_conv2d`, async () => {
    const h = await Harness.create(build, 256);
    let idx = 0;
    for (const Cs of [512, MAX_CS]) for (const [name, fx, fw] of WORST) {
      const seed = 64000 + idx;
      const c: WCase = { Hi: 6, Wi: 7, Cin: Cs, Cout: 9, act: 0, res: 0, y: true, yq: true, xExtra: 1, yExtra: 0, yCsExtra: 0, off: false };
      // the quantised output saturates; y carries the exact accumulator scaled by ms
      const d = makeData(c, rng(seed), (k) => fx(k, Cs), fw);
      const got = checkCase(h, c, seed, idx, d);
      const e = ref.qs8Conv2d(d.x, c.Hi, c.Wi, c.Cin, d.w, c.Cout, 3, 1, 0, d.ms, d.b, 0, null, d.yInv, d.yOff);
      const maxAcc = e.acc.reduce((m, a) => Math.max(m, Math.abs(a)), 0);
      if (name.startsWith("x 127, w +") || name.startsWith("x 127, w -")) assert.is(maxAcc, 9 * Cs * 127 * 127, `${name} Cs=${Cs}: max |acc|`);
      assert.ok(got.y !== null, name);
      idx++;
    }
  });
}

for (const build of DEBUG) {
  test(`qs8_conv3x3_winograd ${build}: bad arguments abort (Cs bound, Cs % 4, xW, buffers)`, async () => {
    const h = await Harness.create(build, 256);
    const Cs = 3700, Hi = 4, Wi = 4, Cout = 4;
    const x = h.alloc(Hi * Wi * Cs, 0, 0), u = h.alloc(16 * Cs * 16, 0, 0), ms = h.f32(new Float32Array(8)), b = h.f32(new Float32Array(8));
    const y = h.f32out(4 * Cout), yq = h.alloc(4 * 8, 0, 0), ws = h.alloc(q8WinogradScratchBytes(Cs, Cout), 0, 0);
    const cases: [() => void, RegExp][] = [
      [() => h.k.qs8_conv3x3_winograd(x, Hi, Wi, Wi, Cs, u, Cout, ms, b, 0, 0, y, 0, 0, 0, 1, 0, ws), /qs8_conv3x3_winograd: Cs must be <= 3696/],
      [() => h.k.qs8_conv3x3_winograd(x, Hi, Wi, Wi, 6, u, Cout, ms, b, 0, 0, y, 0, 0, 0, 1, 0, ws), /qs8_conv3x3_winograd: Cs must be a multiple of 4/],
      [() => h.k.qs8_conv3x3_winograd(x, Hi, Wi, Wi - 1, 8, u, Cout, ms, b, 0, 0, y, 0, 0, 0, 1, 0, ws), /qs8_conv3x3_winograd: xW must be >= Wi/],
      [() => h.k.qs8_conv3x3_winograd(x, Hi, Wi, Wi, 8, u, Cout, ms, b, 4, 0, y, 0, 0, 0, 1, 0, ws), /qs8_conv3x3_winograd: act must be 0..3/],
      [() => h.k.qs8_conv3x3_winograd(x, Hi, Wi, Wi, 8, u, Cout, ms, b, 0, 0, 0, 0, 0, 0, 1, 0, ws), /qs8_conv3x3_winograd: y and yq are both 0/],
      [() => h.k.qs8_conv3x3_winograd(x, Hi, Wi, Wi, 8, u, Cout, ms, b, 0, 0, y, 0, 0, 0, 1, 0, h.memory.buffer.byteLength - 64), /qs8_conv3x3_winograd: ws out of bounds/],
      [() => h.k.qs8_conv3x3_winograd(x, Hi, Wi, Wi, 8, u, Cout, ms, b, 0, 0, y, yq, 1, 4, 1, 0, ws), /qs8_conv3x3_winograd: yW >= OW/],
    ];
    cases.forEach(([fn, re], i) => assert.throws(fn, re, `${build} case ${i}: expected ${re}`));
    // control: the largest Cs runs
    h.k.qs8_conv3x3_winograd(x, Hi, Wi, Wi, MAX_CS, u, Cout, ms, b, 0, 0, y, 0, 0, 0, 1, 0, ws);
    h.checkGuards(build);
  });
}

test("qs8_conv3x3_winograd: Hi < 3 or Wi < 3 writes nothing, on every build", async () => {
  for (const build of [...DEBUG, ...RELEASE]) {
    const h = await Harness.create(build);
    for (const [Hi, Wi] of [[1, 1], [2, 2], [1, 9], [2, 12], [9, 1], [12, 2]]) {
      h.reset();
      const Cs = 8, Cout = 9, n = 4 * Math.max(Hi, Wi) * Cout;
      const x = h.alloc(Hi * Wi * Cs, 0, 5), u = h.alloc(2 * 16 * Cs * 16, 0, 1);
      const ms = h.f32(new Float32Array(Cout).fill(1)), b = h.f32(new Float32Array(Cout));
      const y = h.f32out(n), yq = h.alloc(n, 0, 0xee), ws = h.alloc(q8WinogradScratchBytes(Cs, Cout), 0, 0xcd);
      h.k.qs8_conv3x3_winograd(x, Hi, Wi, Wi, Cs, u, Cout, ms, b, 1, 0, y, yq, Wi, 12, 1, 0, ws);
      const m = new Uint8Array(h.memory.buffer);
      const iy = h.read(y, n).findIndex((v) => !Number.isNaN(v));
      assert.ok(iy < 0, `${build} Hi=${Hi} Wi=${Wi}: y written at ${iy}`);
      for (let k = 0; k < n; k++) assert.is(m[yq + k], 0xee, `${build} Hi=${Hi} Wi=${Wi}: yq written at ${k}`);
      for (let k = 0; k < q8WinogradScratchBytes(Cs, Cout); k++) if (m[ws + k] !== 0xcd) throw new Error(`${build} Hi=${Hi} Wi=${Wi}: ws written at ${k}`);
      h.checkGuards(build);
    }
  }
});

if (!RELAXED && !RELAXED_ONLY) relaxedChildTest(test, /qs8-winograd\.test\.ts$/, 5);

test.run();
