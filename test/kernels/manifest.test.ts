/**
 * The kernel manifest (assembly/kernels.manifest.json) is the one list of kernels: the three build
 * entries, src/kernel-abi.ts and the docs table are generated from it and must be up to date, and
 * every manifest kernel's implementation file exports the symbol it names.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { KERNEL_NAMES } from "../../src/kernels.ts";

const manifest = JSON.parse(readFileSync("assembly/kernels.manifest.json", "utf8")) as {
  kernels: Array<{ name: string; builds: Record<string, string> }>;
};

test("generated files are up to date (node scripts/gen-kernels.mjs --check)", () => {
  try {
    execFileSync(process.execPath, ["scripts/gen-kernels.mjs", "--check"], { stdio: "pipe" });
  } catch (e) {
    assert.unreachable(String((e as { stderr?: Buffer }).stderr ?? e));
  }
});

test("KERNEL_NAMES is the manifest's list plus heap_base", () => {
  assert.equal([...KERNEL_NAMES], [...manifest.kernels.map((k) => k.name), "heap_base"]);
});

test("every build's implementation file exports the symbol the manifest names", () => {
  for (const k of manifest.kernels)
    for (const [build, ref] of Object.entries(k.builds)) {
      const [file, symbol] = ref.split("#");
      const src = readFileSync(`assembly/${file}.ts`, "utf8");
      assert.ok(new RegExp(`export function ${symbol}\\b`).test(src), `${k.name} (${build}): assembly/${file}.ts does not export ${symbol}`);
    }
});

test.run();
