#!/usr/bin/env node
// Builds the training kernels (assembly/train/index.ts) into build/daa.train.wasm:
//   asc --enable simd -O3 --noAssert --runtime stub --importMemory, then binaryen wasm-opt -O3.
// The module must be instantiable on tfjs-backend-wasm's own WebAssembly.Memory, so after building
// it checks that it has no data segment, no start function and no mutable global, that it imports
// its memory (env.memory) and exports no memory of its own.     node scripts/build-train-wasm.mjs
import { execFile } from "node:child_process";
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { promisify } from "node:util";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const run = promisify(execFile);
const ascBin = path.join(root, "node_modules/assemblyscript/bin/asc.js");
const wasmOpt = path.join(root, "node_modules/binaryen/bin/wasm-opt");
const out = path.join(root, "build/daa.train.wasm");
const tmp = out + ".tmp";

await mkdir(path.dirname(out), { recursive: true });
const t0 = Date.now();
try {
  await run(process.execPath, [
    ascBin, "assembly/train/index.ts", "--outFile", tmp,
    "--enable", "simd", "-O3", "--noAssert", "--runtime", "stub",
    "--importMemory", "--noExportMemory", "--initialMemory", "0",
  ], { cwd: root });
  await run(process.execPath, [
    wasmOpt, tmp, "-O3", "--enable-simd", "--enable-bulk-memory", "--enable-nontrapping-float-to-int",
    "--enable-sign-ext", "--enable-mutable-globals", "-o", out,
  ], { cwd: root });
  await rm(tmp, { force: true });
} catch (e) {
  process.stderr.write(`build-train-wasm failed\n${e.stdout ?? ""}${e.stderr ?? ""}\n`);
  process.exit(1);
}

// ---- check the module: sections 2 import, 6 global, 7 export, 8 start, 11 data ----
const b = await readFile(out);
const mod = await WebAssembly.compile(b);
const problems = [];
const imports = WebAssembly.Module.imports(mod);
const exports = WebAssembly.Module.exports(mod);
if (!imports.some((i) => i.kind === "memory" && i.module === "env" && i.name === "memory")) problems.push("does not import env.memory");
if (exports.some((e) => e.kind === "memory")) problems.push("exports a memory");
let p = 8;
const u32 = () => { let v = 0, s = 0, x; do { x = b[p++]; v += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80); return v; };
while (p < b.length) {
  const id = b[p++], size = u32(), end = p + size;
  if (id === 8) problems.push("has a start function");
  if (id === 11) { const n = u32(); if (n > 0) problems.push(`has ${n} data segment(s)`); }
  if (id === 6) {
    const n = u32();
    for (let i = 0; i < n; i++) {
      p++; // valtype
      if (b[p++] === 1) problems.push("has a mutable global");
      // constant init expression: one const / global.get, then end (0x0b)
      const op = b[p++];
      if (op === 0x41 || op === 0x42 || op === 0x23) u32();
      else if (op === 0x43) p += 4;
      else if (op === 0x44) p += 8;
      else if (op === 0xfd) p += 17; // v128.const
      if (b[p++] !== 0x0b) { problems.push("unexpected global initialiser"); break; }
    }
  }
  p = end;
}
if (problems.length) {
  process.stderr.write(`build/daa.train.wasm: ${problems.join("; ")}\n`);
  process.exit(1);
}
const { size } = await stat(out);
console.log(`build/daa.train.wasm  ${size} bytes  ${Date.now() - t0} ms  exports: ${exports.map((e) => e.name).join(", ")}; imports: ${imports.map((i) => `${i.module}.${i.name}`).join(", ")}`);
