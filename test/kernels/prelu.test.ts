// f32_prelu: in place x[p, c] = x > 0 ? x : alpha[c] * x. One f32 multiply per element, so every
// build must match the reference exactly (Object.is per element: signed zeros and NaN included).
// x sits between two guard bands of a sentinel pattern (a negative float, which PReLU would change)
// so that a write before or after the tensor shows up, besides the harness's canary after each buffer.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Harness, DEBUG_BUILDS, RELEASE_BUILDS, type Build } from "../util/wasm.ts";
import { rng, type Rng } from "../util/rng.ts";
import { relaxedSupported } from "../../src/kernels.ts";
import * as ref from "./reference.ts";

const CH = [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 128];
const HWS = [1, 2, 3, 4, 5, 64];
const BUILDS: Build[] = [
  ...DEBUG_BUILDS, ...RELEASE_BUILDS,
  ...(relaxedSupported() ? (["relaxed.debug", "relaxed"] as Build[]) : []),
];
const G = 8; // guard floats before and after x
const SENTINEL = 0xbfc01234; // about -1.5: PReLU with alpha != 1 would change it

/** x values: ordinary negatives and positives, signed zeros, large and tiny magnitudes, infinities, NaN. */
function xValue(r: Rng): number {
  const u = r.next(), s = r.next() < 0.5 ? -1 : 1;
  if (u < 0.35) return r.uniform(-4, 4);
  if (u < 0.45) return 0;
  if (u < 0.55) return -0;
  if (u < 0.7) return s * r.uniform(1e30, 3e38); // alpha * x may overflow to -Infinity
  if (u < 0.78) return s * r.uniform(1e-44, 1e-36); // subnormal and tiny: alpha * x may underflow
  if (u < 0.82) return s * Infinity;
  if (u < 0.86) return NaN;
  return r.uniform(-1e6, 1e6);
}

/** Slopes: typical PReLU slopes, zeros of both signs, negative, large (overflow) and tiny (underflow). */
function alphaValue(r: Rng): number {
  const u = r.next();
  if (u < 0.4) return r.uniform(-0.5, 1);
  if (u < 0.5) return 0.25;
  if (u < 0.58) return 0;
  if (u < 0.64) return -0;
  if (u < 0.74) return r.uniform(-3, -1);
  if (u < 0.84) return r.uniform(1e8, 1e12);
  if (u < 0.94) return r.uniform(1e-30, 1e-20);
  if (u < 0.97) return 1;
  return NaN;
}

const fmt = (v: number) => (Object.is(v, -0) ? "-0" : String(v));

for (const build of BUILDS) {
  test(`f32_prelu ${build}: HW x C sweep around the f32x4 tile, exact, in place, alpha and guards untouched`, async () => {
    const h = await Harness.create(build);
    let i = 0;
    for (const HW of HWS) for (const C of CH) {
      const seed = 71000 + i, r = rng(seed), n = HW * C;
      const x = Float32Array.from({ length: n }, () => xValue(r));
      const alpha = Float32Array.from({ length: C }, () => alphaValue(r));
      const want = ref.prelu(x, HW, C, alpha);
      const shape = JSON.stringify({ HW, C });
      h.reset();
      const pa = h.f32(alpha, (i % 2) * 8);
      const region = h.alloc((n + 2 * G) * 4, (i % 4) * 4); // 4-byte alignment only, on some cases
      const guard = new Uint32Array(h.memory.buffer, region, n + 2 * G);
      guard.fill(SENTINEL);
      const px = region + G * 4;
      h.write(px, x);
      h.k.f32_prelu(px, HW, C, pa);
      const y = h.read(px, n);
      for (let k = 0; k < n; k++) {
        if (!Object.is(y[k], want[k])) {
          assert.unreachable(`build=${build} seed=${seed} index=${k} (p=${Math.floor(k / C)}, c=${k % C}) shape=${shape}: ` +
            `x=${fmt(x[k])} alpha=${fmt(alpha[k % C])} expected ${fmt(want[k])}, actual ${fmt(y[k])}`);
        }
      }
      const after = new Uint32Array(h.memory.buffer, region, n + 2 * G);
      for (let k = 0; k < G; k++) {
        for (const at of [k, G + n + k]) {
          if (after[at] !== SENTINEL) {
            assert.unreachable(`build=${build} seed=${seed} shape=${shape}: guard float ${at < G ? at - G : at - G - n} ${at < G ? "before" : "after"} x overwritten: 0x${after[at].toString(16)}`);
          }
        }
      }
      const a2 = h.read(pa, C);
      for (let c = 0; c < C; c++) {
        if (!Object.is(a2[c], alpha[c])) assert.unreachable(`build=${build} seed=${seed} shape=${shape}: alpha[${c}] changed: ${fmt(alpha[c])} -> ${fmt(a2[c])}`);
      }
      h.checkGuards(`prelu ${shape}`);
      i++;
    }
  });
}

test("f32_prelu: signed zeros, NaN, infinities and the slope's sign, spelled out", async () => {
  // alpha per channel: 0.5, -2, 0, -0; x per pixel: -0, +0, -3, 3, NaN, -Infinity, Infinity.
  const alpha = [0.5, -2, 0, -0];
  const xs = [-0, 0, -3, 3, NaN, -Infinity, Infinity];
  const want = [
    [-0, 0, -0, 0], // -0 * a
    [0, -0, 0, -0], // +0 * a
    [-1.5, 6, -0, 0],
    [3, 3, 3, 3],
    [NaN, NaN, NaN, NaN],
    [-Infinity, Infinity, NaN, NaN], // -Infinity * 0 is NaN
    [Infinity, Infinity, Infinity, Infinity],
  ];
  for (const build of BUILDS) {
    const h = await Harness.create(build);
    const x = xs.flatMap((v) => [v, v, v, v]);
    const px = h.f32(x), pa = h.f32(alpha);
    h.k.f32_prelu(px, xs.length, 4, pa);
    const y = h.read(px, x.length);
    xs.forEach((v, p) => want[p].forEach((w, c) => {
      if (!Object.is(y[p * 4 + c], w)) assert.unreachable(`build=${build} x=${fmt(v)} alpha=${fmt(alpha[c])}: expected ${fmt(w)}, actual ${fmt(y[p * 4 + c])}`);
    }));
    h.checkGuards();
  }
});

test.run();
