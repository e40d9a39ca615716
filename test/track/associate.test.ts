/**
 * Association (src/track/associate.ts): the Hungarian solver against brute force on seeded random
 * matrices with forbidden pairs (every shape from 0x0 to 6x6), and the pair cost's gates; motion
 * prediction (src/track/motion.ts) and the pose measure (src/track/geometry.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Assigner, DEFAULT_ASSOCIATION, pairCost, type TrackView } from '../../src/track/associate.ts';
import { newAgeState } from '../../src/track/age-filter.ts';
import { iou, poseOf, type Box, type Point } from '../../src/track/geometry.ts';
import { MAX_TRAVEL, newMotion, observeMotion, predictBox, predictKeypoints } from '../../src/track/motion.ts';
import { Rng } from '../util/rng.ts';

/** The best assignment by enumeration: most pairs first, then least cost. */
function brute(cost: Float64Array, rows: number, cols: number): { pairs: number; total: number } {
  let best = { pairs: -1, total: Infinity };
  const used = new Array(cols).fill(false);
  const go = (r: number, pairs: number, total: number) => {
    if (r === rows) {
      if (pairs > best.pairs || (pairs === best.pairs && total < best.total - 1e-12)) best = { pairs, total };
      return;
    }
    go(r + 1, pairs, total); // row r unmatched
    for (let c = 0; c < cols; c++) {
      const v = cost[r * cols + c];
      if (used[c] || v === Infinity) continue;
      used[c] = true;
      go(r + 1, pairs + 1, total + v);
      used[c] = false;
    }
  };
  go(0, 0, 0);
  return best;
}

test('Hungarian: most pairs, then least cost, never a forbidden pair (all shapes 0..6 x 0..6, 40 seeds each)', () => {
  const a = new Assigner();
  for (let rows = 0; rows <= 6; rows++)
    for (let cols = 0; cols <= 6; cols++)
      for (let seed = 1; seed <= 40; seed++) {
        const rng = new Rng(seed * 1000 + rows * 10 + cols);
        const forbid = rng.uniform(0, 0.7);
        const cost = a.matrix(rows, cols);
        for (let i = 0; i < rows * cols; i++) cost[i] = rng.next() < forbid ? Infinity : rng.uniform(0, 3);
        const ref = brute(cost, rows, cols);
        const m = a.solve(rows, cols);
        let pairs = 0, total = 0;
        const seen = new Set<number>();
        for (let r = 0; r < rows; r++) {
          if (m[r] < 0) continue;
          assert.ok(m[r] < cols && !seen.has(m[r]), `seed ${seed} ${rows}x${cols}: column ${m[r]} twice or out of range`);
          assert.ok(cost[r * cols + m[r]] !== Infinity, `seed ${seed} ${rows}x${cols}: forbidden pair (${r}, ${m[r]})`);
          seen.add(m[r]);
          pairs++;
          total += cost[r * cols + m[r]];
        }
        assert.is(pairs, ref.pairs, `seed ${seed} ${rows}x${cols}: pairs`);
        assert.ok(Math.abs(total - ref.total) < 1e-9, `seed ${seed} ${rows}x${cols}: cost ${total} vs best ${ref.total}`);
      }
});

const box = (x: number, y: number, s: number): Box => ({ x, y, width: s, height: s });
const kps = (b: Box): Point[] => [0.3, 0.7, 0.5, 0.5].map((fx, i) => ({ x: b.x + fx * b.width, y: b.y + [0.3, 0.3, 0.5, 0.7][i] * b.height }));
function view(pred: Box, last: Box, missed: number): TrackView {
  const k = kps(pred);
  return { predicted: pred, predictedKeypoints: k, nk: k.length, last, missed, age: newAgeState() };
}

test('pair cost: near the prediction cheap, far forbidden; a face coming back only for an unseen track, near where it was; age a soft term', () => {
  const p = DEFAULT_ASSOCIATION;
  const b = box(100, 100, 100);
  const same = pairCost(view(b, b, 0), { box: b, keypoints: kps(b) }, NaN, p);
  assert.ok(same < 1e-9, `identical: ${same}`);
  const shifted = box(120, 100, 100);
  const c1 = pairCost(view(b, b, 0), { box: shifted, keypoints: kps(shifted) }, NaN, p);
  assert.ok(c1 > same && c1 < 1, `shifted 0.2 face: ${c1}`);
  const far = box(400, 100, 100);
  assert.is(pairCost(view(b, b, 0), { box: far, keypoints: kps(far) }, NaN, p), Infinity, 'far, seen last frame');
  // unseen for 10 frames, predicted far away (it walked out), detected again where it was last seen
  const pred = box(700, 100, 100);
  const back = box(110, 100, 100);
  const c2 = pairCost(view(pred, b, 10), { box: back, keypoints: kps(back) }, NaN, p);
  assert.ok(c2 >= 1 && c2 < 2, `re-entry cost ${c2}`);
  assert.is(pairCost(view(pred, b, 10), { box: box(110, 100, 200), keypoints: [] }, NaN, p), Infinity, 'twice the size');
  assert.is(pairCost(view(pred, b, 10), { box: box(300, 100, 100), keypoints: [] }, NaN, p), Infinity, 'two face sizes away');
  // the age: a far-off age makes a pair dearer, never impossible (a face cut by the frame edge can
  // read years off and is still the same face)
  const v = view(pred, b, 10);
  v.age = { mean: 25, variance: 0.2, count: 30 };
  const off = pairCost(v, { box: back, keypoints: kps(back), age: 60 }, 1, p), on = pairCost(v, { box: back, keypoints: kps(back), age: 25.5 }, 1, p);
  assert.ok(off < Infinity && off > on, `${off} vs ${on}`);
  assert.ok(Math.abs(off - on - p.ageWeight) < 0.05, 'the age term is at most ageWeight');
  const near = view(b, b, 0);
  near.age = { mean: 25, variance: 0.2, count: 30 };
  assert.ok(pairCost(near, { box: shifted, keypoints: kps(shifted), age: 60 }, 1, p) > pairCost(near, { box: shifted, keypoints: kps(shifted), age: 25 }, 1, p));
  // a track seen last frame is preferred over one unseen for a while at the same place
  assert.ok(pairCost(view(b, b, 0), { box: shifted, keypoints: kps(shifted) }, NaN, p) < pairCost(view(b, b, 3), { box: shifted, keypoints: kps(shifted) }, NaN, p));
});

test('motion: constant velocity is predicted exactly, travel stops after MAX_TRAVEL frames, a far jump restarts it', () => {
  const m = newMotion();
  for (let t = 0; t < 20; t++) {
    const b = { x: 10 + 5 * t, y: 50 - 2 * t, width: 80 * 1.01 ** t, height: 80 * 1.01 ** t };
    observeMotion(m, b, kps(b), t);
  }
  const out = box(0, 0, 0);
  const expect = (t: number) => ({ x: 10 + 5 * t, y: 50 - 2 * t, s: 80 * 1.01 ** t });
  predictBox(m, 22, out);
  const e = expect(22);
  // the centre: x + s/2
  assert.ok(Math.abs(out.x + out.width / 2 - (e.x + e.s / 2)) < 0.5, `x ${out.x + out.width / 2} vs ${e.x + e.s / 2}`);
  assert.ok(Math.abs(out.width - e.s) / e.s < 0.01, `size ${out.width} vs ${e.s}`);
  const pk: Point[] = Array.from({ length: 6 }, () => ({ x: 0, y: 0 }));
  assert.is(predictKeypoints(m, 22, pk), 4);
  const ek = kps({ x: e.x, y: e.y, width: e.s, height: e.s });
  for (let i = 0; i < 4; i++) assert.ok(Math.hypot(pk[i].x - ek[i].x, pk[i].y - ek[i].y) < 1, `keypoint ${i}`);
  const a = predictBox(m, 19 + MAX_TRAVEL, box(0, 0, 0)), b = predictBox(m, 19 + MAX_TRAVEL + 30, box(0, 0, 0));
  assert.equal(a, b, 'no travel past MAX_TRAVEL frames');
  // found again far away: velocity restarts from zero
  observeMotion(m, box(600, 400, 80), [], 25);
  const c = predictBox(m, 26, box(0, 0, 0));
  assert.ok(iou(c, box(600, 400, 80)) > 0.95);
});

test('pose: frontal template reads ~0; turning, nodding and tilting move the right measure', () => {
  const f = (pts: number[][]) => poseOf(pts.map(([x, y]) => ({ x, y })), { roll: 9, yaw: 9, pitch: 9 });
  // the chip template of train/video.ts (eyes, nose, mouth) at side 100
  const frontal = f([[29.6, 30.7], [69, 30.7], [49.3, 51.2], [49.3, 71]]);
  assert.ok(Math.abs(frontal.roll) < 1e-9 && Math.abs(frontal.yaw) < 0.01 && Math.abs(frontal.pitch) < 0.01, JSON.stringify(frontal));
  assert.ok(f([[29.6, 30.7], [69, 30.7], [60, 51.2]]).yaw > 0.2, 'nose towards the left eye');
  assert.ok(f([[29.6, 30.7], [69, 30.7], [49.3, 40]]).pitch < -0.2, 'nose up');
  const tilt = f([[30, 30], [70, 40], [48, 52]]);
  assert.ok(Math.abs(tilt.roll - (Math.atan2(10, 40) * 180) / Math.PI) < 1e-9);
  assert.equal(f([[1, 1]]), { roll: 0, yaw: 0, pitch: 0 }, 'too few points: frontal');
  assert.equal(f([[1, 1], [1, 1], [2, 2]]), { roll: 0, yaw: 0, pitch: 0 }, 'eyes on each other: frontal');
});

test.run();
