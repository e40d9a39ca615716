/**
 * The tracker on generated box / keypoint streams (train/video.ts scene geometry through a simulated
 * detector, test/track/util.ts; no pixels, no data needed): ids across drifting, scaling, rotating
 * faces, two faces that cross, a face that leaves and returns within and past the timeout; the
 * tracked age against the per-frame age on the same streams; option and input errors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTracker, type TrackedFace, type TrackerOptions } from '../../src/index.ts';
import { FaceInputError, OptionsError } from '../../src/errors.ts';
import { makeScene, SCENE_KINDS, truthAt, type SceneKind, type SceneOptions } from '../../train/video.ts';
import { Rng } from '../util/rng.ts';
import { Identities, jitter, makePeople, mae, quantile, readingOf, settleFrame, simulateDetections, steadyReference, type Reading, type SimOptions } from './util.ts';

const SEEDS = 40;

interface RunResult {
  ids: Identities;
  /** per track id: its truth face, the frames where it was reported, tracked and raw ages */
  series: Map<number, { truth: number; t: number[]; age: number[]; raw: number[]; readings: Reading[] }>;
  labels: number[];
  /** the subject (index into labels) of each scene face */
  subjects: number[];
  created: number;
}

function run(kind: SceneKind, seed: number, sceneOpts: SceneOptions = {}, trackerOpts: TrackerOptions = {}, sim: SimOptions = {}, allowNew?: (face: number, t: number) => boolean): RunResult {
  const scene = makeScene(kind, seed, sceneOpts);
  const rng = new Rng(seed * 7 + 1);
  const people = makePeople(2, rng);
  if (kind === 'cross' && seed % 2 === 0) people[1] = { ...people[0] }; // the same age: only motion tells them apart
  const tracker = createTracker(trackerOpts);
  const ids = new Identities();
  const series = new Map<number, { truth: number; t: number[]; age: number[]; raw: number[]; readings: Reading[] }>();
  for (let t = 0; t < scene.frames; t++) {
    const dets = simulateDetections(scene, t, people, rng, sim);
    const faces = tracker.observe(dets, scene);
    ids.recordFrame(t, faces, dets, allowNew);
    for (const f of faces) {
      // the detection this track took (same box): its truth face
      const d = dets.find((x) => x.box.x === f.box.x && x.box.y === f.box.y);
      if (!d || d.truth < 0 || f.age === null || f.ageRaw === null) continue;
      if (!series.has(f.id)) series.set(f.id, { truth: d.truth, t: [], age: [], raw: [], readings: [] });
      const s = series.get(f.id)!;
      s.readings.push(readingOf(t, d, scene));
      s.t.push(t);
      s.age.push(f.age);
      s.raw.push(f.ageRaw);
    }
  }
  return { ids, series, labels: people.map((p) => p.label), subjects: scene.faces.map((f) => f.subject), created: tracker.stats.tracks };
}

const where = (kind: string, seed: number) => `${kind} seed ${seed} (rerun: run('${kind}', ${seed}))`;

test('ids: one id per face over drift, scale, rotation, blur, brightness, mixed (40 seeds each, 3% misses, spurious boxes)', () => {
  for (const kind of ['drift', 'scale', 'rotate', 'blur', 'brightness', 'mixed', 'still'] as const)
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = run(kind, seed);
      assert.equal(r.ids.switches, [], where(kind, seed));
      assert.equal(r.ids.shared, [], where(kind, seed));
      assert.is(r.ids.idsOf.get(0)?.size, 1, where(kind, seed));
    }
});

test('ids: two faces that cross, the rear one hidden for a few frames (40 seeds, half with equal ages)', () => {
  let hidden = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const scene = makeScene('cross', seed);
    for (let t = 0; t < scene.frames; t++) if (truthAt(scene, t).some((f) => !f.visible)) hidden++;
    const r = run('cross', seed);
    assert.equal(r.ids.switches, [], where('cross', seed));
    assert.equal(r.ids.shared, [], where('cross', seed));
    assert.is(r.ids.idsOf.get(0)?.size, 1, where('cross', seed));
    assert.is(r.ids.idsOf.get(1)?.size, 1, where('cross', seed));
  }
  console.log(`  crossing: the rear face hidden in ${(hidden / SEEDS).toFixed(1)} frames per sequence on average`);
  assert.ok(hidden / SEEDS >= 3, 'the scenes do hide a face');
});

test('ids: a face that leaves and returns keeps its id within the timeout, gets a new one past it', () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    // how long the face is out of sight (out of the picture, or less than 60 % in it)
    const scene = makeScene('leave', seed, { away: 20 });
    let gap = 0;
    for (let t = 0; t < scene.frames; t++) if (!truthAt(scene, t).some((f) => f.visible)) gap++;
    const within = run('leave', seed, { away: 20 }, { timeout: gap + 5 });
    assert.equal(within.ids.switches, [], `${where('leave', seed)}, out of sight ${gap} frames`);
    assert.is(within.ids.idsOf.get(0)?.size, 1, where('leave', seed));
    // a timeout shorter than the absence: the face comes back as a new face
    const past = run('leave', seed, { away: 20 }, { timeout: gap - 5 }, {}, () => true);
    assert.is(past.ids.idsOf.get(0)?.size, 2, where('leave', seed));
    assert.equal(past.ids.shared, [], where('leave', seed));
  }
});

test('timeout: a face unseen for exactly `timeout` frames keeps its id, one more frame and it is new', () => {
  const face = { box: { x: 100, y: 100, width: 80, height: 80 }, keypoints: [], score: 0.9, age: 30, spread: 0.5 };
  for (const timeout of [0, 1, 5, 30]) {
    const tr = createTracker({ timeout });
    const id = tr.observe([face])[0].id;
    for (let i = 0; i < timeout; i++) assert.equal(tr.observe([]), []);
    assert.is(tr.tracks().length, 1, `timeout ${timeout}: still live while unseen`);
    assert.is(tr.observe([face])[0].id, id, `timeout ${timeout}: back after ${timeout} frames`);
    const tr2 = createTracker({ timeout });
    const id2 = tr2.observe([face])[0].id;
    for (let i = 0; i <= timeout; i++) tr2.observe([]);
    assert.is(tr2.tracks().length, 0);
    assert.is(tr2.observe([face])[0].id, id2 + 1, `timeout ${timeout}: back after ${timeout + 1} frames is a new face`);
  }
});

test('tracked age vs per-frame age on every scene kind (40 seeds each): jitter >= 3x lower, MAE no worse, settled by frame 10', () => {
  const rows: string[] = [];
  const checks: Array<[boolean, string]> = [];
  for (const kind of SCENE_KINDS) {
    const ratios: number[] = [], settle: number[] = [];
    let maeRaw = 0, maeTracked = 0, n = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      // leave: a timeout longer than the absence, so the age series goes on under one id
      const r = run(kind, seed, kind === 'leave' ? { away: 10 } : {}, kind === 'leave' ? { timeout: 60 } : {});
      for (const [id, s] of r.series) {
        if (s.age.length < 20) continue;
        const label = r.labels[r.subjects[s.truth]];
        const ratio = jitter(s.raw) / jitter(s.age);
        ratios.push(ratio);
        settle.push(settleFrame(s.age, steadyReference(s.readings), s.raw));
        maeRaw += mae(s.raw, label) * s.raw.length;
        maeTracked += mae(s.age, label) * s.age.length;
        n += s.age.length;
        assert.ok(ratio >= 3, `${where(kind, seed)} id ${id}: jitter ratio ${ratio.toFixed(2)}`);
      }
    }
    maeRaw /= n;
    maeTracked /= n;
    rows.push(`${kind.padEnd(10)} jitter ratio median ${quantile(ratios, 0.5).toFixed(1)} (min ${Math.min(...ratios).toFixed(1)}), MAE raw ${maeRaw.toFixed(2)} tracked ${maeTracked.toFixed(2)}, settled by frame ${quantile(settle, 0.5)} median, ${quantile(settle, 0.9)} p90, ${Math.max(...settle)} max`);
    checks.push([maeTracked <= maeRaw, `${kind}: tracked MAE ${maeTracked} > raw ${maeRaw}`]);
    checks.push([quantile(settle, 0.9) <= 10, `${kind}: p90 settling frame ${quantile(settle, 0.9)}`]);
  }
  console.log(rows.map((r) => `  ${r}`).join('\n'));
  for (const [ok, msg] of checks) assert.ok(ok, msg);
});

test('options: unknown names (with a hint), wrong types and ranges are OptionsErrors that say so', () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ timout: 5 }, /unknown option 'timout' in createTracker options \(did you mean 'timeout'\?\)/],
    [{ detectEvery: 0 }, /detectEvery must be an integer in 1\.\.1000, got 0/],
    [{ detectEvery: 2.5 }, /detectEvery must be an integer/],
    [{ timeout: -1 }, /timeout must be an integer/],
    [{ minScore: 2 }, /minScore must be a number in 0\.\.1, got 2/],
    [{ minScore: NaN }, /minScore must be a number in 0\.\.1, got NaN/],
    [{ duplicateBelow: '1' }, /duplicateBelow must be a number in 0\.\.255, got "1"/],
    [{ processNoise: -0.1 }, /processNoise must be a number/],
    [{ ageNoise: 0 }, /ageNoise must be a number in 0\.01\.\.100/],
    [{ minIoU: 0 }, /minIoU must be a number in 0\.01\.\.1/],
    [{ detect: 'estimateAll' }, /detect must be a function, got string/],
    [{ estimate: {} }, /estimate must be a function, got object/],
    [null, /createTracker options must be an object/],
    [[], /createTracker options must be an object/],
  ];
  for (const [opts, msg] of bad) {
    try {
      createTracker(opts as TrackerOptions);
      assert.unreachable(`no error for ${JSON.stringify(opts)}`);
    } catch (e) {
      assert.instance(e, OptionsError, String(e));
      assert.is((e as OptionsError).code, 'OPTIONS');
      assert.match((e as Error).message, msg);
    }
  }
  assert.throws(() => createTracker().update({ data: new Uint8Array(4), width: 1, height: 1 }), (e: Error) => e instanceof OptionsError && /needs the detect option/.test(e.message));
});

test('faces: malformed faces are FaceInputErrors naming the field, and change nothing', () => {
  const tr = createTracker();
  const good = { box: { x: 0, y: 0, width: 10, height: 10 }, keypoints: [{ x: 1, y: 2 }], score: 0.9, age: 20, spread: 1 };
  const id = tr.observe([good])[0].id;
  const bad: Array<[unknown, RegExp]> = [
    [[null], /observe\(\) face\[0\] must be an object/],
    [[{ ...good, box: { x: 0, y: 0, width: 0, height: 10 } }], /\[0\]\.box must be/],
    [[good, { ...good, box: { x: NaN, y: 0, width: 1, height: 1 } }], /\[1\]\.box must be/],
    [[{ ...good, keypoints: 'none' }], /keypoints must be an array/],
    [[{ ...good, keypoints: [{ x: 1 }] }], /keypoints\[0\] must be \{ x, y \}/],
    [[{ ...good, score: undefined }], /score must be a finite number/],
    [[{ ...good, age: '20' }], /age must be a finite number/],
    [[{ ...good, spread: -1 }], /spread must be a finite number >= 0/],
  ];
  for (const [faces, msg] of bad) {
    assert.throws(() => tr.observe(faces as never), (e: Error) => e instanceof FaceInputError && (e as FaceInputError).code === 'FACE_DATA' && msg.test(e.message), String(msg));
  }
  assert.throws(() => tr.observe('faces' as never), (e: Error) => e instanceof FaceInputError);
  assert.throws(() => tr.observe([good], { width: 0, height: 10 }), (e: Error) => e instanceof OptionsError && /size must be \{ width, height \}/.test(e.message));
  const after = tr.observe([good]);
  assert.is(after.length, 1);
  assert.is(after[0].id, id, 'the track survived the bad frames');
  const det = createTracker({ detect: () => null as never });
  assert.throws(() => det.update({ data: new Uint8Array(4), width: 1, height: 1 }), (e: Error) => e instanceof FaceInputError && /detect must return an array/.test(e.message));
  const est = createTracker({ detect: () => [{ ...good, age: undefined }], estimate: () => ({ age: NaN, spread: 1 }), duplicateBelow: 0 });
  assert.throws(() => est.update({ data: new Uint8Array(4), width: 1, height: 1 }), (e: Error) => e instanceof FaceInputError && /estimate must return/.test(e.message));
});

test('results: largest face first, fresh objects, reported fields', () => {
  const tr = createTracker();
  const small = { box: { x: 0, y: 0, width: 20, height: 20 }, keypoints: [], score: 0.8, age: 10, spread: 0.4 };
  const big = { box: { x: 200, y: 0, width: 90, height: 90 }, keypoints: [], score: 0.9 };
  const a = tr.observe([small, big]);
  assert.is(a.length, 2);
  assert.is(a[0].box.width, 90);
  assert.is(a[0].age, null, 'no age reading yet');
  assert.is(a[0].ageRaw, null);
  assert.is(a[1].age, 10);
  assert.is(a[1].ageRaw, 10);
  assert.is(a[1].spreadRaw, 0.4);
  assert.ok(a[1].spread! > 0);
  assert.is(a[1].frames, 1);
  const b = tr.observe([small]);
  assert.is(b[0].frames, 2);
  assert.is(a[1].frames, 1, 'an earlier result is not changed');
  assert.is(tr.tracks().length, 2, 'the unseen face is still live');
  tr.reset();
  assert.is(tr.tracks().length, 0);
  const c: TrackedFace[] = tr.observe([small]);
  assert.ok(c[0].id > a[0].id && c[0].id > a[1].id, 'ids are never reused');
});

test.run();
