// Node 20's V8 runs relaxed SIMD only with --experimental-wasm-relaxed-simd (and its baseline tier
// mis-compiles the relaxed i8 dot, hence --no-liftoff): a kernel test file re-runs itself for the
// relaxed build in a child process with those flags and DAA_TEST_RELAXED_ONLY=1, or skips with a
// message where the flags are unknown.
import { spawnSync } from "node:child_process";
import type { Test } from "uvu";
import * as assert from "uvu/assert";

/** Registers the test that runs `test/kernels/<file>` in the relaxed child; it needs >= minPassed passes. */
export function relaxedChildTest(test: Test, file: RegExp, minPassed: number): void {
  test("relaxed-SIMD build: run in a child process with --experimental-wasm-relaxed-simd (or skip)", () => {
    const flags = ["--experimental-wasm-relaxed-simd", "--no-liftoff"];
    const known = spawnSync(process.execPath, [...flags, "-e", "0"], { encoding: "utf8" });
    if (known.status !== 0) {
      console.log(`  SKIP: this engine has no usable relaxed SIMD and node does not know ${flags.join(" ")}`);
      return;
    }
    const child = spawnSync(process.execPath, [...flags, "--import", "tsx", "node_modules/uvu/bin.js", "test/kernels", file.source], {
      encoding: "utf8", env: { ...process.env, DAA_TEST_RELAXED_ONLY: "1" },
    });
    const plain = ((child.stdout ?? "") + (child.stderr ?? "")).replace(/\x1b\[[0-9;]*m/g, "");
    const passed = Number((plain.match(/Passed:\s+(\d+)/) ?? [])[1] ?? 0);
    assert.is(child.status, 0, `relaxed child failed:\n${plain.slice(-4000)}`);
    assert.ok(passed >= minPassed, `relaxed child ran ${passed} tests:\n${plain.slice(-2000)}`);
    console.log(`  (relaxed build: ${passed} tests passed in a child process with ${flags.join(" ")})`);
  });
}
