/**
 * `npx tsx train/ship.ts --run train/runs/c3ae-daa-64 [--name c3ae-daa] [--calib 512] [--default]`
 * Copies a run's best-on-validation weights into weights/ as <name>.fp32.daaw and <name>.int8.daaw,
 * with provenance in `meta` (train/provenance.ts: recipe, command, data name, metrics; the history
 * stays in the run's checkpoint.json) and, for int8, activation scales calibrated on real training images
 * (min/max over --calib seeded train-split images, times src/models/daa/calibrate.ts HEADROOM) so that loading
 * skips the synthetic-image calibration. --default names it the package default (weights/models.json).
 * --age-offset val|YEARS adds a constant to every per-template estimate (and so to the age) by moving the
 * AgeDecoder's output bias dec.fc.b: `val` takes the median of (true age - estimate) over the validation
 * part of the train split (the trainers' splitValidation, seed 1) read through the runtime, fp32, the
 * constant that minimises that part's MAE; the test split is never read. Recorded in meta.ageOffset.
 * --weight-only ships the int8 file with int8 weights and f32 activations (every meta.activationScales
 * entry null, src/quant.ts scalesFromMeta): for models whose activations 7-bit codes cannot hold (the face
 * mesh trunk's depthwise outputs: UTKFace test MAE 5.29 fp32, 5.48 with int8 activations, 5.29 weight-only).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dequantize, readWeightFile } from '../src/format.ts';
import { calibrate } from '../src/models/daa/index.ts';
import { compileBackend } from '../src/wasm.ts';
import { quantisedTensors } from '../src/quant.ts';
import { DEFAULT_DATA_DIR, loadDataset, makeRng, shuffle } from './data.ts';
import { writeWeightFile } from './format-writer.ts';
import { compactProvenance } from './provenance.ts';
import { FACEMESH_PROVENANCE } from './pretrained/facemesh.ts';
import { createEstimator } from '../src/index.ts';
import { decodeImage, evalRows, imageDir, readLabels } from './data.ts';

const { values: a } = parseArgs({
  options: {
    run: { type: 'string' },
    name: { type: 'string', default: 'c3ae-daa' },
    calib: { type: 'string', default: '512' },
    data: { type: 'string', default: DEFAULT_DATA_DIR },
    default: { type: 'boolean', default: false },
    'age-offset': { type: 'string' },
    'weight-only': { type: 'boolean', default: false },
  },
});
if (!a.run) throw new Error('--run DIR is required');
const state = JSON.parse(readFileSync(join(a.run, 'checkpoint.json'), 'utf8'));
const fp32 = readWeightFile(readFileSync(join(a.run, 'best.fp32.daaw')));
const int8 = readWeightFile(readFileSync(join(a.run, 'best.int8.daaw')));
const cfg = fp32.config;
const ageOffset = a['age-offset'] === undefined ? null : await chooseAgeOffset(a['age-offset']);
if (ageOffset) for (const f of [fp32, int8]) shiftAge(f, ageOffset.years);

/** The offset of --age-offset: a number as given, or `val`: the validation part's median residual (0.01 years). */
async function chooseAgeOffset(arg: string): Promise<{ years: number; chosenOn: string }> {
  if (arg !== 'val') {
    const years = Number(arg);
    if (!Number.isFinite(years)) throw new Error(`--age-offset must be 'val' or a number of years, got ${arg}`);
    return { years, chosenOn: 'given on the command line' };
  }
  const rows = evalRows(readLabels(a.data!), 'val');
  const est = await createEstimator({ model: readFileSync(join(a.run!, 'best.fp32.daaw')), ensemble: false, crop: 'chip' });
  const residuals = rows.map((r) => r.age - est.estimate(decodeImage(new Uint8Array(readFileSync(join(imageDir(a.data!), r.file))), r.file)).age).sort((x, y) => x - y);
  est.dispose();
  const years = Math.round(residuals[residuals.length >> 1] * 100) / 100;
  return { years, chosenOn: `median of (true age - estimate) over the ${rows.length} validation chips, fp32 through the runtime` };
}

/** Adds `years` to every per-template estimate y - Delta_y: Delta_y = fc(.) + dec.fc.b, so the bias moves by -years. */
function shiftAge(file: typeof fp32, years: number): void {
  const t = file.tensors.get('dec.fc.b');
  if (!t || t.dtype !== 'f32' || t.data.length !== 1) throw new Error(`--age-offset needs an f32 dec.fc.b of one value; ${a.run} has ${t ? `${t.dtype} x ${t.data.length}` : 'none'}`);
  t.data[0] = Math.fround(t.data[0] - years);
}
/** The --pretrained of a run, or of the run it was initialised from (--init), recursively. */
function pretrainedOf(run: string): string | undefined {
  const o = JSON.parse(readFileSync(join(run, 'checkpoint.json'), 'utf8')).options ?? {};
  return o.pretrained ?? (o.init ? pretrainedOf(String(o.init)) : undefined);
}
function initProvenance(run: string) {
  const st = JSON.parse(readFileSync(join(run, 'checkpoint.json'), 'utf8'));
  return { run, epochsDone: st.history.length, bestEpoch: st.bestEpoch, bestValMae: st.bestValMae, options: st.options, history: st.history };
}
const provenance = compactProvenance({
  ...fp32.meta,
  name: a.name,
  run: a.run,
  epochsPlanned: Number(state.options.epochs),
  epochsDone: state.history.length,
  bestEpoch: state.bestEpoch,
  bestValMae: state.bestValMae,
  history: state.history,
  options: state.options,
  // runs imported from train/gpu/train_daa.py: the parity check and the runtime's validation MAE
  ...(state.parity ? { parity: state.parity, valMaeRuntime: state.valMaeRuntime } : {}),
  // --pretrained: where the encoder's initial weights came from, and under which licence
  // (or the run it started from with --init, and so on: a fine-tune of a fine-tune keeps the licence)
  ...(pretrainedOf(a.run) === 'facemesh' ? { pretrained: FACEMESH_PROVENANCE } : {}),
  // a warm restart (--init) names the run it started from, with that run's own history
  ...(state.options.init ? { initialisedFrom: initProvenance(String(state.options.init)) } : {}),
  ...(ageOffset ? { ageOffset } : {}),
  shipped: new Date().toISOString(),
  data: 'UTKFace aligned & cropped chips (non-commercial research use only); train split minus a seeded 10% validation part',
});

// calibration images: real training faces at the model's input size, no augmentation (not read with
// --weight-only, which has no activation scales to calibrate)
function calibrationImages(): Float32Array[] {
  const ds = loadDataset(a.data!, { size: cfg.inputSize, split: 'train' });
  const order = shuffle(Int32Array.from({ length: ds.ages.length }, (_, i) => i), makeRng(4242));
  const px = cfg.inputSize * cfg.inputSize * 3;
  return Array.from({ length: Math.min(Number(a.calib), order.length) }, (_, k) => {
    const src = ds.images.subarray(order[k] * px, (order[k] + 1) * px);
    return Float32Array.from(src, (v) => Math.fround(v / 255));
  });
}
const images = a['weight-only'] ? null : calibrationImages();
const activationScales = images
  ? await calibrate(await compileBackend('simd'), cfg, new Map([...fp32.tensors].map(([k, t]) => [k, dequantize(t)])), images)
  : Object.fromEntries(quantisedTensors(cfg).map((t) => [t, null]));
const calibration = images ? `${images.length} train-split images, min/max x HEADROOM` : 'none: int8 weights, f32 activations (--weight-only)';

const out = (p: string, file: typeof fp32, meta: Record<string, unknown>) =>
  writeFileSync(p, writeWeightFile(file.config, file.precision, [...file.tensors.values()], meta));
out(join('weights', `${a.name}.fp32.daaw`), fp32, provenance);
out(join('weights', `${a.name}.int8.daaw`), int8, { ...provenance, activationScales, calibration });
// --default names the model in weights/models.json and keeps its other fields (which precisions are embedded)
if (a.default) {
  const spec = existsSync('weights/models.json') ? JSON.parse(readFileSync('weights/models.json', 'utf8')) : {};
  writeFileSync('weights/models.json', JSON.stringify({ ...spec, default: a.name }, null, 2).replace(/\[\s+"int8"\s+\]/, '["int8"]') + '\n');
}
console.log(`shipped ${a.name}: epoch ${state.bestEpoch} (val MAE ${state.bestValMae?.toFixed(3)}), activations: ${calibration}`, images ? activationScales : '');
