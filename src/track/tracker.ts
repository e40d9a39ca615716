/**
 * createTracker: faces followed across the frames of a video, each with an id and an age that
 * settles instead of jumping from frame to frame.
 *
 *   const tracker = createTracker({ detect: (f) => est.estimateAll(f) });
 *   for each frame: const faces = tracker.update(frame);  // [{ id, box, age, ageRaw, spread, frames, ... }]
 *
 * The tracker owns no model. It is given functions (a detector that returns faces, and optionally a
 * per-face age estimate and a re-detection near a known face) or, with `observe(faces)`, the faces
 * themselves. It owns the tracks and their ids (association.ts), each track's motion (motion.ts) and
 * tracked age (age-filter.ts), the leave timeout, and the per-frame work policy:
 *
 * - a near-duplicate frame (frame-diff.ts: no cell of the picture changed by `duplicateBelow` grey
 *   levels since the last processed frame) is skipped: nothing runs, the last frame's faces are
 *   reported again and their last age readings count once more (`repeat`); at most `maxSkip`
 *   frames in a row.
 * - with `scan` (the default with an estimator): a full detection on the first frame only; every
 *   later frame runs one part of the whole-frame search (a few detector windows, the estimator's
 *   scanFaces, cycling through the whole search over frames) for faces not followed yet, and what
 *   it finds is matched to lost tracks or starts new ones. The cost per frame stays level: no frame
 *   pays for a whole search (about 100 ms on 640 x 480) after the first.
 * - without `scan`: a full detection runs every `detectEvery` processed frames, and on the next frame whenever a
 *   face seen in the previous frame was lost (not re-found by refine, or missing from a detection).
 * - in between, each face seen in the previous frame is followed from its
 *   predicted box and keypoints (the last frame's keypoints, moved by the face's velocity): `refine`
 *   re-finds it near there when given (a single detector window instead of the whole picture), else
 *   the prediction is taken as it is.
 * - a face lost in the last RECOVER_FRAMES frames (hidden, or missed by a detection) is looked for
 *   with one `refine` at its predicted place, unless that place is outside the picture or behind a
 *   face seen in this frame (`recover`).
 * - where two tracks' predicted boxes overlap, a box far off a track's prediction may be the
 *   detector's one box astride two faces: the track coasts on its prediction instead (`doubtful`).
 * - each face's age is read at most once per frame: from the face when the detector (or refine)
 *   returned an age with it, else from `estimate(frame, face)`, once.
 * - with an estimator that mixes partner models: a followed face's refine mixes them every
 *   `ensembleEvery` frames; in between the main model alone is read, moved by the partners'
 *   offset on that face (docs/video.md, "Partners every third frame").
 *
 * Tracks, their buffers and the association workspace are reused: a frame allocates nothing but
 * the result it returns (and what the given functions allocate), so memory stays flat over any
 * number of frames (test/track/memory.test.ts).
 */
import { FaceInputError, OptionsError } from '../errors.ts';
import { checkNumberOption, checkOptionNames } from '../options.ts';
import { type AgeNoise, type AgeState, DEFAULT_AGE_NOISE, newAgeState, observationVariance, resetAge, updateAge } from './age-filter.ts';
import { Assigner, type AssociationParams, DEFAULT_ASSOCIATION, pairCost } from './associate.ts';
import { FrameDiff, isPixelFrame, type PixelFrame } from './frame-diff.ts';
import { type Box, faceSize, intersection, iou, type Point, type Pose, poseOf } from './geometry.ts';
import { MAX_KEYPOINTS, MAX_TRAVEL, type Motion, newMotion, observeMotion, predictBox, predictKeypoints, resetMotion } from './motion.ts';

/** One face in one frame, as a detector returns it (the estimator's estimateAll / detectFaces). */
export interface FaceObservation {
  /** top-left corner and size, pixels */
  box: Box;
  /** keypoints in pixels, MediaPipe's order (right eye, left eye, nose tip, mouth, right ear, left ear); may be fewer or none */
  keypoints: readonly Point[];
  /** detector score, 0..1 */
  score: number;
  /** the face's age in this frame, when the detector estimated it */
  age?: number;
  /** and its spread (the estimator's uncertainty, years) */
  spread?: number;
  /** each model's own age when an ensemble estimated it, the main model's first (Estimate.models) */
  models?: readonly number[];
}

/** An age estimate of one face in one frame. */
export interface AgeReading {
  age: number;
  spread: number;
  /** each model's own age when an ensemble estimated it, the main model's first (Estimate.models) */
  models?: readonly number[];
}

/** A face of the current frame, as the tracker reports it. */
export interface TrackedFace {
  /** stable while the face is followed; a face unseen for more than `timeout` frames comes back with a new id */
  id: number;
  box: Box;
  keypoints: Point[];
  score: number;
  /** the tracked age (years): the filter's running estimate; null until the face has an age reading */
  age: number | null;
  /** the tracked age's standard deviation (years) in the filter's model; null with `age` */
  spread: number | null;
  /** this frame's own age reading; null when the face was not estimated in this frame */
  ageRaw: number | null;
  /** this frame's own spread; null with ageRaw */
  spreadRaw: number | null;
  /** frames the face has been reported in */
  frames: number;
}

/** What the tracker uses of an Estimator (createEstimator()) when given one as the `estimator` option. */
export interface TrackingEstimator<F> {
  estimateAll(frame: F): readonly FaceObservation[];
  estimateFace(frame: F, face: FaceObservation): AgeReading;
  /**
   * called with `{ age: true, others }`: the face found with its age, when the estimator can (one
   * staging of the frame), else without; `others`: the predicted boxes of the other faces followed;
   * `ensemble: false` (only when `ensemble` lists partners): the main model's age alone
   */
  refineFace(frame: F, seed: FaceObservation & { score: number }, opts: { age: true; others: readonly Box[]; ensemble?: false }): FaceObservation | null;
  /** windows `from` .. `from + count - 1` of the whole-frame search, faces at `known` boxes skipped; `windows`: how many there are */
  scanFaces?(frame: F, opts: { from: number; count: number; known: readonly Box[] }): { faces: readonly FaceObservation[]; windows: number };
  /** the partner models its ages mix (Estimator.ensemble); with any, followed faces read them every `ensembleEvery` frames */
  readonly ensemble?: readonly unknown[];
}

export interface TrackerOptions<F = PixelFrame> {
  /**
   * an estimator to detect, follow and estimate with: `detect` defaults to its estimateAll, `refine`
   * to its refineFace (one detector run near the predicted face) and `estimate` to its estimateFace
   */
  estimator?: TrackingEstimator<F>;
  /** the faces of a frame (with `age` and `spread` when it estimates them, as estimateAll does); needed by update() */
  detect?: (frame: F) => readonly FaceObservation[];
  /** the age of one face of a frame (given its box and keypoints), for faces that came without one */
  estimate?: (frame: F, face: FaceObservation) => AgeReading | null | undefined;
  /**
   * the face near `seed` (the predicted box and keypoints of a followed face) in this frame, or null
   * when it is gone; `others`: the predicted boxes of the other faces the tracker follows (a refine
   * may look more closely where another face is near), in an array the tracker reuses: read it
   * during the call, do not keep it
   */
  refine?: (frame: F, seed: FaceObservation, others: readonly Box[]) => FaceObservation | null | undefined;
  /**
   * part of a whole-frame search for faces not followed yet, run on each frame without a full
   * detection: the faces it finds, except those at the `known` boxes (the faces followed in this
   * frame). Default with an estimator: its scanFaces over `scanWindows` windows a frame, moving on
   * through the search from frame to frame.
   */
  scan?: (frame: F, known: readonly Box[]) => readonly FaceObservation[];
  /** detector windows the estimator's scanFaces runs a frame (default 3; 0: no scan, full detections every `detectEvery` frames) */
  scanWindows?: number;
  /** a full detection every this many processed frames (1: every frame); default: only the first with scan, else 5 with refine or estimate, else 1 */
  detectEvery?: number;
  /** frames a face may go unseen and keep its id (default 30) */
  timeout?: number;
  /** detections scored below this are ignored (default 0) */
  minScore?: number;
  /** a frame whose picture changed by less than this many grey levels in every cell is skipped (default 0.25; 0: never skip) */
  duplicateBelow?: number;
  /** at most this many frames are skipped in a row (default 10) */
  maxSkip?: number;
  /** the age filter's process noise, years^2 per frame: larger follows changes faster, smooths less (default 0.03) */
  processNoise?: number;
  /** the per-frame age noise at spread 0, years (default 0.5) */
  ageNoise?: number;
  /** per-frame age noise per year of spread (default 0.5) */
  spreadNoise?: number;
  /** smallest IoU of a detection with a track's predicted box that can match (default 0.2) */
  minIoU?: number;
  /** how far, in face sizes, a face coming back may be from where it was last seen or predicted (default 1) */
  reentryDistance?: number;
  /**
   * With an `estimator` that mixes partner models into its ages (the built-in one does) and its own
   * refineFace: a followed face's refine runs the partners on every this-many-th frame only, and the
   * main model alone in between, its age moved by the partners' offset on that face (the mixed age
   * minus the main model's, a running mean over the face's last ENSEMBLE_OFFSET_WINDOW mixed
   * readings). 1: every frame mixes (default ENSEMBLE_EVERY).
   */
  ensembleEvery?: number;
}

const TRACKER_OPTIONS = [
  'estimator',
  'detect',
  'estimate',
  'refine',
  'scan',
  'scanWindows',
  'detectEvery',
  'timeout',
  'minScore',
  'duplicateBelow',
  'maxSkip',
  'processNoise',
  'ageNoise',
  'spreadNoise',
  'minIoU',
  'reentryDistance',
  'ensembleEvery',
] as const satisfies readonly (keyof TrackerOptions)[];

/** What the tracker did, counted since it was created. */
export interface TrackerStats {
  /** update() and observe() calls */
  frames: number;
  /** frames skipped as near-duplicates */
  skipped: number;
  /** detect() calls */
  detections: number;
  /** refine() calls */
  refines: number;
  /** scan() calls */
  scans: number;
  /** estimate() calls */
  estimates: number;
  /** tracks created (ids handed out) */
  tracks: number;
}

export interface Tracker<F = PixelFrame> {
  /** Processes one video frame (needs the detect option); returns the faces seen in it, largest first. */
  update(frame: F): TrackedFace[];
  /**
   * The tracker on its own: one frame's faces (with their ages), as a detector returned them. With
   * the picture's size, a face cut by its edge counts less (its crop is partly grey).
   */
  observe(faces: readonly FaceObservation[], size?: { width: number; height: number }): TrackedFace[];
  /** Every live track, also those unseen for up to `timeout` frames (their last box). */
  tracks(): TrackedFace[];
  /** Forgets every track (ids keep counting up). */
  reset(): void;
  readonly stats: Readonly<TrackerStats>;
}

interface Track {
  id: number;
  motion: Motion;
  age: AgeState;
  /** frame (the age filter's clock, skipped frames included) of the last age reading */
  ageFrame: number;
  /** processed frame when last seen */
  seenFrame: number;
  /** processed frame of the last refine from its prediction */
  refined: number;
  /** frames in a row reported at the prediction (coast), and the last such frame */
  coasted: number;
  coastFrame: number;
  frames: number;
  score: number;
  /** current box and keypoints (observed, or predicted on a frame that followed without refine) */
  box: Box;
  keypoints: Point[];
  nk: number;
  last: Box;
  /** this frame's prediction; association reads these through TrackView */
  predicted: Box;
  predictedKeypoints: Point[];
  missed: number;
  ageRaw: number;
  spreadRaw: number;
  /** the variance the filter gave that reading */
  ageVar: number;
  /** the partners' offset on this face (mixed age - main model's age; ensembleEvery), over offsetCount mixed readings */
  offset: number;
  /** the spread of those mixed readings, averaged the same way: the spread a main-model reading moved by the offset is given */
  mixedSpread: number;
  offsetCount: number;
  /** processed frame of the last mixed reading */
  mixedFrame: number;
  /** the object handed to refine and estimate on a following frame: the prediction */
  seed: { box: Box; keypoints: Point[]; score: number };
  /** a followed face's new observation, held until conflicts between tracks are settled */
  next: FaceObservation & { box: Box; keypoints: Point[]; found: boolean; fit: number; lostTo: Track | null; mainOnly: boolean };
}

const newBox = (): Box => ({ x: 0, y: 0, width: 0, height: 0 });
const copyBox = (d: Box, s: Box) => {
  d.x = s.x;
  d.y = s.y;
  d.width = s.width;
  d.height = s.height;
};
const points = (n: number): Point[] => Array.from({ length: n }, () => ({ x: 0, y: 0 }));
/** Copies the first n points of src into dst, resizing dst to n (its point objects are reused). */
function setPoints(dst: Point[], src: readonly Point[], n: number): void {
  while (dst.length < n) dst.push({ x: 0, y: 0 });
  dst.length = n;
  for (let i = 0; i < n; i++) {
    dst[i].x = src[i].x;
    dst[i].y = src[i].y;
  }
}

function newTrack(): Track {
  return {
    id: 0,
    motion: newMotion(),
    age: newAgeState(),
    ageFrame: 0,
    seenFrame: 0,
    refined: 0,
    coasted: 0,
    coastFrame: 0,
    frames: 0,
    score: 0,
    box: newBox(),
    keypoints: points(MAX_KEYPOINTS),
    nk: 0,
    last: newBox(),
    predicted: newBox(),
    predictedKeypoints: points(MAX_KEYPOINTS),
    missed: 0,
    ageRaw: NaN,
    spreadRaw: NaN,
    ageVar: NaN,
    offset: NaN,
    mixedSpread: NaN,
    offsetCount: 0,
    mixedFrame: 0,
    seed: { box: newBox(), keypoints: [], score: 0 },
    next: { box: newBox(), keypoints: [], score: 0, age: undefined, spread: undefined, models: undefined, found: false, fit: 0, lostTo: null, mainOnly: false },
  };
}

/**
 * Default `duplicateBelow`, grey levels (frame-diff.ts). An exact repeat measures 0 and sensor noise
 * of sd 2 about 2; a face blurring or sharpening slowly measures 0.06-0.4 a frame, and over such
 * frames the default model's age moved by about 3 years per grey level of the measure (blur
 * sequences, seeds 201-203, 2026-12-05): 0.25 keeps what a skipped frame would have read within
 * about a year of the reading it repeats (1 skipped 52 of 60 frames of a blurring face).
 */
export const DUPLICATE_BELOW = 0.25;
/**
 * Frames a lost face is looked for at its predicted place (recover), and crowds the faces near it
 * (doubtful), at most: as long as its prediction travels (motion.ts).
 */
export const RECOVER_FRAMES = MAX_TRAVEL;
/** A lost face is looked for where at least this part of its predicted box is in the picture, */
export const RECOVER_INSIDE = 0.6;
/** and no face seen in this frame covers more than this part of it. */
export const RECOVER_COVERED = 0.5;
/** A track is crowded when another, seen in this many frames at least (not a stray box), */
export const CROWD_MIN_FRAMES = 3;
/** has a predicted box that covers more than this part of the smaller of the two, */
export const CROWD_OVERLAP = 0.25;
/** and then a box that differs from its prediction by more than this in log size, */
export const DOUBT_SIZE = 0.07;
/** or by more than this many face sizes in its centre, is doubtful: the track coasts instead, */
export const DOUBT_SHIFT = 0.1;
/** for at most this many frames in a row. */
export const COAST_FRAMES = 8;
/**
 * Default `scanWindows`: detector windows of the whole-frame search per frame, about 2 ms each on
 * this project's machine; 640 x 480 has 42 (minFaceSize 32), so the search comes round every 14 frames.
 */
export const SCAN_WINDOWS = 3;
/** Two boxes of one frame that overlap by more IoU than this are one face. */
export const SAME_FACE_IOU = 0.5;
/**
 * Default `ensembleEvery`: a followed face mixes the estimator's partner models into its age on
 * every third frame; measured with `npx tsx bench/track.ts --only e2e --ensemble-every N` (docs/video.md).
 */
export const ENSEMBLE_EVERY = 3;
/** The partners' offset on a face is the mean of its first mixed readings' offsets, then a running mean over this many. */
export const ENSEMBLE_OFFSET_WINDOW = 4;
/**
 * A main-model reading moved by the offset varies more from frame to frame than a mixed one (one
 * model's noise, not three averaged): its variance in the age filter is this many times a mixed
 * reading's with the same spread.
 */
export const MAIN_ONLY_VARIANCE = 2;

/** `refine` as the tracker calls it: `mainOnly` (only for the estimator's own refineFace) asks for the main model's age alone. */
type RefineFn<F> = (frame: F, seed: FaceObservation, others: readonly Box[], mainOnly?: boolean) => FaceObservation | null | undefined;
const lastSeenFirst = (a: Track, b: Track) => b.seenFrame - a.seenFrame;

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The size of a frame, where it says: { width, height } (pixels, ImageData, canvases, ImageBitmap),
 * videoWidth / videoHeight (a <video>), displayWidth / displayHeight (a VideoFrame); else null.
 */
function sizeOf(frame: unknown): { width: number; height: number } | null {
  if (!frame || typeof frame !== 'object') return null;
  const f = frame as Record<string, unknown>;
  for (const [w, h] of [['videoWidth', 'videoHeight'], ['displayWidth', 'displayHeight'], ['width', 'height']] as const) {
    const W = f[w], H = f[h];
    if (finite(W) && finite(H) && W > 0 && H > 0) return { width: W, height: H };
  }
  return null;
}

/** A FaceInputError about `source[index]` (index -1: `source` alone). */
function faceError(source: string, index: number, what: string): FaceInputError {
  return new FaceInputError(`${index < 0 ? source : `${source}[${index}]`}${what}`);
}

/**
 * Throws FaceInputError unless `f` is a usable face; `source` and `index` (-1: none) name it in the
 * message, which is built only on failure (a frame's checks allocate nothing).
 */
function checkFace(f: unknown, source: string, index: number): asserts f is FaceObservation {
  if (!f || typeof f !== 'object') throw faceError(source, index, ` must be an object { box, keypoints, score }, got ${f === null ? 'null' : typeof f}`);
  const { box, keypoints, score, age, spread } = f as FaceObservation;
  if (!box || !finite(box.x) || !finite(box.y) || !finite(box.width) || !finite(box.height) || !(box.width > 0 && box.height > 0))
    throw faceError(source, index, '.box must be { x, y, width, height } with finite numbers and a positive size');
  if (!Array.isArray(keypoints)) throw faceError(source, index, '.keypoints must be an array of { x, y } (may be empty)');
  for (let i = 0; i < keypoints.length; i++)
    if (!keypoints[i] || !finite(keypoints[i].x) || !finite(keypoints[i].y)) throw faceError(source, index, `.keypoints[${i}] must be { x, y } with finite numbers`);
  if (!finite(score)) throw faceError(source, index, '.score must be a finite number');
  const { models } = f as FaceObservation;
  if (models !== undefined) {
    if (!Array.isArray(models)) throw faceError(source, index, '.models must be an array of finite numbers when present');
    for (let i = 0; i < models.length; i++) if (!finite(models[i])) throw faceError(source, index, `.models[${i}] must be a finite number`);
  }
  if (age !== undefined && !finite(age)) throw faceError(source, index, '.age must be a finite number when present');
  if (spread !== undefined && !(finite(spread) && spread >= 0)) throw faceError(source, index, '.spread must be a finite number >= 0 when present');
}

function checkFunction(v: unknown, name: string): void {
  if (v !== undefined && typeof v !== 'function') throw new OptionsError(`${name} must be a function, got ${v === null ? 'null' : typeof v}`);
}

/** A face tracker (see the top of this file). Options are checked here: an OptionsError names any bad one. */
export function createTracker<F = PixelFrame>(options: TrackerOptions<F> = {}): Tracker<F> {
  if (options === null || typeof options !== 'object') throw new OptionsError('createTracker options must be an object');
  checkOptionNames(options, TRACKER_OPTIONS, 'createTracker options');
  const o = { ...options };
  const est = o.estimator;
  if (est !== undefined) {
    if (!est || typeof est !== 'object' || typeof est.estimateAll !== 'function' || typeof est.estimateFace !== 'function' || typeof est.refineFace !== 'function')
      throw new OptionsError('estimator must be an Estimator (createEstimator()), with estimateAll, estimateFace and refineFace');
    o.detect ??= (f) => est.estimateAll(f);
    const refine: RefineFn<F> = (f, seed, others, mainOnly) => est.refineFace(f, { ...seed, score: seed.score ?? 1 }, mainOnly ? { age: true, others, ensemble: false } : { age: true, others });
    o.refine ??= refine;
    o.estimate ??= (f, face) => est.estimateFace(f, face);
  }
  checkFunction(o.detect, 'detect');
  checkFunction(o.estimate, 'estimate');
  checkFunction(o.refine, 'refine');
  checkFunction(o.scan, 'scan');
  const num = (v: unknown, name: string, dflt: number, min: number, max: number, integer = false) => (v === undefined ? dflt : checkNumberOption(v, name, min, max, integer));
  const scanWindows = num(o.scanWindows, 'scanWindows', SCAN_WINDOWS, 0, 1000, true);
  if (o.scan === undefined && est && typeof est.scanFaces === 'function' && scanWindows > 0) {
    // the cursor moves on by scanWindows a frame; taken modulo the window count, which follows the frame size.
    // reset() leaves it where it is: a full detection follows a reset, so where the scan resumes does not matter.
    let from = 0;
    o.scan = (f, known) => {
      const r = est.scanFaces!(f, { from, count: scanWindows, known });
      from = (from + scanWindows) % r.windows;
      return r.faces;
    };
  }
  const detectEvery = o.detectEvery === undefined && o.scan ? Infinity : num(o.detectEvery, 'detectEvery', o.refine || o.estimate ? 5 : 1, 1, 1000, true);
  const timeout = num(o.timeout, 'timeout', 30, 0, 1e6, true);
  const minScore = num(o.minScore, 'minScore', 0, 0, 1);
  const duplicateBelow = num(o.duplicateBelow, 'duplicateBelow', DUPLICATE_BELOW, 0, 255);
  const maxSkip = num(o.maxSkip, 'maxSkip', 10, 0, 1e6, true);
  const noise: AgeNoise = {
    processNoise: num(o.processNoise, 'processNoise', DEFAULT_AGE_NOISE.processNoise, 0, 1e4),
    base: num(o.ageNoise, 'ageNoise', DEFAULT_AGE_NOISE.base, 0.01, 100),
    perSpread: num(o.spreadNoise, 'spreadNoise', DEFAULT_AGE_NOISE.perSpread, 0, 100),
  };
  const every = num(o.ensembleEvery, 'ensembleEvery', ENSEMBLE_EVERY, 1, 1000, true);
  // only the estimator's own refineFace is asked for the main model alone (a given refine mixes as it does)
  const ensembleEvery = est && options.refine === undefined && Array.isArray(est.ensemble) && est.ensemble.length > 0 ? every : 1;
  const assoc: AssociationParams = {
    ...DEFAULT_ASSOCIATION,
    minIoU: num(o.minIoU, 'minIoU', DEFAULT_ASSOCIATION.minIoU, 0.01, 1),
    reentryDistance: num(o.reentryDistance, 'reentryDistance', DEFAULT_ASSOCIATION.reentryDistance, 0, 100),
  };
  return new TrackerImpl<F>(o.detect, o.estimate, o.refine, o.scan, detectEvery, timeout, minScore, duplicateBelow, maxSkip, noise, assoc, ensembleEvery);
}

class TrackerImpl<F> implements Tracker<F> {
  readonly stats: TrackerStats = { frames: 0, skipped: 0, detections: 0, refines: 0, scans: 0, estimates: 0, tracks: 0 };
  private live: Track[] = [];
  private pool: Track[] = [];
  private nextId = 1;
  /** processed frames (skipped duplicates do not count): the tracker's clock */
  private frame = 0;
  /** every frame, skipped ones too: the age filter's clock (its process noise is per frame of the video) */
  private time = 0;
  private lastDetect = -Infinity;
  private forceDetect = false;
  private skipRun = 0;
  private result: TrackedFace[] = [];
  private readonly diff = new FrameDiff();
  private readonly assigner = new Assigner();
  private matchedCols = new Uint8Array(8);
  private kept = new Int32Array(8);
  private readonly pose: Pose = { roll: 0, yaw: 0, pitch: 0 };
  private readonly active: Track[] = [];
  private readonly others: Box[] = [];
  private readonly lost: Track[] = [];
  /** scanFor's workspace: the boxes of faces seen in this frame, and the tracks not seen */
  private readonly known: Box[] = [];
  private readonly unseen: Track[] = [];
  /** the picture as a box (recover) */
  private readonly picture: Box = newBox();
  /** the picture's size (0 when unknown) */
  private width = 0;
  private height = 0;

  constructor(
    private readonly detect: TrackerOptions<F>['detect'],
    private readonly estimateFn: TrackerOptions<F>['estimate'],
    private readonly refine: RefineFn<F> | undefined,
    private readonly scan: TrackerOptions<F>['scan'],
    private readonly detectEvery: number,
    private readonly timeout: number,
    private readonly minScore: number,
    private readonly duplicateBelow: number,
    private readonly maxSkip: number,
    private readonly noise: AgeNoise,
    private readonly assoc: AssociationParams,
    /** a followed face's partners run every this many frames (1: always; see TrackerOptions.ensembleEvery) */
    private readonly ensembleEvery: number,
  ) {}

  update(frame: F): TrackedFace[] {
    if (!this.detect) throw new OptionsError('update(frame) needs the detect option (a function that returns the faces of a frame); observe(faces) takes faces you detected yourself');
    this.stats.frames++;
    this.time++;
    if (this.duplicateBelow > 0 && isPixelFrame(frame)) {
      const d = this.diff.measure(frame);
      if (d < this.duplicateBelow && this.skipRun < this.maxSkip) {
        this.skipRun++;
        this.stats.skipped++;
        return (this.result = this.repeat());
      }
      this.diff.accept();
    }
    this.skipRun = 0;
    this.setSize(sizeOf(frame));
    this.frame++;
    this.predictAll();
    const due = this.frame - this.lastDetect >= this.detectEvery;
    if (due || this.forceDetect) {
      this.forceDetect = false;
      this.lastDetect = this.frame;
      this.stats.detections++;
      const faces = this.detect(frame);
      if (!Array.isArray(faces)) throw new FaceInputError(`detect must return an array of faces, got ${faces === null ? 'null' : typeof faces}`);
      this.associate(faces, 'detect()', frame, true, this.live);
      this.recover(frame);
    } else {
      this.follow(frame);
      this.recover(frame);
      if (this.scan) this.scanFor(frame);
    }
    // a face seen in the last frame and lost in this one (not re-found by refine, missing from a
    // detection, not recovered): look at the whole picture next frame (with scan, recover and the
    // scan look for it instead: no frame pays for a whole search)
    if (!this.scan) for (const t of this.live) if (t.seenFrame === this.frame - 1) this.forceDetect = true;
    this.expire();
    return (this.result = this.report(true));
  }

  observe(faces: readonly FaceObservation[], size?: { width: number; height: number }): TrackedFace[] {
    if (!Array.isArray(faces)) throw new FaceInputError(`observe takes an array of faces, got ${faces === null ? 'null' : typeof faces}`);
    this.checkSize(size);
    this.setSize(size);
    this.stats.frames++;
    this.time++;
    this.frame++;
    this.predictAll();
    this.associate(faces, 'observe() face', undefined, false, this.live);
    this.expire();
    return (this.result = this.report(true));
  }

  tracks(): TrackedFace[] {
    return this.report(false);
  }

  reset(): void {
    for (const t of this.live) this.pool.push(t);
    this.live.length = 0;
    this.result = [];
    this.diff.reset();
    this.forceDetect = false;
    this.lastDetect = -Infinity;
  }

  private setSize(size: { width: number; height: number } | null | undefined): void {
    const ok = !!size && finite(size.width) && finite(size.height) && size.width > 0 && size.height > 0;
    this.width = ok ? size!.width : 0;
    this.height = ok ? size!.height : 0;
  }

  private checkSize(size: unknown): void {
    if (size === undefined) return;
    const s = size as { width?: unknown; height?: unknown } | null;
    if (!s || typeof s !== 'object' || !finite(s.width) || !finite(s.height) || !(s.width > 0 && s.height > 0))
      throw new OptionsError('observe(faces, size): size must be { width, height } with positive numbers (the picture the faces are in)');
  }

  private predictAll(): void {
    for (const t of this.live) {
      t.missed = this.frame - 1 - t.seenFrame;
      predictBox(t.motion, this.frame, t.predicted);
      predictKeypoints(t.motion, this.frame, t.predictedKeypoints);
      t.nk = t.motion.nk;
    }
  }

  /** A frame's detections against the tracks `tracks` (the rest start new ones); `frame` given: estimate the faces that came without an age. */
  private associate(faces: readonly FaceObservation[], where: string, frame: F | undefined, withFrame: boolean, tracks: readonly Track[]): void {
    // validate everything first: a bad face changes nothing
    let n = 0;
    if (this.kept.length < faces.length) this.kept = new Int32Array(Math.max(faces.length, 2 * this.kept.length));
    for (let j = 0; j < faces.length; j++) {
      checkFace(faces[j], where, j);
      if (faces[j].score >= this.minScore) this.kept[n++] = j;
    }
    const rows = tracks.length;
    const cost = this.assigner.matrix(rows, n);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < n; c++) {
        const f = faces[this.kept[c]];
        const ageVar = f.age === undefined ? NaN : observationVariance(f.spread ?? 0, 1, Infinity, null, this.noise);
        cost[r * n + c] = pairCost(tracks[r], f, ageVar, this.assoc);
      }
    const match = this.assigner.solve(rows, n);
    if (this.matchedCols.length < n) this.matchedCols = new Uint8Array(Math.max(n, 2 * this.matchedCols.length));
    this.matchedCols.fill(0, 0, n);
    for (let r = 0; r < rows; r++) {
      const c = match[r];
      if (c < 0) continue;
      this.matchedCols[c] = 1;
      // a doubtful box is used by no track (a new one would follow two faces at once)
      const t = tracks[r], f = faces[this.kept[c]];
      if (!this.doubtful(t, f.box)) this.seen(t, f, frame, withFrame);
      else if (t.missed === 0) this.coast(t);
    }
    for (let c = 0; c < n; c++) {
      if (this.matchedCols[c]) continue;
      const t = this.pool.pop() ?? newTrack();
      t.id = this.nextId++;
      this.stats.tracks++;
      resetMotion(t.motion);
      resetAge(t.age);
      t.frames = 0;
      t.refined = 0;
      t.coasted = 0;
      t.ageFrame = this.time;
      t.offset = NaN;
      t.mixedSpread = NaN;
      t.offsetCount = 0;
      t.mixedFrame = 0;
      this.live.push(t);
      this.seen(t, faces[this.kept[c]], frame, withFrame);
    }
  }

  /**
   * Track `t` is `f` in this frame: motion, box, and the age (from f, or estimated once).
   * `mainOnly`: f's age is the main model's alone (runsMainOnly), read as a mixed one: moved by the
   * partners' offset on this face, with the mixed readings' spread (the main model's own is smaller:
   * it would count more) and MAIN_ONLY_VARIANCE.
   */
  private seen(t: Track, f: FaceObservation, frame: F | undefined, withFrame: boolean, mainOnly = false): void {
    observeMotion(t.motion, f.box, f.keypoints, this.frame);
    copyBox(t.box, f.box);
    copyBox(t.last, f.box);
    t.nk = Math.min(MAX_KEYPOINTS, f.keypoints.length);
    for (let i = 0; i < t.nk; i++) {
      t.keypoints[i].x = f.keypoints[i].x;
      t.keypoints[i].y = f.keypoints[i].y;
    }
    t.score = f.score;
    t.seenFrame = this.frame;
    t.missed = 0;
    t.coasted = 0;
    t.frames++;
    const moved = mainOnly && f.age !== undefined;
    let age = moved ? f.age! + t.offset : f.age, spread = moved ? t.mixedSpread : f.spread ?? 0, models = moved ? undefined : f.models;
    if (age === undefined && withFrame && this.estimateFn) {
      this.stats.estimates++;
      const r = this.estimateFn(frame as F, f);
      if (r) {
        if (!finite(r.age) || !(finite(r.spread) && r.spread >= 0)) throw new FaceInputError('estimate must return { age, spread } with finite numbers (spread >= 0), or null');
        age = r.age;
        spread = r.spread;
        models = r.models;
      }
    }
    if (age !== undefined && models && models.length > 1 && finite(models[0])) this.mixed(t, age - models[0], spread);
    this.read(t, age, spread, moved);
  }

  /** A mixed reading of `t` whose age is `offset` from the main model's: the partners' offset on this face, and its spread (ensembleEvery). */
  private mixed(t: Track, offset: number, spread: number): void {
    t.offsetCount++;
    const w = 1 / Math.min(t.offsetCount, ENSEMBLE_OFFSET_WINDOW);
    t.offset = t.offsetCount === 1 ? offset : t.offset + w * (offset - t.offset);
    t.mixedSpread = t.offsetCount === 1 ? spread : t.mixedSpread + w * (spread - t.mixedSpread);
    t.mixedFrame = this.frame;
  }

  /** Whether this frame's refine of `t` runs the main model alone: its partners' offset is known and was read within ensembleEvery frames. */
  private runsMainOnly(t: Track): boolean {
    return this.ensembleEvery > 1 && t.offsetCount > 0 && this.frame - t.mixedFrame < this.ensembleEvery;
  }

  /** One age reading for `t` (or none: age undefined); `mainOnly`: the main model's, moved by the offset. */
  private read(t: Track, age: number | undefined, spread: number, mainOnly = false): void {
    if (age === undefined) {
      t.ageRaw = NaN;
      t.spreadRaw = NaN;
      return;
    }
    const pose = t.nk >= 3 ? poseOf(t.keypoints, this.pose) : null;
    const b = t.box;
    const inside = this.width > 0 ? intersection(b, { x: 0, y: 0, width: this.width, height: this.height }) / (b.width * b.height) : 1;
    const r = observationVariance(spread, t.score, faceSize(b), pose, this.noise, inside) * (mainOnly ? MAIN_ONLY_VARIANCE : 1);
    updateAge(t.age, age, r, this.time - t.ageFrame, this.noise.processNoise);
    t.ageFrame = this.time;
    t.ageRaw = age;
    t.spreadRaw = spread;
    t.ageVar = r;
  }

  /** The predicted boxes of the live tracks other than `t` (refine's `others`), in one reused array. */
  private othersOf(t: Track): readonly Box[] {
    const out = this.others;
    out.length = 0;
    for (const u of this.live) if (u !== t) out.push(u.predicted);
    return out;
  }

  /** A frame without a full detection: each face seen in the previous frame is followed from its prediction. */
  private follow(frame: F): void {
    const active = this.active;
    active.length = 0;
    for (const t of this.live) if (t.seenFrame === this.frame - 1) active.push(t);
    for (const t of active) {
      const seed = t.seed, nx = t.next;
      copyBox(seed.box, t.predicted);
      setPoints(seed.keypoints, t.predictedKeypoints, t.nk);
      seed.score = t.score;
      nx.found = false;
      nx.lostTo = null;
      nx.age = undefined;
      nx.spread = undefined;
      nx.models = undefined;
      nx.mainOnly = false;
      if (this.refine) {
        this.stats.refines++;
        t.refined = this.frame;
        const mainOnly = this.runsMainOnly(t);
        const f = this.refine(frame, seed, this.othersOf(t), mainOnly);
        if (f) {
          checkFace(f, 'refine()', -1);
          if (f.score >= this.minScore) {
            nx.found = true;
            copyBox(nx.box, f.box);
            setPoints(nx.keypoints, f.keypoints, Math.min(MAX_KEYPOINTS, f.keypoints.length));
            nx.score = f.score;
            nx.age = f.age;
            nx.spread = f.spread;
            nx.models = f.models;
            nx.mainOnly = mainOnly;
            nx.fit = iou(t.predicted, f.box);
          }
        }
      } else {
        // no re-detection: the face is taken where it is predicted to be
        nx.found = true;
        copyBox(nx.box, t.predicted);
        setPoints(nx.keypoints, t.predictedKeypoints, t.nk);
        nx.score = t.score;
        nx.fit = 1;
      }
    }
    // two followed faces that landed on the same face (one hid the other): the better fit keeps it
    for (let a = 0; a < active.length; a++)
      for (let b = a + 1; b < active.length; b++) {
        const na = active[a].next, nb = active[b].next;
        if (!na.found || !nb.found || iou(na.box, nb.box) < SAME_FACE_IOU) continue;
        const [keep, lose] = na.fit >= nb.fit ? [active[a], active[b]] : [active[b], active[a]];
        lose.next.found = false;
        lose.next.lostTo = keep;
      }
    for (const t of active) {
      if (!t.next.found) continue;
      if (this.doubtful(t, t.next.box)) this.coast(t);
      else this.seen(t, t.next, frame, true, t.next.mainOnly);
    }
    // a face that lost a box to a track that found it doubtful (one box astride both): both coast
    for (const t of active) if (t.next.lostTo?.coastFrame === this.frame) this.coast(t);
    active.length = 0;
  }

  /**
   * Whether `box`, found for track `t`, may be two faces in one: `t` has a
   * neighbour (another track seen in CROWD_MIN_FRAMES frames or more, and within the last
   * RECOVER_FRAMES) whose predicted box overlaps its own by
   * more than CROWD_OVERLAP of the smaller one, and `box` is off the prediction by more than
   * DOUBT_SIZE in log size or DOUBT_SHIFT face sizes (times 1 + the frames `t` went unseen). Where two faces overlap that much the
   * detector sees one face between them (its anchors agree on a box astride both: measured on the
   * crossing sequences), and a track that took that box would slide onto the other face.
   */
  private doubtful(t: Track, box: Box): boolean {
    const p = t.predicted, s = Math.max(1, faceSize(p));
    let crowded = false;
    for (const u of this.live) {
      if (u === t || u.frames < CROWD_MIN_FRAMES || this.frame - u.seenFrame > RECOVER_FRAMES) continue;
      const q = u.predicted;
      if (intersection(p, q) > CROWD_OVERLAP * Math.min(p.width * p.height, q.width * q.height)) {
        crowded = true;
        break;
      }
    }
    if (!crowded) return false;
    // a prediction across unseen frames is less sure: the tolerance grows with them
    const k = 1 + t.missed;
    const shift = Math.hypot(box.x + box.width / 2 - (p.x + p.width / 2), box.y + box.height / 2 - (p.y + p.height / 2)) / s;
    return Math.abs(Math.log(faceSize(box) / s)) > k * DOUBT_SIZE || shift > k * DOUBT_SHIFT;
  }

  /**
   * Track `t` is reported at its prediction this frame (a doubtful observation, see `doubtful`):
   * no motion update, no age reading. At most COAST_FRAMES frames in a row; then it is lost (to be
   * found again by `recover` or a detection).
   */
  private coast(t: Track): void {
    if (t.coasted >= COAST_FRAMES) return;
    t.coasted++;
    t.coastFrame = this.frame;
    copyBox(t.box, t.predicted);
    for (let i = 0; i < t.nk; i++) {
      t.keypoints[i].x = t.predictedKeypoints[i].x;
      t.keypoints[i].y = t.predictedKeypoints[i].y;
    }
    t.seenFrame = this.frame;
    t.missed = 0;
    t.frames++;
    t.ageRaw = NaN;
    t.spreadRaw = NaN;
  }

  /**
   * Faces lost in the last RECOVER_FRAMES frames (hidden behind another face, missed by a
   * detection, which is less sure of a blurred face than one detector window where the face is
   * expected) are looked for once each with `refine` at their predicted place, the most recently
   * seen first. Not where that place is mostly outside the picture (the face left), nor where a
   * face seen in this frame covers most of it (the face is behind that one: the window would find
   * the face in front). What refine finds is taken when it fits the track (`pairCost`, as a
   * detection would), is not a face seen in this frame already (IoU over SAME_FACE_IOU) and fits
   * no track coasting in this frame better; a track seen in the last frame coasts on a doubtful one.
   */
  private recover(frame: F): void {
    if (!this.refine) return;
    const lost = this.lost;
    lost.length = 0;
    for (const t of this.live) if (t.seenFrame !== this.frame && t.refined !== this.frame && this.frame - t.seenFrame <= RECOVER_FRAMES) lost.push(t);
    lost.sort(lastSeenFirst);
    const picture = this.picture;
    picture.width = this.width;
    picture.height = this.height;
    for (const t of lost) {
      const p = t.predicted, area = p.width * p.height;
      if (this.width > 0 && intersection(p, picture) < RECOVER_INSIDE * area) continue;
      if (this.coveredBySeen(p) > RECOVER_COVERED * area) continue;
      const seed = t.seed;
      copyBox(seed.box, p);
      setPoints(seed.keypoints, t.predictedKeypoints, t.nk);
      seed.score = t.score;
      this.stats.refines++;
      t.refined = this.frame;
      const mainOnly = this.runsMainOnly(t);
      const f = this.refine(frame, seed, this.othersOf(t), mainOnly);
      if (!f) continue;
      checkFace(f, 'refine()', -1);
      if (f.score < this.minScore || this.overlapsSeen(f.box) > SAME_FACE_IOU) continue;
      const cost = pairCost(t, f, NaN, this.assoc);
      if (cost === Infinity || this.fitsCoasting(f, cost)) continue;
      if (!this.doubtful(t, f.box)) this.seen(t, f, frame, true, mainOnly);
      else if (t.missed === 0) this.coast(t);
    }
    lost.length = 0;
  }

  /**
   * One part of the whole-frame search (`scan`), for faces no track followed into this frame: the
   * boxes of the faces seen in it are `known` (the scan skips them); what it finds is matched to
   * the tracks not seen in this frame (a lost face found again keeps its id) or starts a new track.
   */
  private scanFor(frame: F): void {
    const known = this.known, unseen = this.unseen;
    known.length = 0;
    unseen.length = 0;
    for (const t of this.live) {
      if (t.seenFrame === this.frame) known.push(t.box);
      else unseen.push(t);
    }
    this.stats.scans++;
    const faces = this.scan!(frame, known);
    if (!Array.isArray(faces)) throw new FaceInputError(`scan must return an array of faces, got ${faces === null ? 'null' : typeof faces}`);
    this.associate(faces, 'scan()', frame, true, unseen);
    known.length = 0;
    unseen.length = 0;
  }

  /** The largest area of `b` that one face seen in this frame covers (not a prediction a track coasts on). */
  private coveredBySeen(b: Box): number {
    let c = 0;
    for (const t of this.live) if (t.seenFrame === this.frame && t.coastFrame !== this.frame) c = Math.max(c, intersection(b, t.box));
    return c;
  }

  /** Whether a track coasting in this frame fits `f` better than `cost` (the face is that track's, in front). */
  private fitsCoasting(f: FaceObservation, cost: number): boolean {
    for (const u of this.live) if (u.coastFrame === this.frame && pairCost(u, f, NaN, this.assoc) < cost) return true;
    return false;
  }

  /** The largest IoU of `b` with a face seen in this frame (not a prediction a track coasts on). */
  private overlapsSeen(b: Box): number {
    let o = 0;
    for (const t of this.live) if (t.seenFrame === this.frame && t.coastFrame !== this.frame) o = Math.max(o, iou(b, t.box));
    return o;
  }

  /**
   * A skipped frame (the same picture as the last processed one): the faces of that frame are
   * reported again, and each one's age reading of that frame counts once more in its filter, as
   * processing the same pixels again would have read it. Skipping saves the work, not the time: a
   * paused or repeated picture settles the age as a live one does, and the filter's window stays
   * a number of frames of the video, however many of them were repeats.
   */
  private repeat(): TrackedFace[] {
    for (const t of this.live)
      if (t.seenFrame === this.frame && t.ageFrame === this.time - 1 && t.ageRaw === t.ageRaw) {
        updateAge(t.age, t.ageRaw, t.ageVar, 1, this.noise.processNoise);
        t.ageFrame = this.time;
      }
    return this.report(true);
  }

  /** Tracks unseen for more than `timeout` frames are dropped (their objects reused). */
  private expire(): void {
    let w = 0;
    for (let i = 0; i < this.live.length; i++) {
      const t = this.live[i];
      if (this.frame - t.seenFrame > this.timeout) this.pool.push(t);
      else this.live[w++] = t;
    }
    this.live.length = w;
  }

  private report(seenOnly: boolean): TrackedFace[] {
    const out: TrackedFace[] = [];
    for (const t of this.live) {
      if (seenOnly && t.seenFrame !== this.frame) continue;
      const has = t.age.count > 0;
      const now = t.seenFrame === this.frame && t.ageFrame === this.time && t.ageRaw === t.ageRaw;
      out.push({
        id: t.id,
        box: { x: t.box.x, y: t.box.y, width: t.box.width, height: t.box.height },
        keypoints: t.keypoints.slice(0, t.nk).map((p) => ({ x: p.x, y: p.y })),
        score: t.score,
        age: has ? t.age.mean : null,
        spread: has ? Math.sqrt(t.age.variance) : null,
        ageRaw: now ? t.ageRaw : null,
        spreadRaw: now ? t.spreadRaw : null,
        frames: t.frames,
      });
    }
    return out.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
  }
}
