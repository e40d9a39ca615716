import { test } from "uvu";
import * as assert from "uvu/assert";
import { Harness, DEBUG_BUILDS, RELEASE_BUILDS } from "../util/wasm.ts";
import { rng } from "../util/rng.ts";

// f32_copy_padded is a copy: exact. The border must stay as the caller left it (here the
// harness's NaN fill, so a stray write shows up as a number).
for (const build of [...DEBUG_BUILDS, ...RELEASE_BUILDS]) {
  test(`f32_copy_padded ${build}: H x W x C x pad sweep, interior exact, border untouched`, async () => {
    const h = await Harness.create(build);
    let i = 0;
    for (const [H, W] of [[1, 1], [1, 7], [3, 1], [8, 8], [7, 9], [10, 3]]) for (const C of [1, 3, 4, 5, 32]) for (const pad of [0, 1, 2]) {
      const seed = 14000 + i++, r = rng(seed);
      const x = r.fill(new Float32Array(H * W * C), -10, 10);
      const PH = H + 2 * pad, PW = W + 2 * pad;
      h.reset();
      const px = h.f32(x), py = h.f32out(PH * PW * C, (i % 2) * 4);
      h.k.f32_copy_padded(px, H, W, C, pad, py);
      const y = h.read(py, PH * PW * C);
      for (let yy = 0; yy < PH; yy++) for (let xx = 0; xx < PW; xx++) for (let c = 0; c < C; c++) {
        const o = (yy * PW + xx) * C + c;
        const inside = yy >= pad && yy < pad + H && xx >= pad && xx < pad + W;
        const want = inside ? x[((yy - pad) * W + (xx - pad)) * C + c] : NaN;
        const ok = inside ? Object.is(y[o], want) : Number.isNaN(y[o]);
        if (!ok) assert.unreachable(`build=${build} seed=${seed} index=${o} shape=${JSON.stringify({ H, W, C, pad })}: expected ${want}, actual ${y[o]}`);
      }
      h.checkGuards();
    }
  });
}

test.run();
