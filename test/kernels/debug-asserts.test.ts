// The debug builds validate arguments and buffer bounds and abort with a descriptive Error.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Harness, DEBUG_BUILDS } from "../util/wasm.ts";

for (const build of DEBUG_BUILDS) {
  test(`${build}: bad arguments abort with the kernel name in the message`, async () => {
    const h = await Harness.create(build, 4);
    const end = h.memory.buffer.byteLength;
    const x = h.f32out(64), w = h.f32out(64), b = h.f32out(8), y = h.f32out(64);
    const cases: [() => void, RegExp][] = [
      [() => h.k.f32_conv2d(x, 2, 2, 1, w, b, y, 1, 3, 3, 0, 0, 0), /f32_conv2d: stride must be 1 or 2/],
      [() => h.k.f32_conv2d(x, 2, 2, 1, w, b, y, 1, 3, 1, 2, 0, 0), /f32_conv2d: pad must be 0 or 1/],
      [() => h.k.f32_conv2d(x, 2, 2, 0, w, b, y, 1, 1, 1, 0, 0, 0), /f32_conv2d: H, W, Cin, Cout must be >= 1/],
      [() => h.k.f32_conv2d(x, 2, 2, 1, w, b, y, 1, 1, 1, 0, 9, 0), /f32_conv2d: act/],
      [() => h.k.f32_conv2d(x + 2, 2, 2, 1, w, b, y, 1, 1, 1, 0, 0, 0), /f32_conv2d: x out of bounds or misaligned/],
      [() => h.k.f32_conv2d(x, 2, 2, 1, w, b, end - 8, 4, 1, 1, 0, 0, 0), /f32_conv2d: y out of bounds/],
      [() => h.k.f32_conv2d(x, 2, 2, 1, w, b, x + 4, 1, 1, 1, 0, 0, 0), /f32_conv2d: y must not alias x/],
      [() => h.k.f32_conv2d(x, 2, 2, 1, w, b, y, 1, 1, 1, 0, 0, y + 4), /f32_conv2d: res must be y or not overlap y/],
      [() => h.k.f32_fc(x, 4, w, b, y, 4, 5), /f32_fc: act must be 0..3/],
      [() => h.k.f32_fc(x, 4, w, b, x, 4, 0), /f32_fc: y must not alias x/],
      [() => h.k.f32_avgpool2x2(x, 2, 2, 0, y), /f32_avgpool2x2: H, W, C must be >= 1/],
      [() => h.k.f32_global_avgpool(x, 0, 2, y), /f32_global_avgpool: HW, C must be >= 1/],
      [() => h.k.f32_scale_channels(end - 4, 2, 2, b), /f32_scale_channels: x out of bounds/],
      [() => h.k.f32_channel_stats(x, 4, 4, end, y, 1e-5), /f32_channel_stats: mean out of bounds/],
      [() => h.k.f32_normalize(x, 4, 4, b, b, end - 4), /f32_normalize: y out of bounds/],
      [() => h.k.f32_daa_delta(x, y, 2, 2, b, b, 2, y), /f32_daa_delta: perChannel must be 0 or 1/],
      [() => h.k.f32_daa_head(x, y, w, 2, 2, 0, 0, b, b, b, -1, y), /f32_daa_head: HW, F must be >= 1 and T >= 0/],
      [() => h.k.f32_daa_head(x, y, w, 2, 2, 3, 0, b, b, b, 1, y), /f32_daa_head: Fpos must be in \[0, F\]/],
      [() => h.k.f32_copy_padded(x, 2, 2, 1, -1, y), /f32_copy_padded: H, W, C must be >= 1 and pad >= 0/],
      [() => h.k.f32_copy_padded(x, 2, 2, 1, 1, end - 8), /f32_copy_padded: y out of bounds/],
      [() => h.k.f32_resize_bilinear_u8(x, 2, 2, 2, y, 2, 2), /f32_resize_bilinear_u8: srcC must be 1, 3 or 4/],
      [() => h.k.f32_resize_bilinear_u8(end - 3, 2, 2, 3, y, 2, 2), /f32_resize_bilinear_u8: src out of bounds/],
    ];
    cases.forEach(([fn, re], i) => assert.throws(fn, re, `${build} case ${i}: expected ${re}`));
  });
}

test.run();
