/**
 * Turns a train/gpu/train_daa.py output folder into a run folder like the tfjs trainer's
 * (train/train.ts), which train/ship.ts, train/eval.ts and `npm run train -- --init` read:
 *   best.fp32.daaw, best.int8.daaw  the best-on-validation weights, through the tfjs reference model
 *                                   (train/model.ts) and its exporter (BN folding, int8 packing)
 *   checkpoint.json, checkpoint.bin the model variables (tfjs layout) and the run's history
 *   log.jsonl, run.json              the PyTorch run's own log and settings, copied
 * and checks parity on the run's probe images: the PyTorch outputs stored with the weights against
 * the tfjs reference and the WebAssembly runtime (fp32), printing the largest differences.
 *
 * Usage: npx tsx train/gpu/import.ts --from .gpu/out/r18w16 --out train/runs/r18w16-96 [--tag best]
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { validateConfig } from '../../src/arch.ts';
import { createEstimator } from '../../src/index.ts';
import { DEFAULT_DATA_DIR, loadDataset, splitValidation } from '../data.ts';
import { exportWeights } from '../export.ts';
import { DaaModel } from '../model.ts';

const { values: a } = parseArgs({
  options: {
    from: { type: 'string' },
    out: { type: 'string' },
    tag: { type: 'string', default: 'best' },
    data: { type: 'string', default: DEFAULT_DATA_DIR },
  },
});
if (!a.from || !a.out) throw new Error('--from GPU_RUN_DIR and --out RUN_DIR are required');
await tf.setBackend('cpu');

interface Exported {
  config: unknown;
  epoch: number;
  valMae: number;
  vars: Array<{ name: string; shape: number[]; length: number }>;
  probe: { age: number[]; perTemplate: number[][] };
}
const from = resolve(a.from);
const run0 = JSON.parse(readFileSync(join(from, 'run.json'), 'utf8')) as { args: Record<string, unknown> };
const out = resolve(a.out);
const ex = JSON.parse(readFileSync(join(from, `${a.tag}.json`), 'utf8')) as Exported;
const bin = readFileSync(join(from, `${a.tag}.bin`));
const f32 = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
const config = validateConfig(ex.config);
const model = new DaaModel(config, 1);
let off = 0;
const seen = new Set<string>();
for (const { name, shape, length } of ex.vars) {
  const v = model.v(name);
  if (v.size !== length || v.shape.join() !== shape.join()) throw new Error(`${name}: shape ${shape} does not fit the reference's ${v.shape}`);
  v.assign(tf.tensor(f32.subarray(off, off + length), v.shape));
  off += length;
  seen.add(name);
}
const missing = [...model.vars.keys()].filter((n) => !seen.has(n));
if (missing.length) throw new Error(`the export lacks ${missing.join(', ')}`);

// parity on the probe images (train_daa.py's probe_images)
const S = config.inputSize;
const nProbe = ex.probe.age.length;
const px = new Float32Array(nProbe * S * S * 3);
for (let b = 0; b < nProbe; b++)
  for (let i = 0; i < S; i++)
    for (let j = 0; j < S; j++)
      for (let c = 0; c < 3; c++) px[((b * S + i) * S + j) * 3 + c] = ((b * 7 + i * 3 + j * 5 + c * 11) % 256) / 255;
const ref = tf.tidy(() => model.forward(tf.tensor4d(px, [nProbe, S, S, 3])).perTemplate.arraySync() as number[][]);
let dRef = 0;
for (let b = 0; b < nProbe; b++) for (let t = 0; t < ref[b].length; t++) dRef = Math.max(dRef, Math.abs(ref[b][t] - ex.probe.perTemplate[b][t]));

const meta = { trainedBy: 'train/gpu/train_daa.py (PyTorch), imported by train/gpu/import.ts', epoch: ex.epoch, valMae: ex.valMae, data: 'UTKFace (non-commercial research use only)' };
const fp32 = exportWeights(model, 'fp32', meta);
const int8 = exportWeights(model, 'int8', meta);
// the runtime takes u8 images: probe pixels as bytes give the same values exactly when the image
// is already at the input size (the resize is then the identity)
const est = await createEstimator({ model: fp32, backend: 'simd', crop: 'chip' });
let dWasm = 0;
for (let b = 0; b < nProbe; b++) {
  const data = new Uint8Array(S * S * 3);
  for (let k = 0; k < data.length; k++) data[k] = Math.round(px[b * S * S * 3 + k] * 255);
  const r = est.estimate({ data, width: S, height: S });
  dWasm = Math.max(dWasm, Math.abs(r.age - ex.probe.age[b]));
}
// validation MAE through the runtime on the validation part's exact pixels (the train split's u8
// cache at the input size; PyTorch saw the same images JPEG-packed)
const ds = loadDataset(a.data!, { size: S, split: 'train' });
// the pack's own validation indices (train/gpu/pack.ts: splitValidation with the pack's seed; the
// training seed may differ), checked against splitValidation
const pack = JSON.parse(readFileSync(resolve(String(run0.args.data)), 'utf8')) as { val: number[]; seed: number; valFraction: number; count: number };
const { val } = splitValidation(ds.ages.length, pack.valFraction, pack.seed);
if (pack.count !== ds.ages.length || val.length !== pack.val.length || val.some((v, k) => v !== pack.val[k]))
  throw new Error(`the pack ${String(run0.args.data)} does not hold this data folder's validation split`);
let valErr = 0;
for (const i of val) {
  const r = est.estimate({ data: ds.images.subarray(i * S * S * 3, (i + 1) * S * S * 3), width: S, height: S });
  valErr += Math.abs(r.age - ds.ages[i]);
}
const valMaeWasm = valErr / val.length;
console.log(`validation MAE through the runtime (fp32, ${val.length} images): ${valMaeWasm.toFixed(3)}`);
est.dispose();
console.log(`parity on ${nProbe} probe images: tfjs reference vs PyTorch max |perTemplate diff| ${dRef.toExponential(2)} years; wasm fp32 vs PyTorch max |age diff| ${dWasm.toExponential(2)} years`);
if (!(dRef < 1e-2 && dWasm < 1e-2)) throw new Error('parity check failed: the PyTorch model and the reference disagree');

mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'best.fp32.daaw'), fp32);
writeFileSync(join(out, 'best.int8.daaw'), int8);
const state = JSON.parse(readFileSync(join(from, 'state.json'), 'utf8')) as { history: Array<Record<string, number>>; best_val: number; best_epoch: number; epochs?: number };
const run = JSON.parse(readFileSync(join(from, 'run.json'), 'utf8')) as { args: Record<string, unknown> };
const vars = [...model.vars.entries()];
const total = vars.reduce((s, [, v]) => s + v.size, 0);
const all = new Float32Array(total);
let o = 0;
const list = vars.map(([name, v]) => {
  all.set(v.dataSync() as Float32Array, o);
  o += v.size;
  return { name, length: v.size };
});
writeFileSync(join(out, 'checkpoint.bin'), new Uint8Array(all.buffer));
writeFileSync(join(out, 'checkpoint.json'), JSON.stringify({
  config,
  // epochs: the count the run used (--time-budget may lower --epochs after the first epoch)
  options: { ...run.args, epochs: state.epochs ?? state.history.length, trainer: 'train/gpu/train_daa.py', valSplit: { seed: pack.seed, valFraction: pack.valFraction } },
  epoch: state.history.length,
  stepInEpoch: 0,
  globalStep: null,
  bestValMae: state.best_val,
  bestEpoch: state.best_epoch,
  history: state.history,
  backend: 'pytorch',
  parity: { tfjsVsTorch: dRef, wasmVsTorch: dWasm },
  valMaeRuntime: valMaeWasm,
  vars: list,
}, null, 1));
for (const f of ['log.jsonl', 'run.json']) if (existsSync(join(from, f))) copyFileSync(join(from, f), join(out, f === 'log.jsonl' ? 'log.jsonl' : 'gpu-run.json'));
console.log(`${out}: epoch ${ex.epoch}, val MAE ${ex.valMae.toFixed(3)} (PyTorch, JPEG-packed validation images)`);
