/**
 * Trainer: `npm run train -- [options]`. Trains the reference model (train/model.ts) on a face folder
 * (labels.csv or UTKFace-style names), checkpoints often (small files, meant to be committed), resumes
 * with --resume, and exports the best-on-validation weights as fp32 and int8 weight files.
 * `--init RUN_DIR` starts from another run's last weights with a fresh schedule (a warm restart).
 * `--pretrained facemesh` starts the `facemesh` encoder from MediaPipe's face mesh trunk
 * (train/pretrained/facemesh.ts; the head starts from its seeded initialisation).
 * `--split-seed S` draws the validation part apart from `--seed` (initial weights, order, augmentation).
 *
 * Smooth-L1 loss on the age; Adam (lr 1e-3, cosine decay to 0 over the run) with L2 weight decay 5e-4
 * added to the gradients (PyTorch's Adam weight_decay); flip/scale/rotation/translation augmentation
 * (`--grey P` adds greyscale on a fraction P of the images, `--photo P` exposure, white balance and blur).
 * `--teacher FILE` (train/teacher.ts: a teacher's age for every train-split chip) distils: each
 * training image's target is (1 - W) x its label + W x the teacher's age (`--teacher-weight W`,
 * default 0.5); validation always reads the labels, and the logged train MAE is against the targets.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, appendFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_CONFIG, type ModelConfig } from '../src/arch.ts';
import { selectBackend, type BackendChoice } from './backend.ts';
import { DEFAULT_AUGMENT, loadDataset, makeBatch, makeRng, shuffle, splitValidation, heldOutSplit, teacherTargets } from './data.ts';
import { exportWeights } from './export.ts';
import { DaaModel, smoothL1 } from './model.ts';
import { configFromFlags } from './config-flags.ts';
import { registerTrainingKernels } from './kernels/index.ts';
import { FACEMESH_GRAPH, loadFacemeshTrunk } from './pretrained/facemesh.ts';

const { values: a } = parseArgs({
  options: {
    data: { type: 'string', default: resolve(process.cwd(), '../shared/data/utkface') },
    out: { type: 'string', default: 'train/runs/c3ae-daa' },
    resume: { type: 'boolean', default: false },
    encoder: { type: 'string', default: DEFAULT_CONFIG.encoder },
    input: { type: 'string', default: '64' },
    width: { type: 'string' },
    feat: { type: 'string', default: String(DEFAULT_CONFIG.featDim) },
    daa: { type: 'string', default: DEFAULT_CONFIG.daa },
    epochs: { type: 'string', default: '30' },
    batch: { type: 'string', default: '32' },
    lr: { type: 'string', default: '1e-3' },
    wd: { type: 'string', default: '5e-4' },
    'val-fraction': { type: 'string', default: '0.1' },
    seed: { type: 'string', default: '1' },
    // the validation draw's seed (default: --seed); a second run with another --seed (initial
    // weights, order, augmentation) keeps the same held-out images with --split-seed 1
    'split-seed': { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    threads: { type: 'string', default: '1' },
    'ckpt-steps': { type: 'string', default: '100' },
    limit: { type: 'string' },
    'max-steps': { type: 'string' },
    'no-augment': { type: 'boolean', default: false },
    grey: { type: 'string', default: '0' },
    photo: { type: 'string', default: '0' },
    'save-every': { type: 'string', default: '5' },
    'template-loss': { type: 'string', default: '0' },
    init: { type: 'string' },
    pretrained: { type: 'string' },
    teacher: { type: 'string' },
    'teacher-weight': { type: 'string', default: '0.5' },
  },
});

interface RunState {
  config: ModelConfig;
  options: Record<string, unknown>;
  epoch: number; // epoch in progress (0-based)
  stepInEpoch: number; // steps of `epoch` already done
  globalStep: number;
  bestValMae: number | null;
  bestEpoch: number | null;
  history: Array<Record<string, number>>;
  trainSeconds: number;
  backend: string;
  vars: Array<{ name: string; length: number }>;
}

const out = resolve(a.out!);
mkdirSync(out, { recursive: true });
const ckptJson = join(out, 'checkpoint.json');
const ckptBin = join(out, 'checkpoint.bin');
const logFile = join(out, 'log.jsonl');
const log = (o: Record<string, unknown>) => appendFileSync(logFile, JSON.stringify({ time: new Date().toISOString(), ...o }) + '\n');

let state: RunState | null = null;
if (a.resume) {
  if (!existsSync(ckptJson)) throw new Error(`--resume: no checkpoint in ${out}`);
  state = JSON.parse(readFileSync(ckptJson, 'utf8')) as RunState;
}
const opt = (k: string) => (state ? state.options[k] : a[k as keyof typeof a]) as string;
const config: ModelConfig = state
  ? state.config
  : configFromFlags(a);
if (config.daa === 'template_all' || config.daa === 'template_channel')
  throw new Error('the trainer supports daa binary and none (image-template variants are reference-only)');
const epochs = Number(opt('epochs'));
const batch = Number(opt('batch'));
const lr0 = Number(opt('lr'));
const wd = Number(opt('wd'));
const seed = Number(opt('seed'));
const split = heldOutSplit(state ? state.options : a);
// --grey P: a fraction P of the training images turned to greyscale; --photo P: a fraction P given an
// exposure, white-balance and blur change (train/data.ts AugmentOptions)
const augmentOn = opt('no-augment') ? false : { ...DEFAULT_AUGMENT, greyscale: Number(opt('grey') ?? 0), photometric: Number(opt('photo') ?? 0) };
const templateLoss = Number(opt('template-loss') ?? 0);
const backend = await selectBackend(a.backend as BackendChoice, Number(a.threads));
const accelerated = backend === 'wasm' ? await registerTrainingKernels() : [];
console.error(`backend: ${backend} (+ ${accelerated.join(', ') || 'no'} project kernels); config ${JSON.stringify(config)}; out ${out}`);

const t0 = Date.now();
const dsAll = await loadDataset(a.data!, { size: config.inputSize, split: 'train', onProgress: (d: number, n: number) => process.stderr.write(`\rdecoding ${d}/${n}`) });
process.stderr.write(`\rloaded ${dsAll.ages.length} train images at ${config.inputSize}px in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
const { train: trainIdxAll, val: valIdx } = splitValidation(dsAll.ages.length, split.fraction, split.seed);
const limit = a.limit ? Number(a.limit) : trainIdxAll.length;
const trainIdx = trainIdxAll.slice(0, limit);
const stepsPerEpoch = Math.floor(trainIdx.length / batch);
// --teacher: the training images' targets blend label and teacher age; the validation part keeps its labels
const dsTrain = ((): typeof dsAll => {
  const file = opt('teacher');
  if (!file) return dsAll;
  const w = Number(opt('teacher-weight') ?? 0.5);
  const ages = teacherTargets(dsAll.ages, dsAll.files, trainIdx, file, w);
  console.error(`targets: (1 - ${w}) x label + ${w} x the teacher's age (${file}) on ${trainIdx.length} training images`);
  return { ...dsAll, ages };
})();
const totalSteps = stepsPerEpoch * epochs;

const model = new DaaModel(config, seed);
const trainable = [...model.vars.entries()].filter(([, v]) => v.trainable);
const adamM = new Map<string, tf.Variable>();
const adamV = new Map<string, tf.Variable>();
for (const [n, v] of trainable) {
  adamM.set(n, tf.variable(tf.zerosLike(v), false));
  adamV.set(n, tf.variable(tf.zerosLike(v), false));
}
const allState = (): Array<[string, tf.Variable]> => [
  ...model.vars.entries(),
  ...[...adamM.entries()].map(([n, v]) => [`adam.m.${n}`, v] as [string, tf.Variable]),
  ...[...adamV.entries()].map(([n, v]) => [`adam.v.${n}`, v] as [string, tf.Variable]),
];

if (state) {
  const buf = readFileSync(ckptBin);
  const f = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const byName = new Map(allState());
  let off = 0;
  for (const { name, length } of state.vars) {
    const v = byName.get(name);
    if (!v || v.size !== length) throw new Error(`checkpoint variable ${name} does not fit this model`);
    v.assign(tf.tensor(f.slice(off, off + length), v.shape));
    off += length;
  }
  console.error(`resumed at epoch ${state.epoch + 1}, step ${state.stepInEpoch}/${stepsPerEpoch}`);
} else {
  state = {
    config,
    options: { ...a },
    epoch: 0,
    stepInEpoch: 0,
    globalStep: 0,
    bestValMae: null,
    bestEpoch: null,
    history: [],
    trainSeconds: 0,
    backend,
    vars: [],
  };
  // start the output at the mean training age: age = mean_y(y) - Delta, so Delta's bias starts at
  // mean(template ages) - mean(train ages) (Adam moves a bias ~lr per step: 16 years would take 16k steps)
  let meanAge = 0;
  for (const i of trainIdx) meanAge += dsAll.ages[i];
  meanAge /= trainIdx.length;
  if (config.daa === 'none') model.v('reg.fc.b').assign(tf.tensor1d([meanAge]));
  else model.v('dec.fc.b').assign(tf.tensor1d([(config.numTemplates - 1) / 2 - meanAge]));
  if (a.pretrained) {
    if (a.pretrained !== 'facemesh') throw new Error(`--pretrained ${a.pretrained}: only facemesh`);
    const n = loadFacemeshTrunk(model);
    console.error(`encoder initialised from ${FACEMESH_GRAPH} (${n} values)`);
  }
  if (a.init) {
    // --init RUN_DIR: start from another run's model weights (its last checkpoint; Adam's moments
    // and the schedule start afresh), e.g. a warm restart of the cosine schedule at a lower lr
    const init = JSON.parse(readFileSync(join(resolve(a.init), 'checkpoint.json'), 'utf8')) as RunState;
    // the input size may differ (a fine-tune at another resolution): the encoder's convolutions and
    // the decoder after global average pooling do not depend on it; the size check below catches a
    // model whose variables do
    const same = (Object.keys(config) as (keyof ModelConfig)[]).every((k) => k === 'inputSize' || init.config[k] === config[k]);
    if (!same) throw new Error(`--init: ${a.init} has config ${JSON.stringify(init.config)}, not ${JSON.stringify(config)}`);
    // another validation draw would validate on images the initial weights were trained on
    const initSplit = heldOutSplit(init.options ?? {});
    if (initSplit.seed !== split.seed || initSplit.fraction !== split.fraction)
      throw new Error(`--init: ${a.init} held out split seed ${initSplit.seed}, --val-fraction ${initSplit.fraction} for validation; this run's split seed ${split.seed}, --val-fraction ${split.fraction} would validate on images it was trained on (--split-seed ${initSplit.seed} --val-fraction ${initSplit.fraction} keeps that split)`);
    const buf = readFileSync(join(resolve(a.init), 'checkpoint.bin'));
    const f = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    let off = 0;
    for (const { name, length } of init.vars) {
      const v = model.vars.get(name);
      if (v) {
        if (v.size !== length) throw new Error(`--init: variable ${name} does not fit this model`);
        v.assign(tf.tensor(f.slice(off, off + length), v.shape));
      }
      off += length;
    }
    console.error(`initialised from ${a.init} (its epoch ${init.epoch}, best val MAE ${init.bestValMae})`);
  }
  log({ event: 'start', config, options: a, backend, train: trainIdx.length, val: valIdx.length, meanAge });
}
const st = state;

function saveCheckpoint(): void {
  const vars = allState();
  const total = vars.reduce((s, [, v]) => s + v.size, 0);
  const f = new Float32Array(total);
  let off = 0;
  st.vars = vars.map(([name, v]) => {
    f.set(v.dataSync() as Float32Array, off);
    off += v.size;
    return { name, length: v.size };
  });
  writeFileSync(ckptBin + '.tmp', new Uint8Array(f.buffer));
  writeFileSync(ckptJson + '.tmp', JSON.stringify(st, null, 1));
  renameSync(ckptBin + '.tmp', ckptBin);
  renameSync(ckptJson + '.tmp', ckptJson);
}

function validate(): number {
  let absErr = 0;
  const vb = 128;
  const rng = makeRng(0);
  for (let s = 0; s < valIdx.length; s += vb) {
    const n = Math.min(vb, valIdx.length - s);
    const { x, y } = makeBatch(dsAll, valIdx, s, n, rng, false);
    const pred = tf.tidy(() => model.forward(tf.tensor4d(x.subarray(0, n * config.inputSize ** 2 * 3), [n, config.inputSize, config.inputSize, 3])).age.dataSync());
    for (let i = 0; i < n; i++) absErr += Math.abs(pred[i] - y[i]);
  }
  return absErr / valIdx.length;
}

const nameOf = new Map(trainable.map(([n, v]) => [v.name, n]));
const b1 = 0.9;
const b2 = 0.999;
const maxSteps = a['max-steps'] ? Number(a['max-steps']) : Infinity;
let stepsThisRun = 0;
const ckptSteps = Number(a['ckpt-steps']);

for (; st.epoch < epochs && stepsThisRun < maxSteps; st.epoch++, st.stepInEpoch = 0) {
  const order = Int32Array.from(trainIdx);
  shuffle(order, makeRng(seed * 1000 + st.epoch));
  let lossSum = 0;
  let maeSum = 0;
  let seen = 0;
  const epochStart = Date.now();
  const stepStart = st.stepInEpoch;
  for (; st.stepInEpoch < stepsPerEpoch && stepsThisRun < maxSteps; st.stepInEpoch++) {
    const ts = Date.now();
    const rng = makeRng(seed * 7919 + st.globalStep);
    const { x, y } = makeBatch(dsTrain, order, st.stepInEpoch * batch, batch, rng, augmentOn);
    const lr = 0.5 * lr0 * (1 + Math.cos((Math.PI * st.globalStep) / totalSteps));
    const t = st.globalStep + 1;
    const [lossV, maeV] = tf.tidy(() => {
      const xt = tf.tensor4d(x, [batch, config.inputSize, config.inputSize, 3]);
      const yt = tf.tensor1d(y);
      let ages: tf.Tensor1D | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const f = model.forward(xt, { training: true });
        ages = tf.keep(f.age);
        const loss = smoothL1(ages, yt);
        // beyond the paper (off by default): also ask every template's own estimate y - Delta_y to be
        // the age, so that interval sampling and `spread` stay meaningful
        if (templateLoss <= 0) return loss;
        return tf.add(loss, tf.mul(templateLoss, smoothL1(f.perTemplate, tf.reshape(yt, [-1, 1])))) as tf.Scalar;
      }, trainable.map(([, v]) => v));
      for (const [vn, g] of Object.entries(grads)) {
        const n = nameOf.get(vn)!;
        const p = model.v(n);
        const gd = tf.add(g, tf.mul(p, wd));
        const m = adamM.get(n)!;
        const v = adamV.get(n)!;
        m.assign(tf.add(tf.mul(m, b1), tf.mul(gd, 1 - b1)));
        v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(gd), 1 - b2)));
        const mh = tf.div(m, 1 - b1 ** t);
        const vh = tf.div(v, 1 - b2 ** t);
        p.assign(tf.sub(p, tf.mul(lr, tf.div(mh, tf.add(tf.sqrt(vh), 1e-8)))));
      }
      const mae = tf.mean(tf.abs(tf.sub(ages!, yt))).dataSync()[0];
      (ages as tf.Tensor | null)?.dispose();
      return [value.dataSync()[0], mae];
    });
    model.applyBnUpdates();
    st.globalStep++;
    stepsThisRun++;
    st.trainSeconds += (Date.now() - ts) / 1000;
    lossSum += lossV * batch;
    maeSum += maeV * batch;
    seen += batch;
    const done = st.stepInEpoch + 1 - stepStart;
    const ips = (done * batch) / ((Date.now() - epochStart) / 1000);
    const eta = ((stepsPerEpoch - st.stepInEpoch - 1) * batch) / ips;
    const w = 24;
    const fill = Math.round((w * (st.stepInEpoch + 1)) / stepsPerEpoch);
    process.stderr.write(
      `\repoch ${st.epoch + 1}/${epochs} [${'#'.repeat(fill)}${'.'.repeat(w - fill)}] ${st.stepInEpoch + 1}/${stepsPerEpoch} loss ${(lossSum / seen).toFixed(3)} mae ${(maeSum / seen).toFixed(2)} ${ips.toFixed(1)} img/s eta ${Math.round(eta)}s   `,
    );
    if ((st.stepInEpoch + 1) % ckptSteps === 0) {
      st.stepInEpoch++;
      saveCheckpoint();
      st.stepInEpoch--;
    }
  }
  if (st.stepInEpoch < stepsPerEpoch) {
    saveCheckpoint();
    break; // --max-steps reached mid-epoch
  }
  const valMae = validate();
  const rec = { epoch: st.epoch + 1, trainLoss: lossSum / Math.max(1, seen), trainMae: maeSum / Math.max(1, seen), valMae, trainSeconds: st.trainSeconds, imagesPerSecond: seen / ((Date.now() - epochStart) / 1000) };
  st.history.push(rec);
  log({ event: 'epoch', ...rec });
  process.stderr.write(`\nepoch ${st.epoch + 1}: val MAE ${valMae.toFixed(3)}\n`);
  const saveEvery = Number(opt('save-every') ?? 5);
  if (saveEvery > 0 && (st.epoch + 1) % saveEvery === 0)
    writeFileSync(join(out, `epoch-${st.epoch + 1}.fp32.daaw`), exportWeights(model, 'fp32', { trainedBy: 'train/train.ts', epoch: st.epoch + 1, valMae, backend }));
  if (st.bestValMae === null || valMae < st.bestValMae) {
    st.bestValMae = valMae;
    st.bestEpoch = st.epoch + 1;
    const meta = { trainedBy: 'train/train.ts', epoch: st.epoch + 1, valMae, backend, trainSeconds: st.trainSeconds, data: 'UTKFace (non-commercial research use only)' };
    writeFileSync(join(out, 'best.fp32.daaw'), exportWeights(model, 'fp32', meta));
    writeFileSync(join(out, 'best.int8.daaw'), exportWeights(model, 'int8', meta));
  }
  st.epoch++;
  st.stepInEpoch = 0;
  saveCheckpoint();
  st.epoch--;
}
console.error(`\nstopped at epoch ${st.epoch + (st.stepInEpoch ? 1 : 0)}; best val MAE ${st.bestValMae?.toFixed(3)} (epoch ${st.bestEpoch})`);
