import { test } from "uvu";
import * as assert from "uvu/assert";
import { Harness, DEBUG_BUILDS, RELEASE_BUILDS } from "../util/wasm.ts";
import { rng } from "../util/rng.ts";
import { expectClose, TOL } from "../util/expect.ts";
import * as ref from "./reference.ts";

const CH = [1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65, 128];

for (const build of [...DEBUG_BUILDS, ...RELEASE_BUILDS]) {
  test(`f32_fc ${build}: Cin x Cout x act sweep`, async () => {
    const h = await Harness.create(build);
    let i = 0;
    for (const Cin of CH) for (const Cout of CH) {
      const a = i % 4;
      const seed = 6000 + i, r = rng(seed);
      const x = r.fill(new Float32Array(Cin), -1, 1);
      const ws = 2 / Math.sqrt(Cin);
      const w = r.fill(new Float32Array(Cin * Cout), -ws, ws);
      const b = r.fill(new Float32Array(Cout), -1, 1);
      h.reset();
      const px = h.f32(x), pw = h.f32(w), pb = h.f32(b), py = h.f32out(Cout);
      h.k.f32_fc(px, Cin, pw, pb, py, Cout, a);
      expectClose(h.read(py, Cout), ref.fc(x, Cin, w, b, Cout, a), TOL.fc(Cin), { build, seed, caseIndex: i, shape: { Cin, Cout, act: a } });
      h.checkGuards();
      i++;
    }
  });
}

test("f32_fc: sigmoid and hard-swish at the extremes (saturation, 0, +-3)", async () => {
  const xs = [-200, -104, -90, -88, -87.5, -30, -3, -2.5, -1e-3, -0, 0, 1e-3, 2.5, 3, 30, 87.5, 88, 88.7, 89, 200, 1e-30, -1e-30];
  for (const build of [...DEBUG_BUILDS, ...RELEASE_BUILDS]) {
    const h = await Harness.create(build);
    for (const a of [1, 2, 3]) {
      // y = act(b) with Cin = 1, x = 0: feeds the raw values through the activation
      h.reset();
      const Cout = xs.length;
      const px = h.f32([0]), pw = h.f32(new Float32Array(Cout)), pb = h.f32(xs), py = h.f32out(Cout);
      h.k.f32_fc(px, 1, pw, pb, py, Cout, a);
      const got = h.read(py, Cout);
      const want = xs.map((v) => ref.act(Math.fround(v), a));
      expectClose(got, want, { abs: 1e-7, rel: 4e-7 }, { build, act: a });
      if (a === 3) for (const v of got) assert.ok(v >= 0 && v <= 1, `sigmoid out of range: ${v}`);
    }
  }
});

test.run();
