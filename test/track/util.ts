/**
 * Shared by the tracker tests: a simulated detector over the scenes of train/video.ts (the ground
 * truth with detector-like noise: keypoint and box jitter, missed and spurious detections, ages drawn
 * around each person's label with noise that scales with the spread), identity bookkeeping, and the
 * metrics of the issue (frame-to-frame sd, MAE, settling).
 */
import { Rng } from '../util/rng.ts';
import { DEFAULT_AGE_NOISE, newAgeState, observationVariance, updateAge } from '../../src/track/age-filter.ts';
import { type Box, faceSize, intersection, iou, poseOf } from '../../src/track/geometry.ts';
import type { FaceObservation, TrackedFace } from '../../src/track/tracker.ts';
import { truthAt, type Scene } from '../../train/video.ts';

export interface Person {
  /** the label (years) */
  label: number;
  /** what the model makes of this face on average: label + a per-person error (years) */
  modelAge: number;
}

export interface SimOptions {
  /** keypoint jitter sd, in face sizes (default 0.015) */
  keypointNoise?: number;
  /** box centre jitter sd in face sizes, and relative size jitter sd (default 0.02) */
  boxNoise?: number;
  /** chance a visible face is not detected in a frame (default 0.03) */
  miss?: number;
  /** chance of a spurious detection in a frame (default 0.01) */
  spurious?: number;
  /** per-frame age noise sd per year of spread (default 2, as measured on the real model) */
  noisePerSpread?: number;
}

/** A detection with the scene face it came from (-1: spurious). */
export interface SimDetection extends FaceObservation {
  truth: number;
}

/** Noisy detections of frame t of `scene`, for `people[face.subject]`. */
export function simulateDetections(scene: Scene, t: number, people: readonly Person[], rng: Rng, o: SimOptions = {}): SimDetection[] {
  const kn = o.keypointNoise ?? 0.015, bn = o.boxNoise ?? 0.02, miss = o.miss ?? 0.03, spur = o.spurious ?? 0.01, nps = o.noisePerSpread ?? 2;
  const out: SimDetection[] = [];
  for (const f of truthAt(scene, t)) {
    if (!f.visible || rng.next() < miss) continue;
    const s = Math.sqrt(f.box.width * f.box.height);
    const g = () => gauss(rng);
    const dw = 1 + bn * g(), dx = bn * s * g(), dy = bn * s * g();
    const w = f.box.width * dw, h = f.box.height * dw;
    const cx = f.box.x + f.box.width / 2 + dx, cy = f.box.y + f.box.height / 2 + dy;
    // harder frames: blur, darkness or glare, partial occlusion raise the spread
    const hard = f.pose.blur / 2.5 + Math.abs(f.pose.gain - 1) + f.occluded + (1 - f.inside);
    const spread = 0.3 + 0.4 * rng.next() ** 2 + 0.5 * hard;
    const p = people[f.subject];
    out.push({
      truth: f.face,
      box: { x: cx - w / 2, y: cy - h / 2, width: w, height: h },
      keypoints: f.keypoints.map((q) => ({ x: q.x + kn * s * g(), y: q.y + kn * s * g() })),
      score: Math.min(1, Math.max(0.5, 0.9 - 0.1 * hard + 0.04 * g())),
      age: p.modelAge + nps * spread * g(),
      spread,
    });
  }
  if (rng.next() < spur) {
    const size = rng.uniform(40, 120);
    out.push({ truth: -1, box: { x: rng.uniform(0, scene.width - size), y: rng.uniform(0, scene.height - size), width: size, height: size }, keypoints: [], score: rng.uniform(0.5, 0.7), age: rng.uniform(5, 80), spread: 3 });
  }
  return out;
}

/** A standard normal draw (Box-Muller). */
export function gauss(rng: Rng): number {
  const u = Math.max(1e-12, rng.next()), v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** People for a scene's subjects: labels in 2..80 and a per-person model error of sd `bias` years. */
export function makePeople(n: number, rng: Rng, bias = 3): Person[] {
  return Array.from({ length: n }, () => {
    const label = Math.round(rng.uniform(2, 80));
    return { label, modelAge: label + bias * gauss(rng) };
  });
}

/**
 * Identity bookkeeping over a run: each reported face is attributed to the ground-truth face it
 * shows (`truth`: from the detection it was built from, -1 for a spurious one). A switch is a
 * ground-truth face reported under another id than in the frame it was last reported in
 * (`allowNew(face, t)`: a new id is expected there, e.g. after a return past the timeout); a shared
 * id is one id attributed to two ground-truth faces.
 */
export class Identities {
  private lastId = new Map<number, number>();
  private owner = new Map<number, number>();
  switches: string[] = [];
  shared: string[] = [];
  readonly idsOf = new Map<number, Set<number>>();

  record(t: number, id: number, truth: number, allowNew: (face: number, t: number) => boolean = () => false): void {
    if (truth < 0) return;
    const prev = this.lastId.get(truth);
    if (prev !== undefined && prev !== id && !allowNew(truth, t)) this.switches.push(`frame ${t}: truth face ${truth} went from id ${prev} to id ${id}`);
    this.lastId.set(truth, id);
    const own = this.owner.get(id);
    if (own !== undefined && own !== truth) this.shared.push(`frame ${t}: id ${id} on truth face ${truth}, earlier on ${own}`);
    this.owner.set(id, truth);
    if (!this.idsOf.has(truth)) this.idsOf.set(truth, new Set());
    this.idsOf.get(truth)!.add(id);
  }

  /** Attributes each reported face by the detection with its box (observe() reports a detection's box as it is). */
  recordFrame(t: number, faces: readonly TrackedFace[], dets: readonly SimDetection[], allowNew?: (face: number, t: number) => boolean): void {
    for (const f of faces) {
      const d = dets.find((x) => x.box.x === f.box.x && x.box.y === f.box.y && x.box.width === f.box.width);
      if (d) this.record(t, f.id, d.truth, allowNew);
    }
  }
}

/**
 * Each of `truth` (ground-truth faces) paired with the reported face that overlaps it most, one to
 * one, pairs of the highest IoU first, none below `minIoU`: out[i] is truth[i]'s face or undefined.
 * (The reported box that merely contains a face's centre may be the face in front of it.)
 */
export function matchByIoU<T extends { box: Box }>(truth: readonly { box: Box }[], reported: readonly T[], minIoU = 0.3): (T | undefined)[] {
  const pairs: [number, number, number][] = [];
  for (let i = 0; i < truth.length; i++)
    for (let j = 0; j < reported.length; j++) {
      const o = iou(truth[i].box, reported[j].box);
      if (o >= minIoU) pairs.push([o, i, j]);
    }
  pairs.sort((a, b) => b[0] - a[0]);
  const out: (T | undefined)[] = truth.map(() => undefined);
  const taken = new Set<number>();
  for (const [, i, j] of pairs) {
    if (out[i] !== undefined || taken.has(j)) continue;
    out[i] = reported[j];
    taken.add(j);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Metrics

export const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;
export const sd = (v: readonly number[]) => {
  const m = mean(v);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
};
/** The frame-to-frame sd: sd of the differences of consecutive values. */
export const jitter = (v: readonly number[]) => sd(v.slice(1).map((x, i) => x - v[i]));
export const mae = (v: readonly number[], label: number) => mean(v.map((x) => Math.abs(x - label)));

/** One age reading as the tracker's filter took it: frame, age, variance. */
export interface Reading {
  t: number;
  z: number;
  r: number;
}

/** The variance the tracker gives a detection (src/track/age-filter.ts with the default noise). */
export function readingOf(t: number, f: FaceObservation, frame: { width: number; height: number }): Reading {
  const pose = f.keypoints.length >= 3 ? poseOf(f.keypoints, { roll: 0, yaw: 0, pitch: 0 }) : null;
  const inside = intersection(f.box, { x: 0, y: 0, width: frame.width, height: frame.height }) / (f.box.width * f.box.height);
  return { t, z: f.age!, r: observationVariance(f.spread ?? 0, f.score, faceSize(f.box), pose, DEFAULT_AGE_NOISE, inside) };
}

/**
 * What a tracker that had been watching this face for a long time would report: the same filter run
 * over the readings backwards first (a warm-up on the same kind of frames), then forwards. Settling
 * is measured against this: it keeps the age changes the filter follows on purpose (the model reads
 * a dark, blurred face younger, say) out of the start-up transient.
 */
export function steadyReference(readings: readonly Reading[], q = DEFAULT_AGE_NOISE.processNoise): number[] {
  const s = newAgeState();
  for (let i = readings.length - 1; i >= 0; i--) updateAge(s, readings[i].z, readings[i].r, i + 1 < readings.length ? readings[i + 1].t - readings[i].t : 1, q);
  return readings.map((x, i) => {
    updateAge(s, x.z, x.r, i > 0 ? x.t - readings[i - 1].t : 1, q);
    return s.mean;
  });
}

/**
 * The index from which the tracked series `v` stays within a band of `reference` (steadyReference):
 * 1 year, or 2 sd of the mean of the first 10 raw frames, 2 sd(raw[0..10)) / sqrt(10), where that is
 * wider (nothing can know the age better than that after 10 frames; blurred or dark first frames
 * are noisier than the rest).
 */
export function settleFrame(v: readonly number[], reference: readonly number[], raw: readonly number[]): number {
  const band = Math.max(1, (2 * sd(raw.slice(0, 10))) / Math.sqrt(10));
  let t = v.length;
  while (t > 0 && Math.abs(v[t - 1] - reference[t - 1]) <= band) t--;
  return t;
}

export const quantile = (v: readonly number[], q: number) => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/** A 128 x 128 RGB face-like chip (skin ellipse, dark eyes and mouth, seeded colours and noise): pixels for the tests that need no data. */
export function syntheticChip(seed: number, side = 128): { file: string; age: number; image: { data: Uint8Array; width: number; height: number } } {
  const rng = new Rng(seed);
  const skin = [rng.uniform(120, 230), rng.uniform(80, 180), rng.uniform(60, 150)];
  const bg = [rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)];
  const data = new Uint8Array(side * side * 3);
  const dark = (x: number, y: number, cx: number, cy: number, rx: number, ry: number) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 < 1;
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      const u = x / side, v = y / side;
      let c = dark(u, v, 0.5, 0.52, 0.36, 0.46) ? skin : bg;
      if (dark(u, v, 0.296, 0.307, 0.06, 0.03) || dark(u, v, 0.69, 0.307, 0.06, 0.03) || dark(u, v, 0.493, 0.71, 0.12, 0.03)) c = [40, 20, 20];
      for (let k = 0; k < 3; k++) data[(y * side + x) * 3 + k] = Math.max(0, Math.min(255, c[k] + 10 * gauss(rng)));
    }
  return { file: `synthetic-${seed}`, age: 30, image: { data, width: side, height: side } };
}

/** A frame for the mock source: pixels and the frame number. */
export interface MockFrame {
  data: Uint8ClampedArray;
  width: number;
  height: number;
  t: number;
}

/**
 * A mock face source over a scene, counting its calls: detect (the simulated detector; with ages when
 * `ages`, as estimateAll), refine (the visible face that overlaps the seed most, re-detected), and
 * estimate (the person's model age with spread-scaled noise).
 */
export function mockSource(scene: Scene, people: Person[], seed: number, ages: boolean) {
  const rng = new Rng(seed);
  const calls = { detect: 0, refine: 0, estimate: 0, estimatesPerFrame: new Map<string, number>() };
  const truthOf = new Map<FaceObservation, number>();
  const detect = (f: MockFrame): FaceObservation[] => {
    calls.detect++;
    const dets = simulateDetections(scene, f.t, people, rng, { spurious: 0 });
    for (const d of dets) {
      if (!ages) delete d.age, delete d.spread;
      truthOf.set(d, d.truth);
    }
    return dets;
  };
  const refine = (f: MockFrame, seed: FaceObservation): FaceObservation | null => {
    calls.refine++;
    // the visible face whose box overlaps the seed most, re-detected with the detector's noise
    const dets = simulateDetections(scene, f.t, people, rng, { spurious: 0, miss: 0 });
    let best: SimDetection | null = null, bi = 0.3;
    for (const d of dets) if (iou(d.box, seed.box) > bi) (bi = iou(d.box, seed.box)), (best = d);
    if (best) {
      delete best.age, delete best.spread;
      truthOf.set(best, best.truth);
    }
    return best;
  };
  const estimate = (f: MockFrame, face: FaceObservation) => {
    calls.estimate++;
    // which person: the truth of the face handed over (a detection), else the nearest visible one
    let truth = truthOf.get(face);
    if (truth === undefined) {
      let bi = 0;
      for (const g of truthAt(scene, f.t)) if (g.visible && iou(g.box, face.box) > bi) (bi = iou(g.box, face.box)), (truth = g.face);
    }
    if (truth === undefined) return null;
    const key = `${f.t}:${truth}`;
    calls.estimatesPerFrame.set(key, (calls.estimatesPerFrame.get(key) ?? 0) + 1);
    const spread = 0.3 + 0.4 * rng.next();
    return { age: people[scene.faces[truth].subject].modelAge + 2 * spread * gauss(rng), spread };
  };
  return { detect, refine, estimate, calls, truthOf };
}

export type MockSource = ReturnType<typeof mockSource>;

