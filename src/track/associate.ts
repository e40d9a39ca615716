/**
 * Matching tracks to a frame's detections. Each (track, detection) pair gets a cost from how well the
 * detection fits the track's predicted box and keypoints (motion.ts); pairs that cannot be the same
 * face are forbidden (cost Infinity); then the Hungarian method picks the matching with the most
 * pairs and, among those, the least total cost. A small matrix (faces in a frame: a handful), solved
 * in O(n^2 m) in preallocated buffers that only grow.
 *
 * The cost of track t and detection d (face size s = sqrt of the predicted box's area):
 * - near the prediction: (1 - IoU(predicted box, box)) + keypointWeight * kd + |ln(size / s)|
 *   + MISS_COST * min(frames unseen, 5), with kd the mean distance of the eyes, nose and mouth from
 *   their predicted places over s. Allowed when IoU >= minIoU or kd <= maxKeypointDistance.
 * - a face coming back (a track unseen for a frame or more; a face that left the picture or was
 *   hidden): the distance of the box centre from the nearer of the predicted and the last seen
 *   centres, over the last seen size, with the sizes within a factor REENTRY_SIZE. Allowed within reentryDistance;
 *   it costs 1 + distance / reentryDistance, always more than any match near the prediction.
 * - both: when the detection carries an age and the track has one, ageWeight * min(1, d2 / 9) where
 *   d2 is the squared age difference over (tracked variance + the detection's variance): of two
 *   faces that fit alike, the one of the tracked age wins. Never a gate: a face half out of the
 *   picture, or dark, can read 10 years off (measured on the default model), and it is still the
 *   same face.
 */
import type { AgeState } from './age-filter.ts';
import { type Box, faceSize, iou, type Point } from './geometry.ts';

export interface AssociationParams {
  /** smallest IoU of a detection with a track's predicted box that may match it */
  minIoU: number;
  /** or: largest mean keypoint distance from the predicted keypoints, in face sizes */
  maxKeypointDistance: number;
  /** weight of the keypoint distance in the cost (IoU's is 1) */
  keypointWeight: number;
  /** how far from its prediction or last place a face coming back may be found, in face sizes */
  reentryDistance: number;
  /** weight of the age difference in the cost */
  ageWeight: number;
}

export const DEFAULT_ASSOCIATION: Readonly<AssociationParams> = {
  minIoU: 0.2,
  maxKeypointDistance: 0.35,
  keypointWeight: 1,
  reentryDistance: 1,
  ageWeight: 0.3,
};

/**
 * Added per frame a track went unseen (up to 5): of two tracks that fit a detection alike, the one
 * seen in the last frame takes it (the other is most likely hidden behind it).
 */
export const MISS_COST = 0.1;
/** Sizes of a face coming back may differ by this factor at most. */
export const REENTRY_SIZE = 1.4;
/** Keypoints compared: the eyes, the nose tip and the mouth (the ears are the detector's least sure). */
const KEYPOINTS_COMPARED = 4;

/** What association needs of a track. */
export interface TrackView {
  /** predicted box and keypoints at this frame */
  predicted: Box;
  predictedKeypoints: readonly Point[];
  /** how many of predictedKeypoints are set */
  nk: number;
  /** box when last seen */
  last: Box;
  /** frames since last seen (0: seen in the previous frame) */
  missed: number;
  age: AgeState;
}

/** What association needs of a detection. */
export interface DetectionView {
  box: Box;
  keypoints: readonly Point[];
  age?: number;
}

/**
 * The cost of matching track `t` with detection `d` (Infinity: forbidden). `ageVar` is the variance
 * of the detection's age (NaN when it has none).
 */
export function pairCost(t: TrackView, d: DetectionView, ageVar: number, p: Readonly<AssociationParams>): number {
  const s = Math.max(1, faceSize(t.predicted));
  let ageTerm = 0;
  if (t.age.count > 0 && typeof d.age === 'number' && ageVar === ageVar) {
    const e = d.age - t.age.mean;
    const d2 = (e * e) / (t.age.variance + ageVar);
    ageTerm = p.ageWeight * Math.min(1, d2 / 9);
  }
  const o = iou(t.predicted, d.box);
  const n = Math.min(t.nk, d.keypoints.length, KEYPOINTS_COMPARED);
  let kd = NaN;
  if (n > 0) {
    kd = 0;
    for (let i = 0; i < n; i++) kd += Math.hypot(d.keypoints[i].x - t.predictedKeypoints[i].x, d.keypoints[i].y - t.predictedKeypoints[i].y);
    kd /= n * s;
  }
  if (o >= p.minIoU || kd <= p.maxKeypointDistance)
    return 1 - o + p.keypointWeight * (kd === kd ? kd : 0) + Math.abs(Math.log(faceSize(d.box) / s)) + MISS_COST * Math.min(t.missed, 5) + ageTerm;
  if (t.missed === 0) return Infinity;
  // sizes from the last seen box: a size extrapolated over many frames is mostly noise
  const sl = Math.max(1, faceSize(t.last));
  const ratio = faceSize(d.box) / sl;
  if (ratio > REENTRY_SIZE || ratio < 1 / REENTRY_SIZE) return Infinity;
  const dx = d.box.x + d.box.width / 2, dy = d.box.y + d.box.height / 2;
  const dist = Math.min(
    Math.hypot(dx - (t.predicted.x + t.predicted.width / 2), dy - (t.predicted.y + t.predicted.height / 2)),
    Math.hypot(dx - (t.last.x + t.last.width / 2), dy - (t.last.y + t.last.height / 2)),
  ) / sl;
  return dist <= p.reentryDistance ? 1 + dist / p.reentryDistance + ageTerm : Infinity;
}

/** A forbidden pair inside the solver: large enough that any allowed matching of more pairs wins. */
const FORBIDDEN = 1e9;

/**
 * Minimum-cost assignment of rows (tracks) to columns (detections) over a cost matrix with forbidden
 * pairs, in buffers kept between calls (they grow to the largest matrix seen, never shrink).
 */
export class Assigner {
  /** row-major rows x cols costs; fill through `matrix` */
  private cost = new Float64Array(16);
  private u = new Float64Array(8);
  private v = new Float64Array(8);
  private minv = new Float64Array(8);
  private p = new Int32Array(8);
  private way = new Int32Array(8);
  private used = new Uint8Array(8);
  private match = new Int32Array(8);

  /** The cost buffer for a rows x cols problem (entry r * cols + c), to be filled before `solve`. */
  matrix(rows: number, cols: number): Float64Array {
    if (this.cost.length < rows * cols) this.cost = new Float64Array(Math.max(rows * cols, 2 * this.cost.length));
    const k = Math.max(rows, cols) + 1;
    if (this.u.length < k) {
      const n = Math.max(k, 2 * this.u.length);
      this.u = new Float64Array(n);
      this.v = new Float64Array(n);
      this.minv = new Float64Array(n);
      this.p = new Int32Array(n);
      this.way = new Int32Array(n);
      this.used = new Uint8Array(n);
    }
    if (this.match.length < rows) this.match = new Int32Array(Math.max(rows, 2 * this.match.length));
    return this.cost;
  }

  /**
   * Solves the problem last set up by `matrix(rows, cols)`. Returns, for each row, its column or -1
   * (a view valid until the next call). No forbidden pair is ever returned.
   */
  solve(rows: number, cols: number): Int32Array {
    const { cost, u, v, minv, p, way, used, match } = this;
    match.fill(-1, 0, rows);
    if (rows === 0 || cols === 0) return match;
    // the classic O(n^2 m) Hungarian method needs n <= m: transpose when there are more rows
    const tr = rows > cols;
    const n = tr ? cols : rows, m = tr ? rows : cols;
    u.fill(0, 0, n + 1);
    v.fill(0, 0, m + 1);
    p.fill(0, 0, m + 1);
    for (let i = 1; i <= n; i++) {
      p[0] = i;
      let j0 = 0;
      minv.fill(Infinity, 0, m + 1);
      used.fill(0, 0, m + 1);
      do {
        used[j0] = 1;
        const i0 = p[j0];
        let delta = Infinity, j1 = 0;
        for (let j = 1; j <= m; j++) {
          if (used[j]) continue;
          const raw = tr ? cost[(j - 1) * cols + (i0 - 1)] : cost[(i0 - 1) * cols + (j - 1)];
          const cur = (raw === Infinity ? FORBIDDEN : raw) - u[i0] - v[j];
          if (cur < minv[j]) {
            minv[j] = cur;
            way[j] = j0;
          }
          if (minv[j] < delta) {
            delta = minv[j];
            j1 = j;
          }
        }
        for (let j = 0; j <= m; j++) {
          if (used[j]) {
            u[p[j]] += delta;
            v[j] -= delta;
          } else minv[j] -= delta;
        }
        j0 = j1;
      } while (p[j0] !== 0);
      do {
        const j1 = way[j0];
        p[j0] = p[j1];
        j0 = j1;
      } while (j0 !== 0);
    }
    for (let j = 1; j <= m; j++) {
      const i = p[j];
      if (i === 0) continue;
      const r = tr ? j - 1 : i - 1, c = tr ? i - 1 : j - 1;
      if (cost[r * cols + c] !== Infinity) match[r] = c;
    }
    return match;
  }
}
