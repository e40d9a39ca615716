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
 *     [--sizes 32,48,..] [--min-score X] [--min-face-size PX]   options of estimateAll / detectFaces
 *   npx tsx scripts/eval-detect.ts faceapi [--limit N] [--sizes 96,192,384]   the same canvases through
 *                                                         estimateAll and face-api's two whole-image
 *                                                         pipelines (tiny detector or SSD MobileNetV1,
 *                                                         then AgeGenderNet; tfjs-backend-wasm): found
 *                                                         per S (a box around the pasted centre, for
 *                                                         all three), age MAE on the faces each finds
 *                                                         and on those all three find
 *   npx tsx scripts/eval-detect.ts look [--limit N] [--sides 128,112,96,80]   the video tracker's look
 *                                                         (refineFace with the age) at each window side:
 *                                                         chips pasted at 96..320 px, rotated up to 25
 *                                                         degrees, found by estimateAll, looked at from a
 *                                                         seed shifted by up to 6 % of the box: found,
 *                                                         age MAE, keypoint error, ms per call
 *   npx tsx scripts/eval-detect.ts models [--limit 40] [--sizes ...]   MediaPipe's short- and full-range
 *                                                         files as they are (scripts/tflite-run.ts), one
 *                                                         letterbox of a 640 x 480 frame each: found per
 *                                                         S at scores 0.5 / 0.75, MMACs per pixel
 *   npx tsx scripts/eval-detect.ts negatives [--n 1000]   face-free canvases (flat, noise, gradient,
 *                                                         texture, clutter; 128x128 .. 1024x768): false detections
 * canvases prints each missed face (size, chip, background, angle) as it goes.
 * A face counts as found when a detected box contains the pasted chip's centre and its eye distance
 * is within a factor 1.5 of the pasted one's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEstimator, NoFaceError, type Face } from '../src/index.ts';
import { FACE_TEMPLATE, TEMPLATE_KEYPOINTS } from '../src/detect/align.ts';
import type { FaceDetector } from '../src/detect/detector.ts';
import { DEFAULT_DATA_DIR, decodeImage, imageDir, readLabels } from '../train/data.ts';
import { background, pasteChip, placePoint, type Background, type Placement } from '../train/canvas.ts';
import { makeRng } from '../train/data.ts';
import { scoreOf } from '../src/detect/decode.ts';
import { loadTfliteGraph, runTfliteGraph, tfliteMacs } from './tflite-run.ts';

const { values: a, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    limit: { type: 'string' }, n: { type: 'string', default: '1000' }, data: { type: 'string', default: DEFAULT_DATA_DIR },
    sizes: { type: 'string' }, backend: { type: 'string' }, 'min-score': { type: 'string' },
    'min-face-size': { type: 'string' }, sides: { type: 'string', default: '128,112,96,80' },
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
const opts = {
  ...(a['min-score'] ? { minScore: Number(a['min-score']) } : {}),
  ...(a['min-face-size'] ? { minFaceSize: Number(a['min-face-size']) } : {}),
};
/** --sizes, or the mode's own default */
const sizesOr = (dflt: string) => (a.sizes ?? dflt).split(',').map(Number);
const stamp = `${new Date().toISOString()} (${est.backend} build${Object.entries(opts).map(([k, v]) => `, ${k} ${v}`).join('')})`;

/** whether `f` is the face pasted at `at` */
export function matches(f: Face, at: Placement): boolean {
  const inBox = at.cx >= f.box.x && at.cx <= f.box.x + f.box.width && at.cy >= f.box.y && at.cy <= f.box.y + f.box.height;
  const [r, l] = [placePoint(FACE_TEMPLATE[0], at), placePoint(FACE_TEMPLATE[1], at)];
  const want = Math.hypot(l.x - r.x, l.y - r.y), got = Math.hypot(f.keypoints[1].x - f.keypoints[0].x, f.keypoints[1].y - f.keypoints[0].y);
  return inBox && got / want < 1.5 && want / got < 1.5;
}

/**
 * A W x H canvas (flat, noise or gradient by i and S) with `chip` pasted at face size S, rotated up
 * to 25 degrees, at a random place where it fits whole (the middle where it does not).
 */
function pastedCanvas(chip: { data: Uint8Array; width: number }, i: number, S: number, W: number, H: number, rnd: () => number): { canvas: Uint8Array; at: Placement; kind: Background } {
  const kind: Background = (['flat', 'noise', 'gradient'] as const)[(i + S) % 3];
  const canvas = background(kind, W, H, 1000 + i * 7 + S);
  const diag = (S * Math.SQRT2) / 2;
  const fit = (n: number) => (n - 2 * diag > 0 ? diag + rnd() * (n - 2 * diag) : n / 2);
  const at: Placement = { cx: fit(W), cy: fit(H), size: S, angle: (rnd() * 2 - 1) * 25 };
  pasteChip(canvas, W, H, chip.data, chip.width, at);
  return { canvas, at, kind };
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
  const sizes = sizesOr('32,48,96,192,384,512');
  const W = 640, H = 480;
  const found = new Map<number, number>(), total = new Map<number, number>();
  const ageErr: number[] = [], chipErr: number[] = [];
  let ms = 0, runs = 0, extra = 0;
  const rnd = makeRng(7);
  rows.forEach((r, i) => {
    const chip = load(r.file);
    const chipAge = est.estimate(chip, { crop: 'chip' }).age;
    for (const S of sizes) {
      const { canvas, at, kind } = pastedCanvas(chip, i, S, W, H, rnd);
      const t0 = performance.now();
      const faces = est.estimateAll({ data: canvas, width: W, height: H }, opts);
      ms += performance.now() - t0; runs++;
      const hit = faces.find((f) => matches(f, at));
      extra += faces.length - (hit ? 1 : 0);
      total.set(S, (total.get(S) ?? 0) + 1);
      if (hit) {
        found.set(S, (found.get(S) ?? 0) + 1);
        if (S >= 96) { ageErr.push(Math.abs(hit.age - r.age)); chipErr.push(Math.abs(chipAge - r.age)); }
      } else {
        console.log(`  missed: S ${S}, chip ${i} ${r.file}, ${kind}, angle ${at.angle.toFixed(1)}`);
      }
    }
  });
  const mae = (v: number[]) => (v.reduce((s, x) => s + x, 0) / v.length).toFixed(2);
  console.log(`${stamp}: ${rows.length} UTKFace test chips on ${W}x${H} canvases (flat / noise / gradient), rotation up to 25 degrees`);
  console.log(`| S | ${sizes.join(' | ')} | age MAE (S >= 96) vs chip alone | other detections | ms per canvas (estimateAll) |`);
  console.log(`|---|${sizes.map(() => '---').join('|')}|---|---|---|`);
  console.log(`| found | ${sizes.map((S) => `${((100 * (found.get(S) ?? 0)) / total.get(S)!).toFixed(1)} %`).join(' | ')} | ${mae(ageErr)} vs ${mae(chipErr)} (n ${ageErr.length}) | ${extra} on ${runs} canvases | ${(ms / runs).toFixed(1)} |`);
} else if (mode === 'faceapi') {
  // face-api's AgeGenderNet was trained on UTKFace among others (its TUTORIAL.md), so these test
  // chips flatter its ages; the detection rates are fair to both
  const { faceApiPipeline, useTfjsWasm } = await import('../bench/peers/tfjs.ts');
  await useTfjsWasm();
  const rows = testRows().slice(0, Number(a.limit ?? 200));
  const sizes = sizesOr('96,192,384');
  const W = 640, H = 480;
  const names = ['daa-wasm estimateAll', 'face-api tiny + AgeGenderNet', 'face-api SSD + AgeGenderNet'] as const;
  const found = names.map(() => new Map<number, number>());
  const err = names.map(() => [] as number[]);
  const both = names.map(() => [] as number[]);
  const rnd = makeRng(7);
  type Box = { x: number; y: number; width: number; height: number };
  const around = (b: Box, at: Placement) => at.cx >= b.x && at.cx <= b.x + b.width && at.cy >= b.y && at.cy <= b.y + b.height;
  for (const [i, r] of rows.entries()) {
    const chip = load(r.file);
    for (const S of sizes) {
      const { canvas, at } = pastedCanvas(chip, i, S, W, H, rnd);
      const frame = { data: canvas, width: W, height: H };
      const answers: Array<{ box: Box; age: number }[]> = [est.estimateAll(frame, opts)];
      for (const d of ['tiny', 'ssd'] as const) {
        const p = await faceApiPipeline(d, frame);
        answers.push(await p.run());
        p.dispose();
      }
      const hits = answers.map((faces) => faces.find((f) => around(f.box, at)));
      hits.forEach((h, k) => {
        if (!h) return;
        found[k].set(S, (found[k].get(S) ?? 0) + 1);
        err[k].push(Math.abs(h.age - r.age));
        if (hits.every(Boolean)) both[k].push(Math.abs(h.age - r.age));
      });
    }
    if ((i + 1) % 20 === 0) process.stderr.write(`\r${i + 1}/${rows.length} chips`);
  }
  const mae = (v: number[]) => (v.reduce((s, x) => s + x, 0) / Math.max(1, v.length)).toFixed(2);
  console.log(`\n${stamp}: ${rows.length} UTKFace test chips on ${W}x${H} canvases (flat / noise / gradient), rotation up to 25 degrees; found: a box around the pasted face's centre; face-api with its default options`);
  console.log(`| pipeline | ${sizes.map((S) => `found at ${S} px`).join(' | ')} | age MAE, faces it found | age MAE, faces all three found (n ${both[0].length}) |`);
  console.log(`|---|${sizes.map(() => '---:').join('|')}|---:|---:|`);
  names.forEach((n, k) => console.log(`| ${n} | ${sizes.map((S) => `${((100 * (found[k].get(S) ?? 0)) / rows.length).toFixed(1)} %`).join(' | ')} | ${mae(err[k])} (n ${err[k].length}) | ${mae(both[k])} |`));
} else if (mode === 'look') {
  const rows = testRows().slice(0, Number(a.limit ?? 150));
  const sides = a.sides!.split(',').map(Number);
  const det = (est as unknown as { faceDetector(): FaceDetector }).faceDetector();
  const W = 640, H = 480;
  const rnd = makeRng(11);
  const stat = new Map(sides.map((s) => [s, { found: 0, err: [] as number[], ms: 0, kp: [] as number[] }]));
  let n = 0;
  rows.forEach((r, i) => {
    const chip = load(r.file);
    for (const S of [96, 144, 224, 320]) {
      const { canvas, at } = pastedCanvas(chip, i, S, W, H, rnd);
      const frame = { data: canvas, width: W, height: H };
      const f = est.estimateAll(frame, opts).find((q) => matches(q, at));
      if (!f) continue;
      n++;
      // the seed as a tracker predicts it: shifted by up to 6 % of the box
      const dx = (rnd() * 2 - 1) * 0.06 * f.box.width, dy = (rnd() * 2 - 1) * 0.06 * f.box.height;
      const seed = { box: { ...f.box, x: f.box.x + dx, y: f.box.y + dy }, keypoints: f.keypoints.map((p) => ({ x: p.x + dx, y: p.y + dy })), score: f.score };
      const truth = [0, 1, 2].map((j) => placePoint(FACE_TEMPLATE[j], at));
      const eyes = Math.hypot(truth[1].x - truth[0].x, truth[1].y - truth[0].y);
      for (const side of [...sides].sort(() => rnd() - 0.5)) {
        det.trackLookSide = side;
        const st = stat.get(side)!;
        const t0 = performance.now();
        const g = est.refineFace(frame, seed, { ...opts, age: true });
        st.ms += performance.now() - t0;
        if (!g) continue;
        st.found++;
        st.err.push(Math.abs(g.age - r.age));
        st.kp.push(truth.reduce((sum, t, j) => sum + Math.hypot(g.keypoints[TEMPLATE_KEYPOINTS[j]].x - t.x, g.keypoints[TEMPLATE_KEYPOINTS[j]].y - t.y), 0) / 3 / eyes);
      }
    }
  });
  const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
  console.log(`${stamp}: refineFace with the age at each window side on ${n} faces (${rows.length} UTKFace test chips at 96, 144, 224, 320 px on 640x480 canvases, rotation up to 25 degrees, seeds shifted by up to 6 % of the box)`);
  console.log('| window side | found | age MAE | keypoint error (eyes, mouth; fraction of the eye distance, against the template) | ms per call |');
  console.log('|---|---|---|---|---|');
  for (const side of sides) {
    const st = stat.get(side)!;
    console.log(`| ${side} | ${st.found} / ${n} | ${mean(st.err).toFixed(3)} | ${mean(st.kp).toFixed(4)} | ${(st.ms / n).toFixed(2)} |`);
  }
} else if (mode === 'models') {
  // MediaPipe's two BlazeFace files as they are (scripts/tflite-run.ts), one letterbox of the whole
  // 640 x 480 frame each, no second look: how small a face each finds, as a fraction of its input,
  // and at what cost per pixel; the question is which finds more faces per millisecond in a large image
  const rows = testRows().slice(0, Number(a.limit ?? 40));
  const sizes = sizesOr('32,48,96,192,384,512');
  const W = 640, H = 480;
  const dir = 'node_modules/@mediapipe/face_detection/';
  const models = [
    { name: 'short-range', file: 'face_detection_short_range.tflite', side: 128, grids: [[16, 2], [8, 6]] },
    { name: 'full-range', file: 'face_detection_full_range.tflite', side: 192, grids: [[48, 1]] },
  ].map((md) => ({ ...md, graph: loadTfliteGraph(new Uint8Array(readFileSync(dir + md.file))) }));
  const thresholds = [0.5, 0.75];
  /** the frame scaled by side / W into side x side (rows centred), each pixel the mean of the frame pixels it covers, in [-1, 1] */
  const letterbox = (rgb: Uint8Array, side: number): Float32Array => {
    const s = side / W, top = (side - H * s) / 2;
    const out = new Float32Array(side * side * 3).fill(-1);
    for (let y = 0; y < side; y++) {
      const y0 = (y - top) / s, y1 = (y + 1 - top) / s;
      if (y0 < 0 || y1 > H) continue;
      for (let x = 0; x < side; x++) {
        const acc = [0, 0, 0];
        let n = 0;
        for (let yy = Math.floor(y0); yy < Math.ceil(y1); yy++) for (let xx = Math.floor(x / s); xx < Math.min(W, Math.ceil((x + 1) / s)); xx++) {
          for (let c = 0; c < 3; c++) acc[c] += rgb[(yy * W + xx) * 3 + c];
          n++;
        }
        for (let c = 0; c < 3; c++) out[(y * side + x) * 3 + c] = acc[c] / n / 127.5 - 1;
      }
    }
    return out;
  };
  /** every anchor's face (box and keypoints in frame pixels) with its score */
  const faces = (md: (typeof models)[number], rgb: Uint8Array): Array<{ score: number; face: Face }> => {
    const out = runTfliteGraph(md.graph, letterbox(rgb, md.side));
    // the outputs by shape ([1, N, 1] scores, [1, N, 16] regressors): their names differ between the files
    const outputs = [...out.values()];
    const logits = outputs.find((o) => o.shape[2] === 1)!.data, reg = outputs.find((o) => o.shape[2] === 16)!.data;
    const s = md.side / W, top = (md.side - H * s) / 2;
    const list: Array<{ score: number; face: Face }> = [];
    let i = 0;
    for (const [n, per] of md.grids) for (let gy = 0; gy < n; gy++) for (let gx = 0; gx < n; gx++) for (let k = 0; k < per; k++, i++) {
      const ax = ((gx + 0.5) / n) * md.side, ay = ((gy + 0.5) / n) * md.side;
      const r = reg.subarray(i * 16, i * 16 + 16);
      const px = (v: number) => (v + ax) / s, py = (v: number) => (v + ay - top) / s;
      const box = { x: px(r[0] - r[2] / 2), y: py(r[1] - r[3] / 2), width: r[2] / s, height: r[3] / s };
      const keypoints = [0, 1, 2, 3, 4, 5].map((j) => ({ x: px(r[4 + 2 * j]), y: py(r[5 + 2 * j]) }));
      list.push({ score: scoreOf(logits[i]), face: { box, keypoints, score: scoreOf(logits[i]) } });
    }
    return list;
  };
  const rnd = makeRng(13);
  const found = models.map(() => sizes.map(() => thresholds.map(() => 0)));
  const ms = models.map(() => 0);
  rows.forEach((r, i) => {
    const chip = load(r.file);
    sizes.forEach((S, si) => {
      const { canvas, at } = pastedCanvas(chip, i, S, W, H, rnd);
      models.forEach((md, mi) => {
        const t0 = performance.now();
        const list = faces(md, canvas);
        ms[mi] += performance.now() - t0;
        thresholds.forEach((t, ti) => { if (list.some((f) => f.score >= t && matches(f.face, at))) found[mi][si][ti]++; });
      });
    });
  });
  const falses = models.map(() => thresholds.map(() => 0));
  for (let i = 0; i < rows.length; i++) {
    const kind = (['flat', 'noise', 'gradient', 'texture', 'clutter'] as const)[i % 5];
    const canvas = background(kind, W, H, 5000 + i);
    models.forEach((md, mi) => {
      const list = faces(md, canvas);
      thresholds.forEach((t, ti) => { if (list.some((f) => f.score >= t)) falses[mi][ti]++; });
    });
  }
  console.log(`${new Date().toISOString()}: MediaPipe's two BlazeFace files through scripts/tflite-run.ts, one letterbox of the 640 x 480 frame (area mean), ${rows.length} UTKFace test chips pasted at each size (flat / noise / gradient, rotation up to 25 degrees); found: an anchor at the score with a box around the face (as in canvases)`);
  console.log(`| model | input | MMACs a run | MMACs per 128 x 128 of input | score | ${sizes.map((S) => `S ${S}`).join(' | ')} | face-free frames with a detection |`);
  console.log(`|---|---|---|---|---|${sizes.map(() => '---').join('|')}|---|`);
  models.forEach((md, mi) => {
    const macs = tfliteMacs(md.graph) / 1e6;
    thresholds.forEach((t, ti) => {
      const cells = sizes.map((S, si) => `${((100 * found[mi][si][ti]) / rows.length).toFixed(0)} % (${((S * md.side) / W / md.side).toFixed(3)})`);
      console.log(`| ${md.name} | ${md.side} | ${macs.toFixed(1)} | ${(macs / ((md.side * md.side) / 16384)).toFixed(1)} | >= ${t} | ${cells.join(' | ')} | ${falses[mi][ti]} / ${rows.length} |`);
    });
  });
  console.log('(in brackets: the face size as a fraction of the model input)');
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
