/**
 * The tracked age of one face: a one-dimensional Kalman filter on a random walk, fed each frame's
 * age with a variance that says how much that frame is worth.
 *
 * Model. A face's age as the model sees it, a(t), is a random walk with process noise q years^2 per
 * frame (the lighting, the pose and the framing change what the model sees; q is how fast the
 * tracker lets the estimate move, i.e. how slowly it forgets). A frame's age is z = a(t) + e with
 * e ~ N(0, R), R from `observationVariance` (spread, detection score, face size, pose). Each frame:
 *
 *   predict   P += q * min(frames elapsed since the last reading, MAX_ELAPSED)
 *   update    K = P / (P + R);  mean += K (z - mean);  P = (1 - K) P
 *
 * which is an inverse-variance weighted mean with exponential forgetting: with no process noise it
 * is exactly the weighted mean sum(z_i / R_i) / sum(1 / R_i); with q > 0, at a steady R, the gain
 * settles at K ~ sqrt(q / R) (an exponential window of about 1 / K frames). The first reading
 * initialises the mean (P = R), so the estimate settles as a plain weighted mean of the first
 * frames (P ~ R / n) and only then starts forgetting.
 *
 * A reading far from the estimate (squared innovation over P + R above GATE^2) is down-weighted as in
 * a Huber loss (R scaled by d^2 / GATE^2) instead of moving the estimate by its whole error: one bad
 * frame (a misaligned crop, a blink of the wrong face) cannot jump the age.
 */
import type { Pose } from './geometry.ts';

/** The noise model of a frame's age; every field in years (or factors) and documented below. */
export interface AgeNoise {
  /** sd of a frame's age at spread 0 (years): the floor of the per-frame noise */
  base: number;
  /** sd added per year of spread: the per-frame sd is sqrt(base^2 + (perSpread * spread)^2) */
  perSpread: number;
  /** process noise, years^2 per frame: how fast the estimate may move (forgetting) */
  processNoise: number;
}

/**
 * Defaults measured on the default model (resnet18w16-daa, int8, its stage 1 weights) over synthetic sequences of UTKFace
 * test chips (train/video.ts: drift, scale, rotation, blur, brightness, all mixed, crossing, leave
 * and return). A frame's age varies from frame to frame with an sd of about 2 x spread within a
 * face, but across frames the spread says little about which reading is right: on dark, blurred
 * frames the model reads younger with a lower spread. So spread weighs in, but softly.
 * Chosen with `npx tsx bench/quality-diag.ts` (the whole detect + refine path, 9 kinds x seeds
 * 101-108, none of the tests' or the bench's; 2026-12-05), replaying the filter over its readings
 * (tracked MAE against the readings' own MAE, 4.930):
 *   perSpread 2, q 0.05 (the earlier default)   4.850  worse than its readings on drift and scale
 *   perSpread 1, q 0.03                         4.815  worse on drift
 *   perSpread 0.5, q 0.03                       4.796  better than its readings on every kind
 *   perSpread 0, q 0.03                         4.766  better on every kind; spread unused
 * At q 0.03 the frame-to-frame sd of the tracked age is 5.5x lower than the readings' (median
 * track); at 0.02, 6.3x, but it lags the model's swings with the lighting (brightness sequences in
 * test/track/real-ages.test.ts). At a typical R of 0.4 years^2 its window is about
 * 1 / sqrt(q / R) = 4 frames.
 */
export const DEFAULT_AGE_NOISE: Readonly<AgeNoise> = { base: 0.5, perSpread: 0.5, processNoise: 0.03 };

/**
 * Frames without a reading add process noise for at most this many frames: a face that was hidden
 * or away for a second is the same person when it comes back, and its first new reading should not
 * count more than a few frames' worth.
 */
export const MAX_ELAPSED = 5;

/** Innovations beyond GATE standard deviations are down-weighted (Huber). */
export const GATE = 3;

/**
 * How a frame's circumstances inflate its variance. Each is a factor >= 1 on R; all documented
 * choices, not fits:
 * - score s (the detector's, 0..1): 1 / max(s, 0.05)  (a face found at 0.65 counts ~2/3 of one at 1)
 * - face size d (pixels, sqrt of the box area): 1 + (SIZE_REF / d)^2 (SIZE_REF = 64: a 64 px face
 *   counts half, a 128 px one 4/5, a 32 px one a fifth): the age model's input is 96 px
 * - pose: 1 + (yaw / 0.2)^2 + (pitch / 0.2)^2 + (roll / 30 deg)^2, from the keypoints (geometry.ts:
 *   yaw and pitch in inter-ocular distances, 0.2 is about 20 degrees of yaw). Roll counts least:
 *   the alignment undoes it, but a large roll goes with a poor crop.
 * - the part of the box inside the picture, f: 1 / f^4 (a face 80 % in counts 0.4, 64 % in 0.17):
 *   the crop of a face cut by the frame edge is filled with grey, and the default model read such
 *   a face 12 years younger than the same face whole (test/track/real-ages.test.ts, 'leave').
 */
export const SIZE_REF = 64;
export const POSE_YAW = 0.2;
export const POSE_PITCH = 0.2;
export const POSE_ROLL_DEG = 30;

/**
 * The variance R (years^2) of one frame's age. `pose` may be null (no keypoints: no pose factor);
 * `inside` is the fraction of the face's box inside the picture (1 when unknown).
 */
export function observationVariance(spread: number, score: number, size: number, pose: Pose | null, noise: Readonly<AgeNoise>, inside = 1): number {
  const s = noise.perSpread * Math.max(0, spread);
  let r = noise.base * noise.base + s * s;
  r /= Math.min(1, Math.max(0.05, score));
  r *= 1 + (SIZE_REF / Math.max(1, size)) ** 2;
  if (pose) r *= 1 + (pose.yaw / POSE_YAW) ** 2 + (pose.pitch / POSE_PITCH) ** 2 + (pose.roll / POSE_ROLL_DEG) ** 2;
  r /= Math.max(0.05, Math.min(1, inside)) ** 4;
  return Math.max(r, 1e-6);
}

/** The filter's state: plain numbers, updated in place (no allocation per frame). */
export interface AgeState {
  /** the tracked age, years (NaN before the first reading) */
  mean: number;
  /** its variance, years^2 (Infinity before the first reading) */
  variance: number;
  /** readings taken */
  count: number;
}

export function newAgeState(): AgeState {
  return { mean: NaN, variance: Infinity, count: 0 };
}

export function resetAge(s: AgeState): void {
  s.mean = NaN;
  s.variance = Infinity;
  s.count = 0;
}

/**
 * One reading: age `z` with variance `r`, `elapsed` frames after the previous reading (>= 1; frames
 * without a reading, a face hidden for a while, add their process noise too). Returns the gain used.
 */
export function updateAge(s: AgeState, z: number, r: number, elapsed: number, q: number): number {
  if (s.count === 0) {
    s.mean = z;
    s.variance = r;
    s.count = 1;
    return 1;
  }
  const p = s.variance + q * Math.min(MAX_ELAPSED, Math.max(1, elapsed));
  const e = z - s.mean;
  const d2 = (e * e) / (p + r);
  const rr = d2 > GATE * GATE ? (r * d2) / (GATE * GATE) : r;
  const k = p / (p + rr);
  s.mean += k * e;
  s.variance = (1 - k) * p;
  s.count++;
  return k;
}
