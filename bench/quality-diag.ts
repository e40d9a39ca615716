/**
 * Diagnostic (not a target): do image-quality measures of a face's pixels predict the default model's
 * per-frame age error on the rendered sequences, and would weighting the tracker's age filter by
 * them lower the tracked MAE? Runs createTracker({ estimator }) over seeds 101-108 (not the bench's
 * 201-203), records each reading with its measures, then replays the age filter with R scaled.
 *
 * It also replays the filter under other noise models (the weight of spread, the floor, the process
 * noise), with the frame-to-frame sd ratio each keeps.
 *
 *   npx tsx bench/quality-diag.ts [--kinds blur,brightness,mixed] [--seeds 101-108]
 */
import { parseArgs } from 'node:util';
import { createEstimator, createTracker } from '../src/index.ts';
import { newAgeState, updateAge, DEFAULT_AGE_NOISE } from '../src/track/age-filter.ts';
import { DEFAULT_DATA_DIR } from '../train/data.ts';
import { loadTestChips, makeScene, SCENE_KINDS, SceneRenderer, truthAt, type SceneKind } from '../train/video.ts';
import { matchByIoU, readingOf } from '../test/track/util.ts';

const { values: a } = parseArgs({ options: { kinds: { type: 'string', default: 'blur,brightness,mixed,scale,still,drift,rotate,cross,leave' }, seeds: { type: 'string', default: '101-108' } } });
const kinds = a.kinds!.split(',') as SceneKind[];
const [s0, s1 = s0] = a.seeds!.split('-').map(Number);

/** luma mean, luma sd and contrast-normalised gradient energy over the central part of the box */
function measure(data: Uint8ClampedArray | Uint8Array, W: number, H: number, box: { x: number; y: number; width: number; height: number }) {
  const x0 = Math.max(1, Math.round(box.x + 0.2 * box.width)), x1 = Math.min(W - 1, Math.round(box.x + 0.8 * box.width));
  const y0 = Math.max(1, Math.round(box.y + 0.2 * box.height)), y1 = Math.min(H - 1, Math.round(box.y + 0.8 * box.height));
  let n = 0, s = 0, ss = 0, g = 0;
  const L = (x: number, y: number) => { const i = 4 * (y * W + x); return 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]; };
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const v = L(x, y);
      s += v; ss += v * v; n++;
      g += Math.abs(L(x + 1, y) - v) + Math.abs(L(x, y + 1) - v);
    }
  const m = s / n, sd = Math.sqrt(Math.max(0, ss / n - m * m));
  return { m, sd, g: g / n / Math.max(1, sd) };
}

type Rd = { t: number; z: number; r: number; label: number; blur: number; gain: number; m: number; sd: number; g: number; spread: number };
const tracks: { kind: string; rd: Rd[] }[] = [];
const est = await createEstimator();
for (const kind of kinds)
  for (let seed = s0; seed <= s1; seed++) {
    const scene = makeScene(kind, seed, { frames: 60 });
    const chips = loadTestChips(DEFAULT_DATA_DIR, 2, 1000 * seed + SCENE_KINDS.indexOf(kind));
    const r = new SceneRenderer(scene, chips);
    const tracker = createTracker({ estimator: est, duplicateBelow: 0 });
    const per = new Map<number, Rd[]>();
    for (let t = 0; t < scene.frames; t++) {
      const data = r.render(t);
      const frame = { data, width: scene.width, height: scene.height };
      const truth = truthAt(scene, t).filter((f) => f.visible);
      const faces = tracker.update(frame);
      matchByIoU(truth, faces).forEach((f, i) => {
        if (!f || f.ageRaw === null) return;
        const g = truth[i];
        const q = measure(data, scene.width, scene.height, f.box);
        const rd = readingOf(t, { box: f.box, keypoints: f.keypoints, score: f.score, age: f.ageRaw, spread: f.spreadRaw! }, frame);
        const list = per.get(g.face) ?? (per.set(g.face, []), per.get(g.face)!);
        list.push({ ...rd, label: chips[scene.faces[g.face].subject].age, blur: g.pose.blur, gain: g.pose.gain, ...q, spread: f.spreadRaw! });
      });
    }
    for (const rd of per.values()) if (rd.length >= 20) tracks.push({ kind, rd });
  }
est.dispose();

// how the error moves with each measure within a track: correlation of (z - track mean z) with the measure
const corr = (x: number[], y: number[]) => {
  const mx = x.reduce((p, q) => p + q, 0) / x.length, my = y.reduce((p, q) => p + q, 0) / y.length;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < x.length; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) ** 2; syy += (y[i] - my) ** 2; }
  return sxy / Math.sqrt(sxx * syy);
};
for (const kind of kinds) {
  const dz: number[] = [], adz: number[] = [], blur: number[] = [], gain: number[] = [], g: number[] = [], m: number[] = [], sp: number[] = [];
  for (const tk of tracks.filter((x) => x.kind === kind)) {
    const mz = tk.rd.reduce((p, q) => p + q.z, 0) / tk.rd.length;
    const mg = Math.max(...tk.rd.map((q) => q.g));
    for (const q of tk.rd) { dz.push(q.z - mz); adz.push(Math.abs(q.z - q.label)); blur.push(q.blur); gain.push(q.gain); g.push(q.g / mg); m.push(q.m); sp.push(q.spread); }
  }
  if (!dz.length) continue;
  console.log(`${kind.padEnd(10)} n ${dz.length}: corr(z - mean, blur) ${corr(dz, blur).toFixed(2)}, (gain) ${corr(dz, gain).toFixed(2)}, (sharp rel) ${corr(dz, g).toFixed(2)}, (luma) ${corr(dz, m).toFixed(2)}; corr(sharp rel, blur) ${corr(g, blur).toFixed(2)}, corr(luma, gain) ${corr(m, gain).toFixed(2)}, corr(spread, blur) ${corr(sp, blur).toFixed(2)}`);
}

// replay the filter with R scaled by a quality factor; causal: the sharpness is relative to the track's running max
type Weight = (q: Rd, gmax: number) => number;
const variants: Record<string, Weight> = { none: () => 1 };
for (const k of [1, 2, 4, 8]) variants[`sharp^-${k}`] = (q, gmax) => (gmax / q.g) ** k;
for (const w of [30, 50, 80]) variants[`luma ${w}`] = (q) => 1 + ((q.m - 128) / w) ** 2;
for (const k of [2, 4]) for (const w of [50]) variants[`sharp^-${k} luma ${w}`] = (q, gmax) => (gmax / q.g) ** k * (1 + ((q.m - 128) / w) ** 2);
// the noise model itself: R = F (base^2 + (perSpread spread)^2), F the reading's score, size, pose and
// edge factors (recovered from the recorded R, which used DEFAULT_AGE_NOISE)
const factor = (q: Rd) => q.r / (DEFAULT_AGE_NOISE.base ** 2 + (DEFAULT_AGE_NOISE.perSpread * q.spread) ** 2);
const noiseVariants: Record<string, { base: number; perSpread: number; processNoise: number }> = {};
for (const perSpread of (process.env.DIAG_PER_SPREAD ?? "0,0.5,1,2").split(",").map(Number)) for (const base of (process.env.DIAG_BASE ?? "0.5,1.5").split(",").map(Number)) for (const processNoise of (process.env.DIAG_Q ?? "0.02,0.05").split(",").map(Number))
  noiseVariants[`base ${base} perSpread ${perSpread} q ${processNoise}`] = { base, perSpread, processNoise };
console.log('\n| noise model | ' + kinds.join(' | ') + ' | all | frame-to-frame sd ratio, median (min) |\n|---|' + kinds.map(() => '---|').join('') + '---|---|');
for (const [name, nz] of Object.entries(noiseVariants)) {
  const cells: string[] = [];
  const ratios: number[] = [];
  for (const kind of [...kinds, 'all']) {
    let e = 0, n = 0, er = 0;
    for (const tk of tracks.filter((x) => kind === 'all' || x.kind === kind)) {
      const s = newAgeState();
      const out: number[] = [];
      tk.rd.forEach((q, i) => {
        updateAge(s, q.z, factor(q) * (nz.base ** 2 + (nz.perSpread * q.spread) ** 2), i ? q.t - tk.rd[i - 1].t : 1, nz.processNoise);
        e += Math.abs(s.mean - q.label); er += Math.abs(q.z - q.label); n++;
        out.push(s.mean);
      });
      if (kind === 'all') ratios.push(sdOfSteps(tk.rd.map((q) => q.z)) / Math.max(1e-9, sdOfSteps(out.slice(1))));
    }
    cells.push(`${(e / n).toFixed(3)} (raw ${(er / n).toFixed(3)})`);
  }
  ratios.sort((x, y) => x - y);
  console.log(`| ${name} | ${cells.join(' | ')} | ${ratios[ratios.length >> 1].toFixed(1)} (${ratios[0].toFixed(1)}) |`);
}
function sdOfSteps(v: number[]): number {
  const d = v.slice(1).map((x, i) => x - v[i]);
  const m = d.reduce((p, q) => p + q, 0) / d.length;
  return Math.sqrt(d.reduce((p, q) => p + (q - m) ** 2, 0) / d.length);
}

console.log('\n| weight | ' + kinds.join(' | ') + ' | all |');
for (const [name, f] of Object.entries(variants)) {
  const cells: string[] = [];
  let tot = 0, totN = 0, raw = 0;
  for (const kind of [...kinds, 'all']) {
    let e = 0, n = 0, er = 0;
    for (const tk of tracks.filter((x) => kind === 'all' || x.kind === kind)) {
      const s = newAgeState();
      let gmax = 0;
      tk.rd.forEach((q, i) => {
        gmax = Math.max(gmax, q.g);
        updateAge(s, q.z, q.r * f(q, gmax), i ? q.t - tk.rd[i - 1].t : 1, DEFAULT_AGE_NOISE.processNoise);
        e += Math.abs(s.mean - q.label); er += Math.abs(q.z - q.label); n++;
      });
    }
    cells.push(`${(e / n).toFixed(3)} (raw ${(er / n).toFixed(3)})`);
    if (kind === 'all') { tot = e; totN = n; raw = er; }
  }
  console.log(`| ${name} | ${cells.join(' | ')} |`);
  void tot; void totN; void raw;
}
