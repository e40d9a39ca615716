import { test } from "uvu";
import * as assert from "uvu/assert";
import { wasmBytes, sections, globals, opcodeStats, Harness, RELEASE_BUILDS, DEBUG_BUILDS } from "../util/wasm.ts";
import { relaxedSupported, simdSupported } from "../../src/kernels.ts";

const EXPORTS = [
  "f32_conv2d", "f32_conv2d_packed", "f32_copy_padded", "f32_conv3x3_winograd", "f32_avgpool2x2", "f32_global_avgpool", "f32_scale_channels", "f32_fc",
  "f32_channel_stats", "f32_normalize", "f32_daa_delta", "f32_daa_head", "f32_resize_bilinear_u8",
  "qs8_conv2d", "qs8_conv3x3_winograd", "qs8_quantize", "heap_base",
  "f32_conv5x5s2_c3", "f32_dwconv3x3", "f32_pad_channels", "f32_warp_affine_u8",
];

for (const build of [...RELEASE_BUILDS, ...(relaxedSupported() ? ["relaxed" as const] : [])]) {
  test(`${build} release binary: no data segment, no start section, no mutable global, memory imported`, () => {
    const bytes = wasmBytes(build);
    const ids = sections(bytes).map((s) => s.id);
    assert.not.ok(ids.includes(11), "data section present");
    assert.not.ok(ids.includes(12), "data count section present");
    assert.not.ok(ids.includes(8), "start section present");
    assert.not.ok(ids.includes(5), "module defines its own memory");
    for (const g of globals(bytes)) assert.not.ok(g.mutable, "mutable global present");
    const mod = new WebAssembly.Module(bytes);
    assert.equal(WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}:${i.kind}`), ["env.memory:memory"]);
    assert.equal(WebAssembly.Module.exports(mod).map((e) => e.name).sort(), [...EXPORTS].sort());
  });
}

test("daa.relaxed.wasm: relaxed-SIMD dot products and FMAs, nothing relaxed in the other builds, same section rules", () => {
  const bytes = wasmBytes("relaxed");
  const ids = sections(bytes).map((s) => s.id);
  assert.not.ok(ids.includes(11) || ids.includes(12) || ids.includes(8) || ids.includes(5), "data/start/own memory in daa.relaxed.wasm");
  for (const g of globals(bytes)) assert.not.ok(g.mutable, "mutable global present");
  const st = opcodeStats(bytes);
  assert.ok(st.relaxed >= 8, `only ${st.relaxed} relaxed-SIMD instructions`);
  assert.ok(opcodeStats(wasmBytes("relaxed.debug")).relaxed >= 8);
  for (const b of ["simd", "scalar", "simd.debug", "scalar.debug"] as const) assert.is(opcodeStats(wasmBytes(b)).relaxed, 0, `relaxed-SIMD instructions in ${b}`);
  if (!relaxedSupported()) console.log("  (this engine has no usable relaxed SIMD: daa.relaxed.wasm checked statically only)");
});

test("daa.simd.wasm contains SIMD (0xFD-prefixed) instructions; daa.scalar.wasm contains none", () => {
  const simd = opcodeStats(wasmBytes("simd"));
  const scalar = opcodeStats(wasmBytes("scalar"));
  assert.ok(simd.simd > 100, `only ${simd.simd} SIMD instructions in the simd build`);
  assert.ok(wasmBytes("simd").includes(0xfd));
  assert.is(scalar.simd, 0, "SIMD instructions in the scalar build");
  assert.ok(scalar.total > 100);
  assert.is(opcodeStats(wasmBytes("scalar.debug")).simd, 0, "SIMD instructions in the scalar debug build");
  assert.ok(opcodeStats(wasmBytes("simd.debug")).simd > 100);
});

test("debug builds import env.abort and report assertion failures as Errors", async () => {
  for (const build of DEBUG_BUILDS) {
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(wasmBytes(build))).map((i) => `${i.module}.${i.name}`);
    assert.ok(imports.includes("env.abort"), `${build}: ${imports}`);
    const h = await Harness.create(build);
    assert.throws(() => h.k.f32_conv2d(h.f32out(4), 2, 2, 1, h.f32out(4), h.f32out(1), h.f32out(4), 1, 2, 1, 0, 0, 0), /f32_conv2d: K must be 1 or 3/);
  }
});

test("simdSupported() is true on Node 20; release builds instantiate and heap_base is 16-aligned", async () => {
  assert.ok(simdSupported());
  for (const build of [...RELEASE_BUILDS, ...DEBUG_BUILDS]) {
    const h = await Harness.create(build);
    const hb = h.k.heap_base();
    assert.ok(hb > 0 && hb < 65536, `${build}: heap_base ${hb}`);
  }
});

test.run();
