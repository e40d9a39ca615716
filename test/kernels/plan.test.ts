/**
 * Plans are data (src/engine/plan.ts, src/models/daa/): every step calls a manifest kernel with its
 * full argument list, modelCost is exactly what an fp32 estimator on the SIMD builds places, the step
 * table prints every step, per-call options (interval) leave the plan and later estimates as
 * they were, and placed f32 weights hold no subnormals (they cost a microcode assist per multiply).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Arena } from "../../src/arena.ts";
import { flushSubnormals, formatSteps } from "../../src/engine/plan.ts";
import { dequantize, modelCost, readWeightFile } from "../../src/format.ts";
import { instantiateKernels, KERNEL_ARGS } from "../../src/kernels.ts";
import { DaaModel, headSteps, planDaa } from "../../src/models/daa/index.ts";
import { compileBackend } from "../../src/wasm.ts";
import { FACEMESH_SMALL, SMALL_CONFIGS, weightFile } from "../reliability/util.ts";

const RESNET = SMALL_CONFIGS.find(([n]) => n === "resnet18-binary")!;

test("every step of every small config's plan (fp32 and int8, both heads) names a kernel and passes all its arguments", () => {
  for (const [label, cfg] of [...SMALL_CONFIGS, FACEMESH_SMALL])
    for (const precision of ["fp32", "int8"] as const) {
      const file = readWeightFile(weightFile(cfg, precision, 2));
      const weights = new Map([...file.tensors].map(([n, t]) => [n, dequantize(t)]));
      const plan = planDaa(cfg, weights, { winograd: true });
      const T = cfg.daa === "none" ? 1 : cfg.numTemplates;
      const steps = [...plan.encoder, ...headSteps(plan, "naive", T), ...(plan.head?.tc === 1 ? headSteps(plan, "factorised", T) : []), ...(plan.head?.setup ?? [])];
      for (const s of steps) {
        const want = KERNEL_ARGS[s.kernel];
        assert.ok(want, `${label} ${precision}: step ${s.name} calls unknown kernel ${s.kernel}`);
        assert.is(s.args.length, want.length, `${label} ${precision}: ${s.name} passes ${s.args.length} arguments to ${s.kernel} (${want.join(", ")})`);
      }
      const table = formatSteps("t", plan.encoder);
      for (const s of plan.encoder) assert.ok(table.includes(s.name), `${label}: ${s.name} missing from the table`);
    }
});

test("modelCost is the plan's own size: an fp32 SIMD-build model places exactly modelCost bytes", async () => {
  for (const [label, cfg] of [...SMALL_CONFIGS, FACEMESH_SMALL, ["c3ae-daa 64", { ...SMALL_CONFIGS[0][1], inputSize: 64, width: 32, featDim: 64 }] as const]) {
    const file = readWeightFile(weightFile(cfg, "fp32", 2));
    const weights = new Map([...file.tensors].map(([n, t]) => [n, dequantize(t)]));
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4096 });
    const k = await instantiateKernels(await compileBackend("simd"), memory);
    const arena = new Arena(memory, k.heap_base(), 1 << 28);
    const start = arena.used;
    new DaaModel(planDaa(cfg, weights, { winograd: true }), k, arena, weights);
    assert.is(arena.used - start, modelCost(cfg).memoryBytes, `${label}: placed vs modelCost`);
  }
});

test("interval is an argument of each run: the plan's steps do not change and a later interval-1 run gives the same bits", async () => {
  const cfg = RESNET[1];
  const file = readWeightFile(weightFile(cfg, "fp32", 4));
  const weights = new Map([...file.tensors].map(([n, t]) => [n, dequantize(t)]));
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 4096 });
  const k = await instantiateKernels(await compileBackend("simd"), memory);
  const arena = new Arena(memory, k.heap_base(), 1 << 28);
  const model = new DaaModel(planDaa(cfg, weights, { winograd: true }), k, arena, weights);
  const x = arena.f32(model.input, cfg.inputSize * cfg.inputSize * 3);
  for (let i = 0; i < x.length; i++) x[i] = ((i * 37) % 101) / 100;
  const encoderBefore = JSON.stringify(model.plan.encoder.map((s) => [s.name, s.kernel, s.args.length]));
  const bits = (interval: number) => {
    const { ptr, count } = model.run({ interval, head: "factorised" });
    return Array.from(new Uint32Array(arena.f32(ptr, count).slice().buffer));
  };
  const first = bits(1);
  const five = bits(5);
  assert.is(five.length, Math.ceil(cfg.numTemplates / 5));
  assert.equal(bits(1), first);
  assert.is(JSON.stringify(model.plan.encoder.map((s) => [s.name, s.kernel, s.args.length])), encoderBefore);
  // the naive head (the reference) on the same features agrees with the factorised one
  const { ptr, count } = model.run({ interval: 1, head: "naive" });
  const naive = arena.f32(ptr, count).slice();
  const fact = new Float32Array(new Uint32Array(first).buffer);
  for (let j = 0; j < count; j++) assert.ok(Math.abs(naive[j] - fact[j]) < 1e-3, `template ${j}: naive ${naive[j]} factorised ${fact[j]}`);
});

test("flushSubnormals zeroes subnormals only, keeping the sign; normals, zeros, infinities and NaN stay", () => {
  const MIN_NORMAL = 2 ** -126;
  const v = new Float32Array([1e-40, -1e-40, 2 ** -149, -(2 ** -149), MIN_NORMAL * 0.999, MIN_NORMAL, -MIN_NORMAL, 1e-30, 0, -0, 1, -2.5, Infinity, -Infinity, NaN]);
  const want = [0, -0, 0, -0, 0, MIN_NORMAL, -MIN_NORMAL, Math.fround(1e-30), 0, -0, 1, -2.5, Infinity, -Infinity, NaN];
  assert.is(flushSubnormals(v), 5);
  want.forEach((w, i) => assert.ok(Object.is(v[i], w), `index ${i}: want ${Object.is(w, -0) ? "-0" : w}, got ${Object.is(v[i], -0) ? "-0" : v[i]}`));
});

test("weights with subnormals place as zeros: no subnormal in any f32 weight buffer, same bits as the zeroed model", async () => {
  const subnormal = (x: number) => x !== 0 && Math.abs(x) < 2 ** -126;
  for (const [label, cfg] of [RESNET, SMALL_CONFIGS[0], FACEMESH_SMALL]) {
    const file = readWeightFile(weightFile(cfg, "fp32", 3));
    const withSub = new Map([...file.tensors].map(([n, t]) => [n, dequantize(t)]));
    let planted = 0;
    for (const [n, w] of withSub) if (n.endsWith(".w")) for (let i = 0; i < w.length; i += 7) (w[i] = (i & 1 ? -1 : 1) * 3e-39 * (1 + (i % 5))), planted++;
    const zeroed = new Map([...withSub].map(([n, w]) => [n, w.map((x) => (subnormal(x) ? 0 : x))]));
    const run = async (weights: Map<string, Float32Array>) => {
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 4096 });
      const k = await instantiateKernels(await compileBackend("simd"), memory);
      const arena = new Arena(memory, k.heap_base(), 1 << 28);
      const model = new DaaModel(planDaa(cfg, weights, { winograd: true }), k, arena, weights);
      let inWeights = 0;
      for (const b of model.plan.builder.buffers) {
        if (b.kind !== "weights") continue; // an fp32 model's weight buffers are all f32
        const f = new Float32Array(memory.buffer, model.at.ptr(b), b.bytes / 4);
        for (const x of f) if (subnormal(x)) inWeights++;
      }
      const x = arena.f32(model.input, cfg.inputSize * cfg.inputSize * 3);
      for (let i = 0; i < x.length; i++) x[i] = ((i * 37) % 101) / 100;
      const { ptr, count } = model.run({ interval: 1, head: "factorised" });
      return { inWeights, bits: Array.from(new Uint32Array(arena.f32(ptr, count).slice().buffer)) };
    };
    const a = await run(withSub), b = await run(zeroed);
    assert.ok(planted > 0);
    assert.is(a.inWeights, 0, `${label}: ${a.inWeights} subnormal floats placed in f32 weight buffers`);
    assert.equal(a.bits, b.bits, `${label}: outputs differ from the model with its subnormal weights zeroed`);
  }
});

test.run();
