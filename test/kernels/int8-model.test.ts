// The int8 compute path end to end (random-weight models through the weight file and the API):
// the encoder's convs really run as qs8_conv2d, every build gives the same int8 estimate, int8 stays
// within 0.5 years of fp32, and calibration / meta.activationScales agree. No tfjs here (the weight
// files are written from seeded random tensors), so this file leaves no global tfjs state behind.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DEFAULT_CONFIG, weightShapes, type ModelConfig } from "../../src/arch.ts";
import { Arena } from "../../src/arena.ts";
import { Estimator } from "../../src/estimator.ts";
import { TimedChoice } from "../../src/timed-choice.ts";
import { planInt8 } from "../../src/engine/ops-int8.ts";
import { DaaModel, calibrate, planDaa } from "../../src/models/daa/index.ts";
import { readWeightFile, dequantize, type StoredTensor } from "../../src/format.ts";
import { instantiateKernels, relaxedSupported } from "../../src/kernels.ts";
import { quantisedTensors, scalesFromMeta } from "../../src/quant.ts";
import { calibrationImages } from "../../src/models/daa/calibrate.ts";
import { compileBackend } from "../../src/wasm.ts";
import { writeWeightFile } from "../../train/format-writer.ts";
import { quantizePerChannel } from "../../train/quantize.ts";
import { rng } from "../util/rng.ts";

/** A seeded random model (BN already folded): He-like conv weights, small biases, a head whose output varies. */
class RandomModel {
  readonly tensors: StoredTensor[];
  constructor(readonly cfg: ModelConfig, seed: number) {
    const r = rng(seed);
    this.tensors = [...weightShapes(cfg)].map(([name, shape]) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const fanIn = shape.length > 1 ? n / shape[shape.length - 1] : 1;
      const a = name.endsWith(".w") ? Math.sqrt(3 / fanIn) * (name.startsWith("dec.fc") || name.startsWith("map.fc3") ? 4 : 1.2) : 0.1;
      const data = Float32Array.from({ length: n }, () => r.uniform(-a, a));
      return { name, dtype: "f32" as const, shape, data };
    });
  }
}

function exportWeights(m: RandomModel, precision: "fp32" | "int8", meta: Record<string, unknown> = {}): Uint8Array {
  const ts = precision === "fp32" ? m.tensors : m.tensors.map((t) => {
    if (!t.name.endsWith(".w") || t.shape.length < 2) return t;
    const { codes, scales } = quantizePerChannel(t.data as Float32Array, t.shape[t.shape.length - 1]);
    return { name: t.name, dtype: "i8" as const, shape: t.shape, data: codes, scales };
  });
  return writeWeightFile(m.cfg, precision, ts, meta);
}

const CONFIGS: Array<[string, ModelConfig, number]> = [
  ["c3ae 96", { ...DEFAULT_CONFIG }, 4],
  ["resnet18 width 8, 128", { ...DEFAULT_CONFIG, encoder: "resnet18", inputSize: 128, width: 8, featDim: 16 }, 19],
];
const img = { data: Uint8ClampedArray.from({ length: 120 * 100 * 4 }, (_, i) => (i * 2654435761) >>> 24), width: 120, height: 100 };
const backends = ["simd", "scalar", ...(relaxedSupported() ? ["relaxed" as const] : [])] as const;
const report: string[] = [];

for (const [label, cfg, nq] of CONFIGS) {
  test(`int8 path ${label}: ${nq} convs in int8, builds agree, |int8 - fp32| <= 0.5`, async () => {
    const m = new RandomModel(cfg, 5);
    const fp32 = exportWeights(m, "fp32"), int8 = exportWeights(m, "int8");
    const ages: number[] = [];
    for (const backend of backends) {
      const f = await Estimator.create({ crop: 'chip', model: fp32, backend });
      const q = await Estimator.create({ crop: 'chip', model: int8, backend });
      const plan = (q as unknown as { model: { plan: { int8Convs: number } } }).model.plan;
      assert.is(plan.int8Convs, nq, `${label} ${backend}: int8 convs`);
      assert.is((f as unknown as { model: { plan: { int8Convs: number } } }).model.plan.int8Convs, 0);
      const rf = f.estimate(img), rq = q.estimate(img);
      assert.ok(Number.isFinite(rq.age));
      assert.ok(Math.abs(rq.age - rf.age) <= 0.5, `${label} ${backend}: int8 ${rq.age} vs fp32 ${rf.age}`);
      report.push(`${label} ${backend}: fp32 ${rf.age.toFixed(4)}, int8 ${rq.age.toFixed(4)}, int8 - fp32 = ${(rq.age - rf.age).toFixed(4)} years`);
      ages.push(rq.age);
      f.dispose();
      q.dispose();
    }
    // the int8 convs are bit-identical across builds; only the f32 parts (SE, head) differ in the last bits
    for (const a of ages) assert.ok(Math.abs(a - ages[0]) <= 1e-3, `int8 ages differ across builds: ${ages}`);
  });
}

test("calibrate(): deterministic, covers every quantised tensor; meta.activationScales is used as given", async () => {
  const cfg = CONFIGS[0][1];
  const m = new RandomModel(cfg, 8);
  const int8 = exportWeights(m, "int8");
  const file = readWeightFile(int8);
  const weights = new Map([...file.tensors].map(([n, t]) => [n, dequantize(t)]));
  const mod = await compileBackend("simd");
  const a = await calibrate(mod, cfg, weights), b = await calibrate(mod, cfg, weights);
  assert.equal(a, b);
  assert.equal(Object.keys(a).sort(), quantisedTensors(cfg).sort());
  for (const [s, o] of Object.values(a)) assert.ok(s > 0 && o <= 0);
  assert.equal(scalesFromMeta({ activationScales: a }, cfg), a);
  assert.is(scalesFromMeta({ activationScales: { p1: [1, 0] } }, cfg), null, "incomplete scales are ignored");
  assert.is(calibrationImages(96, 2)[1].length, 96 * 96 * 3);
  // a file carrying the calibrated scales gives the calibrated estimator's answer exactly
  const withMeta = exportWeights(m, "int8", { activationScales: a });
  const e1 = await Estimator.create({ crop: 'chip', model: int8, backend: "simd" });
  const e2 = await Estimator.create({ crop: 'chip', model: withMeta, backend: "simd" });
  assert.is(e2.estimate(img).age, e1.estimate(img).age);
  // and different scales change it (the meta is really read)
  const skewed = Object.fromEntries(Object.entries(a).map(([k, [s, o]]) => [k, [s * 1.5, o]]));
  const e3 = await Estimator.create({ crop: 'chip', model: exportWeights(m, "int8", { activationScales: skewed }), backend: "simd" });
  assert.is.not(e3.estimate(img).age, e1.estimate(img).age);
});

test("meta.activationScales null entries keep those tensors f32: all null is the int8 weights in f32 compute, bit for bit; some null, fewer int8 convs", async () => {
  const cfg = CONFIGS[1][1];
  const m = new RandomModel(cfg, 21);
  const file = readWeightFile(exportWeights(m, "int8"));
  const weights = new Map([...file.tensors].map(([n, t]) => [n, dequantize(t)]));
  const a = await calibrate(await compileBackend("simd"), cfg, weights);
  const names = quantisedTensors(cfg);
  const allNull = Object.fromEntries(names.map((n) => [n, null]));
  assert.equal(scalesFromMeta({ activationScales: allNull }, cfg), {});
  const some = { ...a, [names[0]]: null, [names[2]]: null };
  const partial = scalesFromMeta({ activationScales: some }, cfg)!;
  assert.equal(Object.keys(partial).sort(), names.slice(1).filter((n) => n !== names[2]).sort());
  assert.is(scalesFromMeta({ activationScales: { ...a, [names[0]]: undefined } }, cfg), null, "a missing entry is not a null one");
  // the int8 weights, dequantised, as an fp32 file: what an all-null int8 file must compute
  const dequantisedFp32 = writeWeightFile(cfg, "fp32", [...file.tensors.values()].map((t) => ({ name: t.name, dtype: "f32" as const, shape: t.shape, data: dequantize(t) })), {});
  const ref = await Estimator.create({ crop: "chip", model: dequantisedFp32, backend: "simd" });
  const none = await Estimator.create({ crop: "chip", model: exportWeights(m, "int8", { activationScales: allNull }), backend: "simd" });
  const half = await Estimator.create({ crop: "chip", model: exportWeights(m, "int8", { activationScales: some }), backend: "simd" });
  const full = await Estimator.create({ crop: "chip", model: exportWeights(m, "int8", { activationScales: a }), backend: "simd" });
  const int8Convs = (e: Estimator) => (e as unknown as { model: DaaModel }).model.plan.int8Convs;
  assert.is(int8Convs(none), 0);
  assert.ok(int8Convs(half) > 0 && int8Convs(half) < int8Convs(full), `int8 convs: ${int8Convs(half)} of ${int8Convs(full)}`);
  const r = ref.estimate(img), n = none.estimate(img);
  assert.is(n.age, r.age, `all null: age ${n.age} against the dequantised fp32 file's ${r.age}`);
  assert.equal(Array.from(n.perTemplate), Array.from(r.perTemplate));
  assert.ok(Number.isFinite(half.estimate(img).age));
  for (const e of [ref, none, half, full]) e.dispose();
});

test("switchable plan: int8 3x3 convs by qs8_conv3x3_winograd and by qs8_conv2d (the steps' alt) give the same bits", async () => {
  for (const [label, cfg] of CONFIGS) {
    const m = new RandomModel(cfg, 11);
    const file = readWeightFile(exportWeights(m, "int8"));
    const weights = new Map([...file.tensors].map(([n, t]) => [n, dequantize(t)]));
    const scales = await calibrate(await compileBackend("simd"), cfg, weights);
    const q8 = { scales, codes: (n: string) => { const t = file.tensors.get(n); return t && t.dtype === "i8" ? { codes: t.data as Int8Array, scales: t.scales! } : null; } };
    for (const backend of backends.filter((b) => b !== "scalar")) {
      const memory = new WebAssembly.Memory({ initial: 32, maximum: 16384 });
      const k = await instantiateKernels(await compileBackend(backend), memory);
      const arena = new Arena(memory, k.heap_base(), 1 << 30);
      const plan = planDaa(cfg, weights, { winograd: true, q8, int8: planInt8, q8Switchable: true });
      assert.ok(plan.q8WinogradConvs > 0, `${label} ${backend}: no Winograd int8 convs`);
      const model = new DaaModel(plan, k, arena, weights);
      const x = arena.f32(model.input, cfg.inputSize * cfg.inputSize * 3);
      const r = rng(3);
      for (let i = 0; i < x.length; i++) x[i] = r.uniform(0, 1);
      const out: Float32Array[] = [];
      for (const on of [true, false, true]) {
        const { ptr, count } = model.run({ interval: 1, head: model.defaultHead, alt: !on });
        out.push(arena.f32(ptr, count).slice());
      }
      assert.equal(new Uint32Array(out[1].buffer), new Uint32Array(out[0].buffer), `${label} ${backend}: direct vs Winograd`);
      assert.equal(new Uint32Array(out[2].buffer), new Uint32Array(out[0].buffer), `${label} ${backend}: Winograd again`);
    }
  }
});

test("TimedChoice: alternates, drops warm-up calls, keeps the faster way", () => {
  const spin = (ms: number) => { const t = performance.now(); while (performance.now() - t < ms); };
  for (const [costA, costB, want] of [[3, 0, "b"], [0, 3, "a"], [0, 0, "a"]] as const) {
    const used: boolean[] = [];
    const f = new TimedChoice();
    for (let i = 0; i < 12; i++) f.run((a) => { used.push(a); spin(a ? costA : costB); });
    assert.equal(used, [true, false, true, false, true, false, true, false, true, false, true, false]);
    assert.is(f.comparing, false);
    if (costA !== costB) assert.is(f.choice, want, `A ${costA} ms, B ${costB} ms`);
    else assert.ok(f.choice === "a" || f.choice === "b");
    f.run((a) => used.push(a));
    assert.is(used[12], f.choice === "a", "the choice stays");
  }
});

test.after(() => console.log("\n" + report.join("\n")));
test.run();
