/**
 * The tracker on real ages: the default model estimates every face of rendered sequences of UTKFace
 * test chips (train/video.ts: drift, scale, rotation, blur, brightness, all mixed, two faces
 * crossing, a face leaving and returning), each cut out at its ground-truth keypoints moved by
 * detector-like jitter (cropAligned: the alignment the estimator's detector path makes). No detector
 * is involved (it is not on this branch): what this measures is the age filter and the ids on the
 * ages the model really gives frame after frame. Targets (the issue's): the frame-to-frame sd of the
 * reported age at least 3x lower than the per-frame age's, tracked MAE no worse than per-frame MAE,
 * settled by frame 10, no identity switch. Needs the UTKFace chips and a shipped default model;
 * prints a SKIP line without them. DAA_LONG=1: 12 seeds a kind instead of 4.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createEstimator, createTracker, type Estimator } from '../../src/index.ts';
import { DEFAULT_MODEL } from '../../src/generated/assets.ts';
import { DEFAULT_DATA_DIR } from '../../train/data.ts';
import { cropAligned, loadTestChips, makeScene, SceneRenderer, truthAt, type SceneKind } from '../../train/video.ts';
import { Rng } from '../util/rng.ts';
import { gauss, Identities, jitter, mae, quantile, readingOf, sd, settleFrame, steadyReference, type Reading, type SimDetection } from './util.ts';

const HAVE_DATA = fs.existsSync(path.join(DEFAULT_DATA_DIR, 'labels.csv'));
const SEEDS = process.env.DAA_LONG === '1' ? 12 : 8;
const KINDS: SceneKind[] = ['drift', 'scale', 'rotate', 'blur', 'brightness', 'mixed', 'cross', 'leave'];

test(`real ages on rendered sequences (${KINDS.length} kinds x ${SEEDS} seeds x 60 frames): jitter >= 3x lower, MAE no worse, settled by frame 10, no id switch`, async () => {
  if (!HAVE_DATA) return console.log(`  SKIP: no UTKFace data at ${DEFAULT_DATA_DIR} (set DAA_DATA): real-age sequences not run`);
  if (!DEFAULT_MODEL) return console.log('  SKIP: no shipped default model in this build: real-age sequences not run');
  const est: Estimator = await createEstimator({ crop: 'chip' });
  const rows: string[] = [];
  const fails: string[] = [];
  const all = { ratios: [] as number[], settle: [] as number[], maeRaw: 0, maeTracked: 0, n: 0 };
  const t0 = performance.now();
  let estimates = 0;
  for (const kind of KINDS) {
    const ratios: number[] = [], levels: number[] = [], settle: number[] = [];
    let maeRaw = 0, maeTracked = 0, n = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const where = `${kind} seed ${seed}`;
      const scene = makeScene(kind, seed, { frames: 60, ...(kind === 'leave' ? { away: 8 } : {}) });
      const chips = loadTestChips(DEFAULT_DATA_DIR, 2, 1000 * seed + KINDS.indexOf(kind));
      const renderer = new SceneRenderer(scene, chips);
      const rng = new Rng(seed);
      const tracker = createTracker();
      const ids = new Identities();
      const series = new Map<number, { label: number; age: number[]; raw: number[]; readings: Reading[] }>();
      const frame = new Uint8ClampedArray(scene.width * scene.height * 4);
      const crop = new Uint8Array(128 * 128 * 3);
      for (let t = 0; t < scene.frames; t++) {
        renderer.render(t, frame);
        const dets: SimDetection[] = [];
        for (const f of truthAt(scene, t)) {
          if (!f.visible) continue;
          const s = Math.sqrt(f.box.width * f.box.height);
          const keypoints = f.keypoints.map((p) => ({ x: p.x + 0.015 * s * gauss(rng), y: p.y + 0.015 * s * gauss(rng) }));
          cropAligned(frame, scene.width, scene.height, keypoints, 128, crop);
          const { age, spread } = est.estimate({ data: crop, width: 128, height: 128 });
          estimates++;
          dets.push({ truth: f.face, box: { ...f.box }, keypoints, score: 0.9, age, spread });
        }
        const faces = tracker.observe(dets, scene);
        ids.recordFrame(t, faces, dets);
        for (const f of faces) {
          const d = dets.find((x) => x.box.x === f.box.x && x.box.y === f.box.y);
          if (!d || f.age === null || f.ageRaw === null) continue;
          if (!series.has(f.id)) series.set(f.id, { label: chips[scene.faces[d.truth].subject].age, age: [], raw: [], readings: [] });
          series.get(f.id)!.readings.push(readingOf(t, d, scene));
          series.get(f.id)!.age.push(f.age);
          series.get(f.id)!.raw.push(f.ageRaw);
        }
      }
      if (ids.switches.length || ids.shared.length) fails.push(`${where}: ${[...ids.switches, ...ids.shared].join('; ')}`);
      for (const [id, s] of series) {
        if (s.age.length < 20) continue;
        const ratio = jitter(s.raw) / jitter(s.age);
        ratios.push(ratio);
        // the level: sd around the track's own mean after frame 10 (slow changes with the lighting stay)
        levels.push(sd(s.raw.slice(10)) / sd(s.age.slice(10)));
        settle.push(settleFrame(s.age, steadyReference(s.readings), s.raw));
        maeRaw += mae(s.raw, s.label) * s.raw.length;
        maeTracked += mae(s.age, s.label) * s.age.length;
        n += s.age.length;
        if (ratio < 3) fails.push(`${where} id ${id}: frame-to-frame sd ratio ${ratio.toFixed(2)}`);
      }
    }
    rows.push(
      `${kind.padEnd(10)} frame-to-frame sd ratio median ${quantile(ratios, 0.5).toFixed(1)} (min ${Math.min(...ratios).toFixed(1)}), level sd ratio median ${quantile(levels, 0.5).toFixed(1)}, ` +
        `MAE per-frame ${(maeRaw / n).toFixed(2)} tracked ${(maeTracked / n).toFixed(2)}, settled by frame ${quantile(settle, 0.5)} median, ${Math.max(...settle)} max`,
    );
    // per kind within 0.1 years (a still face's ages barely move: both MAEs are its bias); all kinds together: no worse
    if (maeTracked / n > maeRaw / n + 0.1) fails.push(`${kind}: tracked MAE ${(maeTracked / n).toFixed(3)} > per-frame ${(maeRaw / n).toFixed(3)} + 0.1`);
    all.ratios.push(...ratios);
    all.settle.push(...settle);
    all.maeRaw += maeRaw;
    all.maeTracked += maeTracked;
    all.n += n;
  }
  est.dispose();
  console.log(rows.map((r) => `  ${r}`).join('\n'));
  console.log(
    `  all: ${all.ratios.length} tracks, ${estimates} estimates in ${((performance.now() - t0) / 1000).toFixed(1)} s; sd ratio median ${quantile(all.ratios, 0.5).toFixed(1)}, ` +
      `MAE per-frame ${(all.maeRaw / all.n).toFixed(2)} tracked ${(all.maeTracked / all.n).toFixed(2)}; settled by frame ${quantile(all.settle, 0.9)} (p90)`,
  );
  assert.equal(fails, []);
  assert.ok(all.maeTracked <= all.maeRaw, `tracked MAE ${all.maeTracked / all.n} > per-frame ${all.maeRaw / all.n}`);
  assert.ok(quantile(all.settle, 0.9) <= 10, `p90 settling frame ${quantile(all.settle, 0.9)}`);
});

test.run();
