/**
 * Evaluation of the face detector and the detect + align path (numbers for docs/detect.md):
 *
 *   npx tsx scripts/eval-detect.ts chips    [--limit N]   UTKFace test split: MAE of crop 'chip' (the
 *                                                         old path), 'auto' (default) and 'detect';
 *                                                         NoFaceError counts
 *   npx tsx scripts/eval-detect.ts canvases [--limit N]   640 x 480 canvases (flat, noise, gradient), one
 *                                                         test chip pasted at S = 32 .. 512 px, rotated
 *                                                         up to 25 degrees: detection rate per S, age MAE
 *                                                         (S >= 96) vs the same chips alone, ms per canvas
 *   npx tsx scripts/eval-detect.ts negatives [--n 1000]   face-free canvases (flat, noise, gradient,
 *                                                         texture, clutter; 128x128 .. 1024x768): false detections
 * A face counts as found when a detected box contains the pasted chip's centre and its eye distance
 * is within a factor 1.5 of the pasted one's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEstimator, NoFaceError, type Face } from '../src/index.ts';
import { FACE_TEMPLATE } from '../src/detect/align.ts';
import { DEFAULT_DATA_DIR, decodeImage, imageDir, readLabels } from '../train/data.ts';
import { background, pasteChip, placePoint, type Background, type Placement } from '../train/canvas.ts';
import { makeRng } from '../train/data.ts';

const { values: a, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    limit: { type: 'string' }, n: { type: 'string', default: '1000' }, data: { type: 'string', default: DEFAULT_DATA_DIR },
    sizes: { type: 'string', default: '32,48,96,192,384,512' }, backend: { type: 'string' }, 'min-score': { type: 'string' },
  },
});
const mode = positionals[0] ?? 'chips';
const est = await createEstimator({ backend: a.backend as 'simd' | undefined });
const testRows = () => {
  const rows = readLabels(a.data!).filter((r) => r.split === 'test');
  if (!a.limit) return rows;
  const n = Number(a.limit), step = Math.max(1, Math.floor(rows.length / n));
  return rows.filter((_, i) => i % step === 0).slice(0, n);
};
const load = (file: string) => decodeImage(new Uint8Array(readFileSync(join(imageDir(a.data!), file))), file);
const opts = a['min-score'] ? { minScore: Number(a['min-score']) } : {};
const stamp = `${new Date().toISOString()} (${est.backend} build${a['min-score'] ? `, minScore ${a['min-score']}` : ''})`;

/** whether `f` is the face pasted at `at` */
export function matches(f: Face, at: Placement): boolean {
  const inBox = at.cx >= f.box.x && at.cx <= f.box.x + f.box.width && at.cy >= f.box.y && at.cy <= f.box.y + f.box.height;
  const [r, l] = [placePoint(FACE_TEMPLATE[0], at), placePoint(FACE_TEMPLATE[1], at)];
  const want = Math.hypot(l.x - r.x, l.y - r.y), got = Math.hypot(f.keypoints[1].x - f.keypoints[0].x, f.keypoints[1].y - f.keypoints[0].y);
  return inBox && got / want < 1.5 && want / got < 1.5;
}

if (mode === 'chips') {
  const rows = testRows();
  const err = { chip: [] as number[], auto: [] as number[], detect: [] as number[], chipWhereAuto: [] as number[] };
  const noFace = { auto: 0, detect: 0 };
  let autoAsChip = 0;
  for (const r of rows) {
    const img = load(r.file);
    const chipErr = Math.abs(est.estimate(img, { crop: 'chip' }).age - r.age);
    err.chip.push(chipErr);
    for (const crop of ['auto', 'detect'] as const) {
      try {
        const e = est.estimate(img, { crop });
        if (crop === 'auto' && !e.face) autoAsChip++;
        if (crop === 'auto') err.chipWhereAuto.push(chipErr);
        err[crop].push(Math.abs(e.age - r.age));
      } catch (e) {
        if (!(e instanceof NoFaceError)) throw e;
        noFace[crop]++;
      }
    }
  }
  const mae = (v: number[]) => (v.reduce((s, x) => s + x, 0) / v.length).toFixed(3);
  console.log(`${stamp}: ${rows.length} UTKFace test chips`);
  console.log(`crop 'chip' (no detection): MAE ${mae(err.chip)} on ${err.chip.length}`);
  console.log(`crop 'auto' (default):      MAE ${mae(err.auto)} on ${err.auto.length} (crop 'chip' on the same: ${mae(err.chipWhereAuto)}), NoFaceError ${noFace.auto}, whole image used on ${autoAsChip}`);
  console.log(`crop 'detect':              MAE ${mae(err.detect)} on ${err.detect.length}, NoFaceError ${noFace.detect}`);
} else if (mode === 'canvases') {
  const rows = testRows().slice(0, Number(a.limit ?? 200));
  const sizes = a.sizes!.split(',').map(Number);
  const W = 640, H = 480;
  const found = new Map<number, number>(), total = new Map<number, number>();
  const ageErr: number[] = [], chipErr: number[] = [];
  let ms = 0, runs = 0, extra = 0;
  const rnd = makeRng(7);
  rows.forEach((r, i) => {
    const chip = load(r.file);
    const chipAge = est.estimate(chip, { crop: 'chip' }).age;
    for (const S of sizes) {
      const kind: Background = (['flat', 'noise', 'gradient'] as const)[(i + S) % 3];
      const canvas = background(kind, W, H, 1000 + i * 7 + S);
      const diag = (S * Math.SQRT2) / 2;
      const fit = (n: number) => (n - 2 * diag > 0 ? diag + rnd() * (n - 2 * diag) : n / 2);
      const at: Placement = { cx: fit(W), cy: fit(H), size: S, angle: (rnd() * 2 - 1) * 25 };
      pasteChip(canvas, W, H, chip.data, chip.width, at);
      const t0 = performance.now();
      const faces = est.estimateAll({ data: canvas, width: W, height: H }, opts);
      ms += performance.now() - t0; runs++;
      const hit = faces.find((f) => matches(f, at));
      extra += faces.length - (hit ? 1 : 0);
      total.set(S, (total.get(S) ?? 0) + 1);
      if (hit) {
        found.set(S, (found.get(S) ?? 0) + 1);
        if (S >= 96) { ageErr.push(Math.abs(hit.age - r.age)); chipErr.push(Math.abs(chipAge - r.age)); }
      }
    }
  });
  const mae = (v: number[]) => (v.reduce((s, x) => s + x, 0) / v.length).toFixed(2);
  console.log(`${stamp}: ${rows.length} UTKFace test chips on ${W}x${H} canvases (flat / noise / gradient), rotation up to 25 degrees`);
  console.log(`| S | ${sizes.join(' | ')} | age MAE (S >= 96) vs chip alone | other detections | ms per canvas (estimateAll) |`);
  console.log(`|---|${sizes.map(() => '---').join('|')}|---|---|---|`);
  console.log(`| found | ${sizes.map((S) => `${((100 * (found.get(S) ?? 0)) / total.get(S)!).toFixed(1)} %`).join(' | ')} | ${mae(ageErr)} vs ${mae(chipErr)} (n ${ageErr.length}) | ${extra} on ${runs} canvases | ${(ms / runs).toFixed(1)} |`);
} else if (mode === 'negatives') {
  const n = Number(a.n);
  let falses = 0, images = 0, answered = 0;
  const kinds: Background[] = ['flat', 'noise', 'gradient', 'texture', 'clutter'];
  for (let i = 0; i < n; i++) {
    // every kind at every size (kinds cycle every 5 images, sizes every 4)
    const kind = kinds[i % 5];
    const [W, H] = [[640, 480], [128, 128], [320, 240], [1024, 768]][i % 4];
    const faces = est.detectFaces({ data: background(kind, W, H, 5000 + i), width: W, height: H }, opts);
    falses += faces.length;
    if (faces.length) images++;
    if (faces.length) console.log(`  false: ${kind} ${W}x${H} seed ${5000 + i}: ${faces.map((f) => `${f.score.toFixed(2)} (${f.box.width.toFixed(0)} px)`).join(', ')}`);
    try {
      est.estimate({ data: background(kind, W, H, 5000 + i), width: W, height: H }, opts);
      answered++;
    } catch (e) {
      if (!(e instanceof NoFaceError)) throw e;
    }
  }
  console.log(`${stamp}: ${n} face-free images (flat, noise, gradient, texture, clutter; 128x128 .. 1024x768): ${falses} false detections on ${images} images; estimate() answered ${answered} (NoFaceError on the rest)`);
}
