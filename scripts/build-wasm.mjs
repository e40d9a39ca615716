#!/usr/bin/env node
// Builds the WebAssembly kernel library (assembly/) into build/:
//   daa.simd.wasm          release, -O3, --enable simd, --noAssert, then binaryen wasm-opt -O3
//   daa.scalar.wasm        release, -O3, no simd, --noAssert, then binaryen wasm-opt -O3
//   daa.relaxed.wasm       release, -O3, --enable simd,relaxed-simd, --noAssert, then wasm-opt -O3
//   daa.simd.debug.wasm    assertions on, debug info (name section), unoptimised
//   daa.scalar.debug.wasm  assertions on, debug info (name section), unoptimised
//   daa.relaxed.debug.wasm assertions on, debug info, unoptimised (relaxed SIMD)
// Target options live in asconfig.json (targets simd, scalar, simd-debug, scalar-debug); this
// script is the single entry point:   node scripts/build-wasm.mjs
// After building it checks the release binaries (an opcode-level walk of the code section: simd
// has 0xFD-prefixed instructions, scalar has none, so it loads where SIMD is unavailable; neither
// has a data segment, a start function or a mutable global) and prints the sizes.
import { execFile } from "node:child_process";
import { mkdir, readFile, stat, rename } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { promisify } from "node:util";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const run = promisify(execFile);
const ascBin = path.join(root, "node_modules/assemblyscript/bin/asc.js");
const wasmOpt = path.join(root, "node_modules/binaryen/bin/wasm-opt");
// Features asc enables by default (all supported by every engine that runs the scalar build).
const base = ["--enable-nontrapping-float-to-int", "--enable-bulk-memory", "--enable-sign-ext", "--enable-mutable-globals"];

const targets = [
  { target: "simd", entry: "assembly/index.ts", out: "build/daa.simd.wasm", opt: [...base, "--enable-simd"] },
  { target: "scalar", entry: "assembly/index.scalar.ts", out: "build/daa.scalar.wasm", opt: base },
  { target: "relaxed", entry: "assembly/index.relaxed.ts", out: "build/daa.relaxed.wasm", opt: [...base, "--enable-simd", "--enable-relaxed-simd"] },
  { target: "simd-debug", entry: "assembly/index.ts", out: "build/daa.simd.debug.wasm" },
  { target: "scalar-debug", entry: "assembly/index.scalar.ts", out: "build/daa.scalar.debug.wasm" },
  { target: "relaxed-debug", entry: "assembly/index.relaxed.ts", out: "build/daa.relaxed.debug.wasm" },
];

async function buildOne(t) {
  const start = Date.now();
  try {
    await run(process.execPath, [ascBin, t.entry, "--config", "asconfig.json", "--target", t.target], { cwd: root });
    if (t.opt) {
      // binaryen validates feature use on load: the scalar build fails here if it contains SIMD.
      const out = path.join(root, t.out);
      const tmp = out + ".tmp";
      await run(process.execPath, [wasmOpt, out, "-O3", ...t.opt, "-o", tmp], { cwd: root });
      await rename(tmp, out);
    }
  } catch (e) {
    process.stderr.write(`build failed for target ${t.target}\n${e.stdout ?? ""}${e.stderr ?? ""}\n`);
    throw e;
  }
  return Date.now() - start;
}

// ---- minimal wasm reader (sections, globals, opcode walk); mirrored in test/util/wasm.ts ----
function reader(b, p) {
  const r = {
    p,
    byte() { if (r.p >= b.length) throw new Error("wasm: unexpected end"); return b[r.p++]; },
    u32() { let v = 0, s = 0, x; do { x = r.byte(); v += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80); return v; },
    sleb() { let x; do { x = r.byte(); } while (x & 0x80); },
  };
  return r;
}

function sections(b) {
  if (b[0] !== 0 || b[1] !== 0x61 || b[2] !== 0x73 || b[3] !== 0x6d) throw new Error("not a wasm binary");
  const r = reader(b, 8), out = [];
  while (r.p < b.length) { const id = r.byte(), size = r.u32(); out.push({ id, start: r.p, end: r.p + size }); r.p += size; }
  return out;
}

function walkExpr(r, onOp) {
  let depth = 1;
  const memarg = () => { r.u32(); r.u32(); };
  while (depth > 0) {
    const op = r.byte();
    if (op === 0x02 || op === 0x03 || op === 0x04) {
      const bt = r.byte();
      if (!(bt === 0x40 || (bt >= 0x6f && bt <= 0x7f))) { if (bt & 0x80) r.sleb(); }
      depth++;
    } else if (op === 0x0b) depth--;
    else if ([0x0c, 0x0d, 0x10, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0xd2].includes(op)) r.u32();
    else if (op === 0x0e) { const n = r.u32(); for (let i = 0; i <= n; i++) r.u32(); }
    else if (op === 0x11) { r.u32(); r.u32(); }
    else if (op === 0x1c) { const n = r.u32(); r.p += n; }
    else if (op === 0x3f || op === 0x40 || op === 0xd0) r.byte();
    else if (op === 0x41 || op === 0x42) r.sleb();
    else if (op === 0x43) r.p += 4;
    else if (op === 0x44) r.p += 8;
    else if (op >= 0x28 && op <= 0x3e) memarg();
    else if (op === 0xfc) {
      const sub = r.u32();
      if (sub === 8) { r.u32(); r.byte(); }
      else if (sub === 9 || sub === 13 || sub >= 15) r.u32();
      else if (sub === 10) { r.byte(); r.byte(); }
      else if (sub === 11) r.byte();
      else if (sub === 12 || sub === 14) { r.u32(); r.u32(); }
    } else if (op === 0xfd) {
      const sub = r.u32();
      if (sub <= 11 || sub === 92 || sub === 93) memarg();
      else if (sub === 12 || sub === 13) r.p += 16;
      else if (sub >= 21 && sub <= 34) r.byte();
      else if (sub >= 84 && sub <= 91) { memarg(); r.byte(); }
    } else if (!(op <= 0x01 || op === 0x05 || op === 0x0f || op === 0x1a || op === 0x1b || (op >= 0x45 && op <= 0xc4) || op === 0xd1)) {
      throw new Error(`wasm: unknown opcode 0x${op.toString(16)} at ${r.p - 1}`);
    }
    onOp(op);
  }
}

/** Number of 0xFD-prefixed (SIMD) instructions in the code section, from a real opcode walk. */
function countSimdOps(b) {
  const s = sections(b).find((x) => x.id === 10);
  if (!s) return 0;
  const r = reader(b, s.start);
  let n = 0;
  const nf = r.u32();
  for (let f = 0; f < nf; f++) {
    const size = r.u32(), end = r.p + size;
    const nl = r.u32();
    for (let i = 0; i < nl; i++) { r.u32(); r.byte(); }
    walkExpr(r, (op) => { if (op === 0xfd) n++; });
    if (r.p !== end) throw new Error(`wasm: body ${f} parsed to ${r.p}, expected ${end}`);
  }
  return n;
}

function checkRelease(name, b) {
  const secs = sections(b);
  const problems = [];
  if (secs.some((s) => s.id === 11)) problems.push("has a data section");
  if (secs.some((s) => s.id === 8)) problems.push("has a start section");
  const g = secs.find((s) => s.id === 6);
  if (g) {
    const r = reader(b, g.start);
    const n = r.u32();
    for (let i = 0; i < n; i++) {
      r.byte();
      if (r.byte() === 1) problems.push("has a mutable global");
      walkExpr(r, () => {});
    }
  }
  if (problems.length) throw new Error(`${name}: ${problems.join(", ")}`);
}

const t0 = Date.now();
await mkdir(path.join(root, "build"), { recursive: true });
let times;
try {
  times = await Promise.all(targets.map(buildOne));
} catch {
  process.exit(1);
}

const simd = new Uint8Array(await readFile(path.join(root, "build/daa.simd.wasm")));
const scalar = new Uint8Array(await readFile(path.join(root, "build/daa.scalar.wasm")));
const relaxed = new Uint8Array(await readFile(path.join(root, "build/daa.relaxed.wasm")));
checkRelease("daa.relaxed.wasm", relaxed);
checkRelease("daa.simd.wasm", simd);
checkRelease("daa.scalar.wasm", scalar);
const fdSimd = countSimdOps(simd), fdScalar = countSimdOps(scalar);
if (fdSimd === 0) throw new Error("daa.simd.wasm: no SIMD (0xFD-prefixed) instructions in the code section");
if (fdScalar > 0) throw new Error(`daa.scalar.wasm: ${fdScalar} SIMD (0xFD-prefixed) instructions: it would not load where SIMD is unavailable`);
if (!WebAssembly.validate(simd) || !WebAssembly.validate(scalar)) throw new Error("a release binary does not validate");
const fdRelaxed = countSimdOps(relaxed);
if (fdRelaxed === 0) throw new Error("daa.relaxed.wasm: no SIMD instructions");
// The relaxed build only validates where the engine has relaxed SIMD (Node 20: --experimental-wasm-relaxed-simd);
// binaryen already validated it with the feature enabled.

for (const [i, t] of targets.entries()) {
  const s = await stat(path.join(root, t.out));
  console.log(`${t.out.padEnd(28)} ${String(s.size).padStart(7)} bytes  (${times[i]} ms)`);
}
console.log(`simd: ${fdSimd} SIMD instructions; relaxed: ${fdRelaxed}; scalar: 0. Release builds: no data segment, no start, no mutable global. ${Date.now() - t0} ms`);
