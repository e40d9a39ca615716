/**
 * The per-frame work policy of createTracker(...).update(frame) on rendered frames (train/video.ts
 * scenes with synthetic face chips: no data needed) and a mock detector / estimator / refiner that
 * count their calls: full detections every `detectEvery` frames and after a loss (or, with `scan`,
 * one on the first frame and part of the search on each later one), each face
 * estimated at most once per frame, faces followed by refine between detections with their ids
 * kept, near-duplicate frames skipped and nothing else.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTracker, type TrackerOptions } from '../../src/index.ts';
import type { FaceObservation } from '../../src/track/tracker.ts';
import { intersection, iou } from '../../src/track/geometry.ts';
import { FrameDiff } from '../../src/track/frame-diff.ts';
import { makeScene, SceneRenderer, truthAt, type SceneKind } from '../../train/video.ts';
import { Rng } from '../util/rng.ts';
import { Identities, makePeople, matchByIoU, mockSource, simulateDetections, syntheticChip, type MockFrame as Frame, type MockSource, type SimDetection } from './util.ts';

function runVideo(kind: SceneKind, seed: number, opts: (s: MockSource) => TrackerOptions<Frame>, ages = false) {
  const scene = makeScene(kind, seed);
  const chips = [syntheticChip(seed), syntheticChip(seed + 1000)];
  const renderer = new SceneRenderer(scene, chips);
  const people = makePeople(2, new Rng(seed));
  const src = mockSource(scene, people, seed, ages);
  const tracker = createTracker<Frame>(opts(src));
  const ids = new Identities();
  /** on each skipped frame: the smallest IoU of a reported box with its truth face */
  const skippedFit: number[] = [];
  for (let t = 0; t < scene.frames; t++) {
    const frame: Frame = { data: renderer.render(t), width: scene.width, height: scene.height, t };
    const before = tracker.stats.skipped;
    const faces = tracker.update(frame);
    if (tracker.stats.skipped > before)
      skippedFit.push(Math.min(1, ...faces.map((f) => Math.max(0, ...truthAt(scene, t).map((g) => iou(g.box, f.box))))));
    // attribute each reported face to the visible truth face it overlaps most
    for (const f of faces) {
      let best = -1, bi = 0.3;
      for (const g of truthAt(scene, t)) if (g.visible && iou(g.box, f.box) > bi) (bi = iou(g.box, f.box)), (best = g.face);
      ids.record(t, f.id, best);
    }
  }
  return { scene, calls: src.calls, stats: tracker.stats, ids, skippedFit };
}

test('detect every 5 frames, follow with refine, estimate each face once: calls per frame, ids kept (mixed, cross; 6 seeds)', () => {
  const lines: string[] = [];
  for (const kind of ['mixed', 'cross'] as const)
    for (let seed = 1; seed <= 6; seed++) {
      const r = runVideo(kind, seed, (s) => ({ detect: s.detect, refine: s.refine, estimate: s.estimate, detectEvery: 5 }));
      const at = `${kind} seed ${seed}`;
      assert.equal(r.ids.switches, [], at);
      assert.equal(r.ids.shared, [], at);
      for (const [key, n] of r.calls.estimatesPerFrame) assert.is(n, 1, `${at}: face estimated ${n} times in frame ${key}`);
      assert.ok(r.calls.detect >= r.scene.frames / 5 && r.calls.detect <= r.scene.frames / 5 + 12, `${at}: ${r.calls.detect} detections`);
      assert.is(r.stats.detections, r.calls.detect);
      if (seed === 1)
        lines.push(
          `${kind}: per frame ${(r.calls.detect / r.scene.frames).toFixed(2)} detections, ${(r.calls.refine / r.scene.frames).toFixed(2)} refines, ` +
            `${(r.calls.estimate / r.scene.frames).toFixed(2)} estimates (faces visible per frame ${(r.scene.faces.length).toFixed(0)}), ${r.stats.skipped} skipped`,
        );
    }
  console.log(lines.map((l) => `  ${l}`).join('\n'));
});

test('scan: one full detection, then part of the search a frame; a face that leaves and returns, and crossing faces, keep their ids (3 seeds each)', () => {
  const lines: string[] = [];
  for (const kind of ['leave', 'cross', 'mixed'] as const)
    for (let seed = 1; seed <= 3; seed++) {
      let scans = 0, knownSeen = 0;
      const r = runVideo(kind, seed, (s) => ({
        detect: s.detect,
        refine: s.refine,
        estimate: s.estimate,
        // the simulated detector's faces, less those at a known box (as scanFaces skips them)
        scan: (f, known) => {
          scans++;
          knownSeen += known.length;
          const centreIn = (b: FaceObservation['box'], k: FaceObservation['box']) => b.x + b.width / 2 >= k.x && b.x + b.width / 2 <= k.x + k.width && b.y + b.height / 2 >= k.y && b.y + b.height / 2 <= k.y + k.height;
          return s.detect(f).filter((d) => !known.some((k) => centreIn(d.box, k) || iou(d.box, k) > 0.3));
        },
      }));
      const at = `${kind} seed ${seed}`;
      assert.is(r.stats.detections, 1, `${at}: ${r.stats.detections} full detections`);
      assert.is(r.stats.scans, scans);
      assert.is(scans, r.scene.frames - 1 - r.stats.skipped, `${at}: a scan on every processed frame after the first`);
      assert.ok(knownSeen > 0, `${at}: followed faces are passed as known`);
      assert.equal(r.ids.switches, [], at);
      assert.equal(r.ids.shared, [], at);
      for (const [key, n] of r.calls.estimatesPerFrame) assert.is(n, 1, `${at}: face estimated ${n} times in frame ${key}`);
      if (kind === 'leave') assert.is(r.stats.tracks, 1, `${at}: the face that came back kept its id (${r.stats.tracks} ids)`);
      if (seed === 1) lines.push(`${kind}: ${r.stats.tracks} ids, ${r.stats.refines} refines, ${scans} scans, 1 detection in ${r.scene.frames} frames`);
    }
  console.log(lines.map((l) => `  ${l}`).join('\n'));
});

test('a detector that returns ages (estimateAll): no estimate calls on detection frames', () => {
  const r = runVideo('drift', 3, (s) => ({ detect: s.detect, estimate: s.estimate, detectEvery: 1 }), true);
  assert.is(r.calls.estimate, 0);
  assert.is(r.calls.detect, r.scene.frames);
  assert.equal(r.ids.switches, []);
});

test('estimate without refine: between detections the face is taken at its predicted place (drift, 4 seeds)', () => {
  for (let seed = 1; seed <= 4; seed++) {
    const r = runVideo('drift', seed, (s) => ({ detect: s.detect, estimate: s.estimate, detectEvery: 3 }));
    assert.equal(r.ids.switches, [], `seed ${seed}`);
    assert.is(r.calls.refine, 0);
    assert.ok(r.calls.estimate >= r.scene.frames * 0.95, `seed ${seed}: ${r.calls.estimate} estimates`);
    assert.ok(r.calls.detect <= Math.ceil(r.scene.frames / 3) + 3, `seed ${seed}: ${r.calls.detect} detections`);
  }
});

test('a lost face forces a full detection on the next frame', () => {
  // refine fails every time: each following frame loses the face, the next one detects again
  const r = runVideo('drift', 2, (s) => ({ detect: s.detect, refine: () => null, estimate: s.estimate, detectEvery: 10 }));
  // (a detection that misses the face, 3 % of them, leaves nothing to follow until the next scheduled one)
  assert.ok(r.calls.detect >= 0.4 * r.scene.frames, `${r.calls.detect} detections in ${r.scene.frames} frames`);
  assert.ok(r.stats.detections + r.stats.refines >= r.scene.frames - 10, `${r.stats.detections} detections + ${r.stats.refines} refines`);
});

test('near-duplicate frames: the repeated frames of a still scene are skipped (no calls), moving scenes hardly ever', () => {
  const still = runVideo('still', 1, (s) => ({ detect: s.detect, refine: s.refine, estimate: s.estimate }));
  const repeats = still.scene.repeat.reduce((a, b) => a + b, 0);
  assert.is(still.stats.skipped, repeats, `${still.stats.skipped} skipped of ${repeats} repeated frames`);
  assert.is(still.calls.detect + still.calls.refine, still.scene.frames - repeats, 'one detect or refine per processed frame (one face)');
  // moving scenes: a frame is skipped only where the picture all but stood still (the turn of a
  // zoom or of a head tilt, a face out of the picture), and the reported box is still right there
  const skips: string[] = [];
  let worst = 1;
  for (const kind of ['drift', 'scale', 'rotate', 'blur', 'brightness', 'mixed', 'cross', 'leave'] as const)
    for (let seed = 1; seed <= 3; seed++) {
      const r = runVideo(kind, seed, (s) => ({ detect: s.detect, refine: s.refine, estimate: s.estimate }));
      if (r.stats.skipped) skips.push(`${kind} seed ${seed}: ${r.stats.skipped}`);
      for (const fit of r.skippedFit) assert.ok(fit >= 0.85, `${kind} seed ${seed}: a skipped frame's box fits its face at IoU ${fit.toFixed(2)}`);
      worst = Math.min(worst, ...r.skippedFit);
      if (kind === 'drift' || kind === 'cross' || kind === 'mixed') assert.is(r.stats.skipped, 0, `${kind} seed ${seed}`);
    }
  console.log(`  moving scenes (8 kinds x 3 seeds x 90 frames), frames skipped: ${skips.join(', ') || 'none'}; the worst IoU of a reported box on a skipped frame ${worst.toFixed(2)}`);
  // maxSkip: at most that many in a row, then a frame is processed anyway
  const r = runVideo('still', 1, (s) => ({ detect: s.detect, duplicateBelow: 255, maxSkip: 3 }));
  const n = r.scene.frames - 1; // the first frame has nothing to compare with
  assert.is(r.stats.skipped, 3 * Math.floor(n / 4) + Math.min(3, n % 4), 'every 4th frame processed');
});

test('a skipped frame counts its last reading once more: the ages are those of a tracker that processed every frame', () => {
  // deterministic functions: processing a repeated frame reads exactly what the frame before read
  for (let seed = 1; seed <= 3; seed++) {
    const scene = makeScene('still', seed);
    const renderer = new SceneRenderer(scene, [syntheticChip(seed)]);
    const run = (duplicateBelow: number) => {
      const src = mockSource(scene, makePeople(1, new Rng(seed)), seed, false);
      const source = (t: number) => t - scene.repeat[t]; // the frame a repeated one repeats
      const dets = new Map<number, FaceObservation[]>();
      const detect = (f: Frame) => dets.get(source(f.t)) ?? (dets.set(source(f.t), src.detect({ ...f, t: source(f.t) })), dets.get(source(f.t))!);
      const estimate = (f: Frame) => ({ age: 30 + 10 * Math.sin(source(f.t) / 4), spread: 0.5 });
      const tracker = createTracker<Frame>({ detect, estimate, duplicateBelow, detectEvery: 1 });
      return Array.from({ length: scene.frames }, (_, t) => tracker.update({ data: renderer.render(t), width: scene.width, height: scene.height, t })[0]?.age ?? null);
    };
    const skipping = run(0.25), all = run(0);
    for (let t = 0; t < scene.frames; t++) assert.ok(skipping[t] === all[t] || Math.abs(skipping[t]! - all[t]!) < 1e-9, `seed ${seed} frame ${t}: ${skipping[t]} vs ${all[t]}`);
    assert.ok(skipping.filter((a) => a !== null).length > 0.9 * scene.frames);
  }
});

test('a face the detection misses is looked for with refine where it is predicted: same id, no forced detection', () => {
  const scene = makeScene('drift', 5);
  const renderer = new SceneRenderer(scene, [syntheticChip(5)]);
  const src = mockSource(scene, makePeople(1, new Rng(5)), 5, false);
  // the whole-image search misses the face on every second detection (a blurred face, say)
  let n = 0;
  const detect = (f: Frame) => (n++ % 2 ? [] : src.detect(f));
  const tracker = createTracker<Frame>({ detect, refine: src.refine, estimate: src.estimate, detectEvery: 5 });
  const ids = new Set<number>();
  for (let t = 0; t < scene.frames; t++) for (const f of tracker.update({ data: renderer.render(t), width: scene.width, height: scene.height, t })) ids.add(f.id);
  assert.equal([...ids], [1]);
  assert.ok(tracker.stats.detections <= Math.ceil(scene.frames / 5) + 2, `${tracker.stats.detections} detections: the misses forced none`);
});

test('crossing faces with a detector that sees one face astride two overlapping ones: ids kept on 90 % of 80 seeds', () => {
  // what the real detector does (measured on rendered crossings, docs/video.md): where two faces
  // overlap by about half, its anchors agree on one box between them, for the whole-image search
  // and for a window around either face
  const blend = (dets: SimDetection[]): SimDetection[] => {
    const out: SimDetection[] = [];
    for (const d of dets) {
      const o = out.find((e) => intersection(e.box, d.box) > 0.4 * Math.min(e.box.width * e.box.height, d.box.width * d.box.height));
      if (!o) out.push(d);
      else {
        const mid = (a: number, b: number) => (a + b) / 2;
        o.box = { x: mid(o.box.x, d.box.x), y: mid(o.box.y, d.box.y), width: mid(o.box.width, d.box.width), height: mid(o.box.height, d.box.height) };
        o.keypoints = o.keypoints.map((p, i) => ({ x: mid(p.x, d.keypoints[i].x), y: mid(p.y, d.keypoints[i].y) }));
        o.truth = -1; // neither face
      }
    }
    return out;
  };
  const bad: string[] = [];
  let blended = 0;
  for (let seed = 1; seed <= 80; seed++) {
    const scene = makeScene('cross', seed);
    const people = makePeople(2, new Rng(seed));
    const rng = new Rng(seed);
    const frameDets = (t: number) => {
      const d = blend(simulateDetections(scene, t, people, rng, { spurious: 0, miss: 0 }));
      blended += d.filter((x) => x.truth < 0).length;
      return d;
    };
    const refine = (f: Frame, seed: FaceObservation) => {
      let best: SimDetection | null = null, bi = 0.3;
      for (const d of frameDets(f.t)) if (iou(d.box, seed.box) > bi) (bi = iou(d.box, seed.box)), (best = d);
      return best;
    };
    // no pixels needed: near-duplicate skipping off
    const tracker = createTracker<Frame>({ detect: (f) => frameDets(f.t), refine, estimate: () => ({ age: 30, spread: 0.5 }), duplicateBelow: 0 });
    const ids = new Identities();
    for (let t = 0; t < scene.frames; t++) {
      const faces = tracker.update({ data: new Uint8ClampedArray(0), width: scene.width, height: scene.height, t });
      const truth = truthAt(scene, t).filter((f) => f.visible);
      matchByIoU(truth, faces, 0.5).forEach((f, i) => f && ids.record(t, f.id, truth[i].face));
    }
    if (ids.switches.length || ids.shared.length) bad.push(`seed ${seed}: ${ids.switches.join('; ')}`);
  }
  // 2026-12-05: 79 of 80 seeds switched before the tracker knew of such boxes, 3 now (a track
  // coasting on its prediction over the other face for a few frames)
  console.log(`  ${blended} blended boxes; seeds with a switch: ${bad.length} of 80`);
  assert.ok(bad.length <= 4, bad.join('\n'));
});

test('frame difference: 0 on a repeated frame; noise and motion measured (what duplicateBelow separates)', () => {
  const scene = makeScene('still', 4);
  const renderer = new SceneRenderer(scene, [syntheticChip(4)]);
  const diff = new FrameDiff();
  const values: number[] = [];
  for (let t = 0; t < 12; t++) {
    const d = diff.measure({ data: renderer.render(t), width: scene.width, height: scene.height });
    diff.accept();
    values.push(d);
  }
  const moving = makeScene('drift', 4);
  const mr = new SceneRenderer(moving, [syntheticChip(4)]);
  const md = new FrameDiff();
  const mv: number[] = [];
  for (let t = 0; t < 12; t++) {
    mv.push(md.measure({ data: mr.render(t), width: moving.width, height: moving.height }));
    md.accept();
  }
  console.log(`  still scene (sensor noise sd 2, face wandering by 3 px): ${values.slice(1).map((v) => v.toFixed(2)).join(' ')}; drifting face: ${mv.slice(1).map((v) => v.toFixed(1)).join(' ')}`);
  assert.is(values[0], Infinity);
  for (let t = 1; t < 12; t++) if (scene.repeat[t]) assert.is(values[t], 0, `frame ${t}`);
  for (const v of mv.slice(1)) assert.ok(v > 5, `moving: ${v}`);
  // size change: no reference
  assert.is(md.measure({ data: new Uint8Array(12), width: 2, height: 2 }), Infinity);
});


/**
 * A mock estimator with one partner model: at frame t the main model reads 30 + t % 2 and the
 * partner 42, mixed at weights 2/3 and 1/3 (so the partners' offset on the face is (42 - main) / 3);
 * `mixed` records, per refineFace call, whether the partners ran.
 */
function ensembleEstimator(partners: boolean) {
  const mixed: boolean[] = [];
  const main = (f: { t: number }) => 30 + (f.t % 2);
  const read = (f: { t: number }, mix: boolean): FaceObservation => ({
    box: { x: 100, y: 100, width: 80, height: 80 },
    keypoints: [],
    score: 0.9,
    spread: 1,
    ...(mix ? { age: (2 * main(f) + 42) / 3, models: [main(f), 42] } : { age: main(f) }),
  });
  return {
    mixed,
    mixedAge: (t: number) => (2 * main({ t }) + 42) / 3,
    estimator: {
      ensemble: partners ? [{ weight: 1 / 3 }] : [],
      estimateAll: (f: { t: number }) => [read(f, partners)],
      estimateFace: (f: { t: number }) => read(f, partners) as { age: number; spread: number },
      refineFace: (f: { t: number }, _seed: FaceObservation, opts: { ensemble?: false }) => {
        mixed.push(partners && opts.ensemble !== false);
        return read(f, partners && opts.ensemble !== false);
      },
    },
  };
}

test("ensembleEvery: a followed face mixes the partners every 3rd frame; between, the main model's age plus the partners' offset on that face", () => {
  for (const every of [undefined, 3, 1, 4]) {
    const m = ensembleEstimator(true);
    const tracker = createTracker<{ t: number }>({ estimator: m.estimator, detectEvery: 1000, ...(every === undefined ? {} : { ensembleEvery: every }) });
    const k = every ?? 3;
    for (let t = 1; t <= 13; t++) {
      const [face] = tracker.update({ t });
      // within a third of a year of the mix: the offset is a mean of (42 - main) / 3 over frames where main is 30 or 31
      assert.ok(Math.abs(face.ageRaw! - m.mixedAge(t)) <= 1 / 3 + 1e-9, `ensembleEvery ${every} frame ${t}: ageRaw ${face.ageRaw} against the mix ${m.mixedAge(t)}`);
    }
    // frame 1 is the detection (mixed); refines on frames 2..13 mix when k frames have passed since the last mix
    const want = Array.from({ length: 12 }, (_, i) => (i + 1) % k === 0);
    assert.equal(m.mixed, want, `ensembleEvery ${every}: which refines mixed`);
  }
});

test('ensembleEvery: an estimator without partners, or a refine of your own, is called as before (never with ensemble: false)', () => {
  const alone = ensembleEstimator(false);
  const t1 = createTracker<{ t: number }>({ estimator: alone.estimator, detectEvery: 1000 });
  for (let t = 1; t <= 6; t++) t1.update({ t });
  assert.equal(alone.mixed, [false, false, false, false, false], 'no partners: the main model alone, as refineFace gives it');
  const m = ensembleEstimator(true);
  const asked: unknown[] = [];
  const t2 = createTracker<{ t: number }>({
    estimator: m.estimator,
    detectEvery: 1000,
    refine: (f, seed, others) => {
      asked.push(others);
      return m.estimator.refineFace(f, seed, {});
    },
  });
  for (let t = 1; t <= 6; t++) assert.ok(Math.abs(t2.update({ t })[0].ageRaw! - m.mixedAge(t)) < 1e-9, `own refine, frame ${t}: the mixed age as it came`);
  assert.equal(m.mixed, [true, true, true, true, true]);
  assert.throws(() => createTracker({ estimator: m.estimator as never, ensembleEvery: 0 }), /ensembleEvery/);
});
test.run();
