/**
 * `npx tsx train/eval-robust.ts [--data DIR] [--split test|val] [--every K] [--limit N] [--seed 1] [--model PATH
 *                               [--ensemble PATH[,PATH] --ensemble-weight W[,W]]] [--no-face-api] [--out docs/eval/robustness.md]`
 * What users' photos do to the age: each UTKFace chip of the split is perturbed the way real input
 * differs from the training chips (train/perturb.ts), then read by `estimate(img, { crop: 'chip' })`
 * (the built-in int8 ensemble, or --model alone or paired with --ensemble as in `npm run eval`) and by face-api's AgeGenderNet (its own preprocessing,
 * tfjs-backend-wasm) on the same pixels. `--every K` keeps every K-th image of the split (a quick
 * look spread over all ages: the labels are sorted by file name, so --limit alone takes a few ages). Reports MAE and mean signed error per condition, for both.
 * Misalignment draws per image, from a generator seeded with --seed, a shift of up to 2 px, a scale
 * of up to 6 % and a rotation of up to 3 degrees on the 128 px chip: what the whole-photo path's
 * keypoint alignment leaves (the accuracy issue's numbers).
 * `--split val` reads the trainers' validation part of the train split (splitValidation, 10 %, seed 1),
 * where training choices are made; the test split is for reporting. `--no-face-api` leaves face-api's
 * columns empty (comparing our own candidates: about half the time).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { faceApiCropAge, useTfjsWasm } from '../bench/peers/tfjs.ts';
import { createEstimator } from '../src/index.ts';
import { DEFAULT_DATA_DIR, decodeImage, evalRows, imageDir, makeRng, readLabels, type RgbImage } from './data.ts';
import { blurred, channelGains, greyscale, jpegRoundTrip, warp } from './perturb.ts';
import { ensembleFromFlags, ensembleText } from './ensemble-flags.ts';

const { values: a } = parseArgs({
  options: {
    data: { type: 'string', default: DEFAULT_DATA_DIR },
    split: { type: 'string', default: 'test' },
    every: { type: 'string', default: '1' },
    limit: { type: 'string' },
    seed: { type: 'string', default: '1' },
    model: { type: 'string' },
    ensemble: { type: 'string' },
    'ensemble-weight': { type: 'string' },
    out: { type: 'string', default: 'docs/eval/robustness.md' },
    'no-face-api': { type: 'boolean', default: false },
  },
});

interface Condition { name: string; what: string; apply(img: RgbImage, rnd: () => number): RgbImage }
const CONDITIONS: Condition[] = [
  { name: 'clean', what: 'the chip as it is', apply: (img) => img },
  {
    name: 'misaligned',
    what: 'shift up to 2 px, scale up to 6 %, rotation up to 3 degrees (uniform, per image)',
    apply: (img, rnd) => warp(img, { flip: false, dx: (rnd() * 2 - 1) * 2, dy: (rnd() * 2 - 1) * 2, zoom: 1 + (rnd() * 2 - 1) * 0.06, angleDeg: (rnd() * 2 - 1) * 3 }),
  },
  { name: 'jpeg q30', what: 'JPEG re-encoded at quality 30 (jpeg-js)', apply: (img) => jpegRoundTrip(img, 30) },
  { name: 'jpeg q60', what: 'JPEG re-encoded at quality 60', apply: (img) => jpegRoundTrip(img, 60) },
  { name: 'greyscale', what: 'BT.601 luma in all three channels', apply: greyscale },
  { name: 'warm cast', what: 'channel gains R 1.15, G 1.0, B 0.8 (tungsten-like white balance)', apply: (img) => channelGains(img, 1.15, 1, 0.8) },
  { name: 'cool cast', what: 'channel gains R 0.85, G 1.0, B 1.2 (shade-like white balance)', apply: (img) => channelGains(img, 0.85, 1, 1.2) },
  { name: 'dark', what: 'all channels x 0.5 (underexposed)', apply: (img) => channelGains(img, 0.5, 0.5, 0.5) },
  { name: 'blur', what: 'Gaussian blur, sigma 1.5 px on the 128 px chip', apply: (img) => blurred(img, 1.5) },
];

const withFaceApi = !a['no-face-api'];
if (withFaceApi) await useTfjsWasm();
const faceApiAge = withFaceApi ? await faceApiCropAge() : null;
const ensemble = ensembleFromFlags(a.ensemble, a['ensemble-weight']);
const est = await createEstimator(a.model ? { model: a.model, ...(ensemble ? { ensemble } : {}) } : {});
const ours = !a.model
  ? `the built-in ensemble (${est.precision}, what \`estimate()\` runs)`
  : a.ensemble
    ? `\`${a.model}\` with ${ensembleText(ensemble!)} (${est.precision})`
    : `\`${a.model}\` (${est.precision})`;

const rows = evalRows(readLabels(a.data!), a.split!).filter((_, i) => i % Number(a.every) === 0);
const chosen = a.limit ? rows.slice(0, Number(a.limit)) : rows;
if (chosen.length === 0) throw new Error(`no '${a.split}' images in ${a.data}`);
const dir = imageDir(a.data!);
const errs = CONDITIONS.map(() => ({ ours: new Float64Array(chosen.length), faceApi: new Float64Array(chosen.length) }));
const rnd = makeRng(Number(a.seed));
const t0 = performance.now();
for (let i = 0; i < chosen.length; i++) {
  const img = decodeImage(new Uint8Array(readFileSync(join(dir, chosen[i].file))), chosen[i].file);
  for (let c = 0; c < CONDITIONS.length; c++) {
    const p = CONDITIONS[c].apply(img, rnd);
    errs[c].ours[i] = est.estimate(p, { crop: 'chip' }).age - chosen[i].age;
    errs[c].faceApi[i] = faceApiAge ? (await faceApiAge(p)) - chosen[i].age : NaN;
  }
  if ((i + 1) % 100 === 0) process.stderr.write(`\r${i + 1}/${chosen.length} ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
process.stderr.write('\n');
est.dispose();

const mae = (e: Float64Array) => e.reduce((s, x) => s + Math.abs(x), 0) / e.length;
const mse = (e: Float64Array) => e.reduce((s, x) => s + x, 0) / e.length;
const clean = { ours: mae(errs[0].ours), faceApi: mae(errs[0].faceApi) };
const md = [
  `<!-- generated by: ${['npx tsx train/eval-robust.ts', ...process.argv.slice(2)].join(' ')} (${new Date().toISOString().slice(0, 10)}) -->`,
  `# Robustness: the age on perturbed UTKFace ${a.split} chips (${chosen.length} images)`,
  '',
  `Ours: ${ours}, \`estimate(img, { crop: 'chip' })\`. ${withFaceApi ? 'face-api: AgeGenderNet (@vladmandic/face-api, tfjs-backend-wasm) on the same pixels with its own preprocessing. face-api was trained on UTKFace among other sets, which flatters it on these chips (weights/README.md).' : 'face-api was not run (`--no-face-api`).'} MAE in years; "signed" is the mean of estimate - truth; "+" is the MAE's rise over the clean chips.`,
  '',
  '| condition | ours MAE | + | ours signed | face-api MAE | + | face-api signed |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...CONDITIONS.map((c, k) => {
    const o = mae(errs[k].ours), f = mae(errs[k].faceApi);
    const peer = withFaceApi ? `${f.toFixed(3)} | ${k ? (f - clean.faceApi).toFixed(3) : '-'} | ${mse(errs[k].faceApi).toFixed(2)}` : '- | - | -';
    return `| ${c.name} | ${o.toFixed(3)} | ${k ? (o - clean.ours).toFixed(3) : '-'} | ${mse(errs[k].ours).toFixed(2)} | ${peer} |`;
  }),
  '',
  'Conditions:',
  ...CONDITIONS.map((c) => `- ${c.name}: ${c.what}`),
  '',
];
console.log(md.join('\n'));
mkdirSync(dirname(a.out!), { recursive: true });
writeFileSync(a.out!, md.join('\n'));
console.error(`wrote ${a.out} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
