/**
 * The video tracker's measurements (docs/video.md):
 *
 *   npx tsx bench/track.ts [--only cost,policy,e2e,sweep] [--data DIR] [e2e: --kinds drift,cross --seeds 201-203 --detect-every N --scan-windows N (0: no scan) --look-side N --no-others --ensemble-every 1,3]
 *
 * - cost: what the tracker itself costs a frame: observe() with 1, 2, 5 and 10 faces, update() with
 *   functions that return at once (the policy's own work), the near-duplicate measure on 640 x 480
 *   and 1280 x 720 RGBA frames; and, with the default model, one face's age from a 128 x 128 crop
 *   (what `estimate` costs a face on the frames between detections).
 * - policy: calls per frame on rendered sequences (train/video.ts, synthetic chips) through a mock
 *   detector / refiner / estimator (test/track/util.ts), for several detectEvery, with and without
 *   refine; and the time per frame they would cost at given unit costs (--detect-ms, --refine-ms;
 *   defaults: the detect branch's figures, docs/video.md) with the measured estimate time.
 * - e2e: the whole path on rendered 640 x 480 sequences of UTKFace test chips (seeds 201-203, every
 *   scene kind): createTracker({ estimator }) (a full detection on the first frame; then refineFace with its
 *   age per face and 3 windows of scanFaces a frame) against estimateAll on every frame: ms per frame, identity switches, frame-to-frame sd
 *   of the reported age, MAE against the labels. `--ensemble-every 1,3` runs a tracker per value on
 *   each sequence, one after the other, and adds their paired comparison. Needs the data.
 * - sweep: the age filter's processNoise on the default model's own ages over rendered sequences of
 *   UTKFace test chips (seeds 101-108, not the tests' seeds): tracked MAE, frame-to-frame sd ratio,
 *   settling; how DEFAULT_AGE_NOISE.processNoise was chosen. Needs the data.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { createEstimator, createTracker, type Estimator, type FaceObservation, type PixelFrame, type TrackedFace } from '../src/index.ts';
import type { FaceDetector } from '../src/detect/detector.ts';
import { DEFAULT_MODEL } from '../src/generated/assets.ts';
import { DEFAULT_AGE_NOISE, newAgeState, updateAge } from '../src/track/age-filter.ts';
import { FrameDiff } from '../src/track/frame-diff.ts';
import { DEFAULT_DATA_DIR } from '../train/data.ts';
import { cropAligned, loadTestChips, makeScene, SceneRenderer, truthAt, type SceneKind } from '../train/video.ts';
import { Rng } from '../test/util/rng.ts';
import { gauss, jitter, mae, makePeople, matchByIoU, mockSource, quantile, readingOf, settleFrame, steadyReference, syntheticChip, type MockFrame, type Reading } from '../test/track/util.ts';

const { values: a } = parseArgs({
  options: {
    only: { type: 'string', default: 'cost,policy,e2e,sweep' },
    data: { type: 'string', default: DEFAULT_DATA_DIR },
    'detect-ms': { type: 'string', default: '114' },
    'refine-ms': { type: 'string', default: '3' },
    kinds: { type: 'string' },
    seeds: { type: 'string', default: '201-203' },
    'detect-every': { type: 'string' },
    'scan-windows': { type: 'string' },
    'look-side': { type: 'string' },
    'no-others': { type: 'boolean', default: false },
    'ensemble-every': { type: 'string' },
  },
});
const only = new Set(a.only!.split(','));
const median = (v: number[]) => quantile(v, 0.5);

/** Median microseconds per call of f over `rounds` rounds of `n` calls. */
function time(f: () => void, n: number, rounds = 7): number {
  for (let i = 0; i < n; i++) f();
  const r: number[] = [];
  for (let k = 0; k < rounds; k++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) f();
    r.push(((performance.now() - t0) * 1000) / n);
  }
  return median(r);
}

let estimateMs = NaN;
let est: Estimator | null = null;

if (only.has('cost')) {
  console.log(`## cost (${new Date().toISOString()}, Node ${process.versions.node})\n`);
  for (const faces of [1, 2, 5, 10]) {
    const frames = Array.from({ length: 200 }, (_, t) =>
      Array.from({ length: faces }, (_, k) => {
        const x = 20 + 60 * k + 2 * Math.sin(t / 5 + k), y = 100 + 30 * (k % 3);
        return { box: { x, y, width: 50, height: 50 }, keypoints: [0.3, 0.7, 0.5, 0.5, 0.1, 0.9].map((f, i) => ({ x: x + 50 * f, y: y + 50 * [0.3, 0.3, 0.5, 0.7, 0.4, 0.4][i] })), score: 0.9, age: 30 + k, spread: 0.5 };
      }),
    );
    const tr = createTracker();
    let t = 0;
    console.log(`observe(), ${faces} face(s): ${time(() => tr.observe(frames[t++ % 200]), 2000).toFixed(1)} us a frame`);
  }
  for (const [w, h] of [[640, 480], [1280, 720]]) {
    const data = new Uint8Array(w * h * 4).map((_, i) => (i * 7) & 255);
    const d = new FrameDiff();
    console.log(`near-duplicate measure, ${w} x ${h} RGBA: ${time(() => d.measure({ data, width: w, height: h }), 2000).toFixed(1)} us`);
  }
  const frame = { data: new Uint8Array(640 * 480 * 4), width: 640, height: 480 };
  const face = { box: { x: 100, y: 100, width: 120, height: 120 }, keypoints: [], score: 0.9 };
  let k = 0;
  const tr = createTracker({ detect: () => [face], refine: () => face, estimate: () => ({ age: 30, spread: 0.5 }), detectEvery: 5, duplicateBelow: 0 });
  console.log(`update() with instant functions, one face, detectEvery 5: ${time(() => (frame.data[k++ % 1000] ^= 1, tr.update(frame)), 2000).toFixed(1)} us a frame`);
  if (DEFAULT_MODEL) {
    est = await createEstimator();
    const crop = { data: syntheticChip(1).image.data, width: 128, height: 128 };
    estimateMs = time(() => est!.estimate(crop, { crop: 'chip' }), 50) / 1000;
    console.log(`one face's age from a 128 x 128 RGB crop (default model ${DEFAULT_MODEL}): ${estimateMs.toFixed(2)} ms`);
  }
  console.log();
}

if (only.has('policy')) {
  const detectMs = Number(a['detect-ms']), refineMs = Number(a['refine-ms']);
  const estMs = Number.isFinite(estimateMs) ? estimateMs : 3;
  console.log(`## policy: calls per frame on rendered sequences (90 frames, mock functions)\n`);
  console.log(`unit costs: detect ${detectMs} ms (full 640 x 480 detection), refine ${refineMs} ms (one detector window), estimate ${estMs.toFixed(2)} ms a face\n`);
  console.log('| scene | policy | detect / frame | refine / frame | estimate / frame | skipped | ms / frame at those costs |');
  console.log('|---|---|---|---|---|---|---|');
  for (const kind of ['mixed', 'cross', 'still'] as const)
    for (const [label, every, useRefine, ages] of [
      ['estimateAll every frame', 1, false, true],
      ['detect every 5, estimate between', 5, false, false],
      ['detect every 5, refine + estimate', 5, true, false],
      ['detect every 15, refine + estimate', 15, true, false],
    ] as const) {
      const scene = makeScene(kind, 1);
      const r = new SceneRenderer(scene, [syntheticChip(1), syntheticChip(1001)]);
      const src = mockSource(scene, makePeople(2, new Rng(1)), 1, ages);
      const tr = createTracker<MockFrame>({ detect: src.detect, estimate: src.estimate, refine: useRefine ? src.refine : undefined, detectEvery: every });
      for (let t = 0; t < scene.frames; t++) tr.update({ data: r.render(t), width: scene.width, height: scene.height, t });
      const n = scene.frames, c = src.calls;
      // an estimateAll detection pays for its faces' ages: counted in detectMs plus estMs a face
      const agesInDetect = ages ? (c.detect * scene.faces.length * estMs) / n : 0;
      const ms = (c.detect * detectMs + c.refine * refineMs + c.estimate * estMs) / n + agesInDetect;
      console.log(`| ${kind} | ${label} | ${(c.detect / n).toFixed(2)} | ${(c.refine / n).toFixed(2)} | ${(c.estimate / n).toFixed(2)} | ${tr.stats.skipped} | ${ms.toFixed(1)} |`);
    }
  console.log();
}

if (only.has('e2e')) {
  if (!fs.existsSync(path.join(a.data!, 'labels.csv')) || !DEFAULT_MODEL) console.log('## e2e: skipped (needs the UTKFace data and a default model)\n');
  else {
    est ??= await createEstimator();
    // --look-side: the side of refineFace's detector window (default TRACK_LOOK_SIDE), to compare
    if (a['look-side']) (est as unknown as { faceDetector(): FaceDetector }).faceDetector().trackLookSide = Number(a['look-side']);
    const trackerOpts = {
      ...(a['detect-every'] ? { detectEvery: Number(a['detect-every']) } : {}),
      ...(a['scan-windows'] !== undefined ? { scanWindows: Number(a['scan-windows']) } : {}),
    };
    // --ensemble-every 1,3: one tracker per value on every sequence (no value: the default)
    const settings = a['ensemble-every'] ? a['ensemble-every'].split(',').map(Number) : [undefined];
    const label = (v: number | undefined) => (v === undefined ? '' : ` ensembleEvery ${v}`);
    // --no-others: refineFace without the other faces' boxes (always the small window), to compare
    const e = est;
    const refineAlone = { refine: (f: PixelFrame, seed: FaceObservation) => e.refineFace(f, { ...seed, score: seed.score ?? 1 }, { age: true }) };
    const allKinds: SceneKind[] = ['drift', 'scale', 'rotate', 'blur', 'brightness', 'mixed', 'cross', 'leave', 'still'];
    const kinds = a.kinds ? (a.kinds.split(',') as SceneKind[]) : allKinds;
    const [s0, s1 = s0] = a.seeds!.split('-').map(Number);
    type Row = { ms: number[]; frames: number; switches: number; rawJ: number[]; trkJ: number[]; rawE: number[]; trkE: number[]; ownE: number[]; found: number; truth: number };
    const rows: Record<string, Row> = {};
    const row = (k: string) => (rows[k] ??= { ms: [], frames: 0, switches: 0, rawJ: [], trkJ: [], rawE: [], trkE: [], ownE: [], found: 0, truth: 0 });
    for (const kind of kinds)
      for (let seed = s0; seed <= s1; seed++) {
        const scene = makeScene(kind, seed, { frames: 60, ...(kind === 'leave' ? { away: 8 } : {}) });
        const chips = loadTestChips(a.data!, 2, 1000 * seed + allKinds.indexOf(kind));
        const r = new SceneRenderer(scene, chips);
        // each tracker over the whole sequence first, then estimateAll: interleaved per frame, the
        // whole-image search's large window (16 MiB of buffers) evicts the tracker's from the caches
        const runs = settings.map((v) => {
          const tracker = createTracker({ estimator: e, ...trackerOpts, ...(v === undefined ? {} : { ensembleEvery: v }), ...(a['no-others'] ? refineAlone : {}) });
          const T = row(`${kind}${label(v)}`);
          const trackedAt: TrackedFace[][] = [];
          for (let t = 0; t < scene.frames; t++) {
            const frame = { data: r.render(t), width: scene.width, height: scene.height };
            const t0 = performance.now();
            trackedAt.push(tracker.update(frame));
            T.ms.push(performance.now() - t0);
          }
          // per ground-truth face: the tracked id seen last, per-frame raw ages and tracked ages
          return { T, trackedAt, lastId: new Map<number, number>(), series: scene.faces.map(() => ({ raw: [] as number[], trk: [] as number[] })) };
        });
        for (let t = 0; t < scene.frames; t++) {
          const frame = { data: r.render(t), width: scene.width, height: scene.height };
          const truth = truthAt(scene, t).filter((f) => f.visible);
          const P = row(`per-frame ${kind}`);
          const t0 = performance.now();
          const all = est.estimateAll(frame);
          P.ms.push(performance.now() - t0);
          // each visible face to the reported face that overlaps it most (IoU >= 0.3, one each): the
          // box that merely contains its centre may be the face in front of it
          const pmatch = matchByIoU(truth, all);
          for (const [i] of truth.entries()) if (pmatch[i]) P.found++;
          for (const { T, trackedAt, lastId, series } of runs) {
            T.frames++;
            const tmatch = matchByIoU(truth, trackedAt[t]);
            for (const [i, f] of truth.entries()) {
              const label = chips[scene.faces[f.face].subject].age;
              T.truth++;
              const tf = tmatch[i];
              if (tf) {
                T.found++;
                const prev = lastId.get(f.face);
                if (prev !== undefined && prev !== tf.id) T.switches++;
                lastId.set(f.face, tf.id);
                if (tf.age !== null) series[f.face].trk.push(tf.age);
              }
              const pf = pmatch[i];
              if (pf) series[f.face].raw.push(pf.age);
              // MAE on the frames where both report the face (a face followed where estimateAll misses
              // it, blurred or half hidden, is a harder frame than the baseline is measured on)
              if (tf && tf.age !== null && pf) {
                T.trkE.push(Math.abs(tf.age - label));
                if (tf.ageRaw !== null) T.ownE.push(Math.abs(tf.ageRaw - label));
                T.rawE.push(Math.abs(pf.age - label));
              }
            }
          }
        }
        for (const { T, series } of runs) for (const sr of series) if (sr.raw.length > 10 && sr.trk.length > 10) { T.rawJ.push(jitter(sr.raw)); T.trkJ.push(jitter(sr.trk)); }
      }
    const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / Math.max(1, v.length);
    const msCell = (v: number[]) => `${median(v).toFixed(1)} / ${mean(v).toFixed(1)} / ${quantile(v, 0.9).toFixed(1)}`;
    const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(1)} %`;
    const totals: Row[] = [];
    for (const v of settings) {
      console.log(`## e2e: createTracker(${JSON.stringify({ estimator: 'est', ...trackerOpts, ...(v === undefined ? {} : { ensembleEvery: v }) }).replace(/"/g, '')}) on rendered 640 x 480 sequences (seeds ${s0}-${s1} x 60 frames per kind, ${new Date().toISOString().slice(0, 10)}${a['look-side'] ? `, refineFace window ${a['look-side']} px` : ''}${a['no-others'] ? ', refine without others' : ''})\n`);
      console.log("| scene | ms per frame, tracker: median / mean / p90 | ms per frame, estimateAll every frame: median / mean | faces found: tracker / estimateAll | id switches | frame-to-frame sd, per-frame -> tracked | MAE per-frame -> tracked (frames both found) | MAE, the tracker's own readings (same frames) |");
      console.log('|---|---|---|---|---|---|---|---|');
      const all: Row = { ms: [], frames: 0, switches: 0, rawJ: [], trkJ: [], rawE: [], trkE: [], ownE: [], found: 0, truth: 0 };
      const allP: number[] = [];
      let allPFound = 0;
      for (const k of kinds) {
        const R = rows[`${k}${label(v)}`], P = rows[`per-frame ${k}`];
        console.log(`| ${k} | ${msCell(R.ms)} | ${median(P.ms).toFixed(1)} / ${mean(P.ms).toFixed(1)} | ${pct(R.found, R.truth)} / ${pct(P.found, R.truth)} | ${R.switches} | ${mean(R.rawJ).toFixed(2)} -> ${mean(R.trkJ).toFixed(2)} | ${mean(R.rawE).toFixed(2)} -> ${mean(R.trkE).toFixed(2)} | ${mean(R.ownE).toFixed(2)} |`);
        for (const key of ['ms', 'rawJ', 'trkJ', 'rawE', 'trkE', 'ownE'] as const) all[key].push(...R[key]);
        all.switches += R.switches; all.found += R.found; all.truth += R.truth;
        allP.push(...P.ms);
        allPFound += P.found;
      }
      console.log(`| all | ${msCell(all.ms)} | ${median(allP).toFixed(1)} / ${mean(allP).toFixed(1)} | ${pct(all.found, all.truth)} / ${pct(allPFound, all.truth)} | ${all.switches} | ${mean(all.rawJ).toFixed(2)} -> ${mean(all.trkJ).toFixed(2)} | ${mean(all.rawE).toFixed(2)} -> ${mean(all.trkE).toFixed(2)} | ${mean(all.ownE).toFixed(2)} |\n`);
      totals.push(all);
    }
    if (settings.length > 1) {
      // the same frames in every run: the per-frame time ratio is paired frame by frame
      console.log(`## e2e: ensembleEvery compared (the same ${totals[0].ms.length} frames; ratio: median of the per-frame ratios to ensembleEvery ${settings[0]})\n`);
      console.log('| ensembleEvery | ms per frame, median / mean | time ratio, median (p10-p90) | MAE tracked | MAE, own readings | frame-to-frame sd, tracked | id switches |');
      console.log('|---|---|---|---|---|---|---|');
      for (const [i, v] of settings.entries()) {
        const T = totals[i], ratios = T.ms.map((m, f) => m / totals[0].ms[f]);
        console.log(`| ${v} | ${median(T.ms).toFixed(2)} / ${mean(T.ms).toFixed(2)} | ${median(ratios).toFixed(3)} (${quantile(ratios, 0.1).toFixed(2)}-${quantile(ratios, 0.9).toFixed(2)}) | ${mean(T.trkE).toFixed(3)} | ${mean(T.ownE).toFixed(3)} | ${mean(T.trkJ).toFixed(3)} | ${T.switches} |`);
      }
      console.log('');
    }
  }
}

if (only.has('sweep')) {
  if (!fs.existsSync(path.join(a.data!, 'labels.csv')) || !DEFAULT_MODEL) console.log('## sweep: skipped (needs the UTKFace data and a default model)\n');
  else {
    est ??= await createEstimator();
    const kinds: SceneKind[] = ['drift', 'scale', 'rotate', 'blur', 'brightness', 'mixed', 'cross', 'leave'];
    const tracks: Array<{ kind: string; label: number; readings: Reading[] }> = [];
    for (const kind of kinds)
      for (let seed = 101; seed <= 108; seed++) {
        const scene = makeScene(kind, seed, { frames: 60, ...(kind === 'leave' ? { away: 8 } : {}) });
        const chips = loadTestChips(a.data!, 2, 1000 * seed + kinds.indexOf(kind));
        const r = new SceneRenderer(scene, chips);
        const rng = new Rng(seed);
        const per = scene.faces.map((f) => ({ kind, label: chips[f.subject].age, readings: [] as Reading[] }));
        for (let t = 0; t < scene.frames; t++) {
          const frame = r.render(t);
          for (const f of truthAt(scene, t)) {
            if (!f.visible) continue;
            const s = Math.sqrt(f.box.width * f.box.height);
            const keypoints = f.keypoints.map((p) => ({ x: p.x + 0.015 * s * gauss(rng), y: p.y + 0.015 * s * gauss(rng) }));
            const e = est.estimate({ data: cropAligned(frame, scene.width, scene.height, keypoints, 128), width: 128, height: 128 }, { crop: 'chip' });
            per[f.face].readings.push(readingOf(t, { box: f.box, keypoints, score: 0.9, age: e.age, spread: e.spread }, scene));
          }
        }
        tracks.push(...per.filter((p) => p.readings.length >= 20));
      }
    console.log(`## sweep: processNoise on ${tracks.length} tracks of the default model's ages (seeds 101-108)\n`);
    console.log('| processNoise | MAE per-frame | MAE tracked | worst kind (tracked - per-frame) | sd ratio min | sd ratio median | settled p90 | settled max |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const q of [0.005, 0.01, 0.02, 0.05, 0.08, 0.15]) {
      let mr = 0, mt = 0, n = 0;
      const ratios: number[] = [], settle: number[] = [], kind: Record<string, number[]> = {};
      for (const tk of tracks) {
        const s = newAgeState();
        const age = tk.readings.map((x, i) => (updateAge(s, x.z, x.r, i ? x.t - tk.readings[i - 1].t : 1, q), s.mean));
        const raw = tk.readings.map((x) => x.z);
        const k = (kind[tk.kind] ??= [0, 0, 0]);
        k[0] += mae(raw, tk.label) * raw.length;
        k[1] += mae(age, tk.label) * raw.length;
        k[2] += raw.length;
        mr += mae(raw, tk.label) * raw.length;
        mt += mae(age, tk.label) * raw.length;
        n += raw.length;
        ratios.push(jitter(raw) / jitter(age));
        settle.push(settleFrame(age, steadyReference(tk.readings, q), raw));
      }
      const worst = Object.entries(kind).map(([name, [r, t, c]]) => [name, (t - r) / c] as const).sort((x, y) => y[1] - x[1])[0];
      const mark = q === DEFAULT_AGE_NOISE.processNoise ? ' (default)' : '';
      console.log(
        `| ${q}${mark} | ${(mr / n).toFixed(3)} | ${(mt / n).toFixed(3)} | ${worst[0]} ${worst[1] >= 0 ? '+' : ''}${worst[1].toFixed(3)} | ${Math.min(...ratios).toFixed(1)} | ${median(ratios).toFixed(1)} | ${quantile(settle, 0.9)} | ${Math.max(...settle)} |`,
      );
    }
    console.log();
  }
}
est?.dispose();
