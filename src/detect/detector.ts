/**
 * The face detector: letterbox the staged image into the detector input (one f32_warp_affine_u8
 * call: scale to fit, centre, area prefilter for downscales, black border, values to [-1, 1]), run
 * the plan, decode, weighted NMS, project boxes and keypoints back to image pixels; then a second
 * look at each candidate in an upright window of its own (FaceDetector.detect).
 * It lives inside an estimator's arena and kernel instance (src/estimator.ts): its plan
 * (src/detect/plan.ts) is placed and bound to the kernels at load, like a DAA plan.
 */
import type { Arena } from '../arena.ts';
import { bind, Placement, type Program } from '../engine/plan.ts';
import type { Kernels } from '../kernels.ts';
import { planDetector, DETECTOR_WINDOW_PIXELS, type DetectorPlan } from './plan.ts';
import { anchorCentres, decodeFaces, iou, weightedNms, type RawFace } from './decode.ts';
import { inputMultiple } from './arch.ts';
import type { DetectorWeights } from './weights.ts';
import { affineScale, type Affine } from './align.ts';

/** Largest area-prefilter factor: sub-samples per axis and output pixel of a downscaling warp. */
export const MAX_PREFILTER = 8;

/**
 * Sub-samples per axis for a warp that reads `scale` source pixels per output pixel: each bilinear
 * sub-sample already averages over two source pixels per axis, so ceil(scale / 2) of them cover the
 * output pixel's footprint (measured: the same detection rate and age MAE as ceil(scale), at 2.5x
 * less time on 640 x 480 canvases; scripts/eval-detect.ts).
 */
export function prefilterFor(scale: number): number {
  return Math.max(1, Math.min(MAX_PREFILTER, Math.ceil(scale / 2 - 1e-6)));
}

export interface DetectOptions {
  /** smallest score (0..1) of a face kept; default 0.5 (MediaPipe's) */
  minScore?: number;
  /** IoU above which two detections are merged; default 0.3 (MediaPipe's) */
  iouThreshold?: number;
}

/**
 * How lookAt frames its window: the face box `fraction` of the window side (default
 * REFINE_BOX_FRACTION), `mirror`ed left-right, `side` input pixels square (default inputSize).
 */
export interface Look {
  fraction?: number;
  mirror?: boolean;
  side?: number;
}

/** A detector input of `width` x `height` pixels and its matrix `m` (input pixels -> image pixels). */
export interface SearchWindow {
  m: Affine;
  width: number;
  height: number;
}

/** A bound run of the detector on one input size, with its anchor centres in input pixels. */
interface SizedRun {
  program: Program;
  anchors: Float32Array;
  count: number;
}

export interface StagedImage {
  ptr: number;
  width: number;
  height: number;
  channels: number;
}

export class FaceDetector {
  readonly plan: DetectorPlan;
  /** where the plan's buffers are in the arena */
  readonly at: Placement;
  /** the detector network on the inputSize x inputSize input: one run over `input`, writing `scores` and `boxes` */
  readonly program: Program;
  /** byte offsets of the input (H x W x 3 f32) and of the raw outputs (N scores, N x coords regressors) */
  readonly input: number;
  readonly scores: number;
  readonly boxes: number;
  /** bound runs by input size ("HxW"), the square one first; bounded (SIZED_RUNS) */
  private readonly runs = new Map<string, SizedRun>();
  private readonly square: SizedRun;
  /** side (detector input pixels) of the video tracker's look window (refineFace): TRACK_LOOK_SIDE */
  trackLookSide = TRACK_LOOK_SIDE;

  /**
   * `maxPixels`: the largest input (H x W) of a pass-1 window (DETECTOR_WINDOW_PIXELS); the plan's
   * buffers are sized for it here, at load, and no window of detect() is larger.
   */
  constructor(
    private readonly kernels: Kernels,
    private readonly arena: Arena,
    weights: DetectorWeights,
    maxPixels = DETECTOR_WINDOW_PIXELS,
  ) {
    if (!(maxPixels >= MIN_CUT_SIDE * MIN_CUT_SIDE)) throw new Error(`detector: the largest window must have at least ${MIN_CUT_SIDE} x ${MIN_CUT_SIDE} pixels, got ${maxPixels}`);
    this.plan = planDetector(weights.config, weights.tensors, maxPixels);
    this.at = new Placement(arena, this.plan.builder.buffers);
    this.program = bind(this.plan.steps, kernels, this.at);
    this.input = this.at.ptr(this.plan.input);
    this.scores = this.at.ptr(this.plan.scores);
    this.boxes = this.at.ptr(this.plan.boxes);
    const S = this.plan.config.inputSize;
    this.square = { program: this.program, anchors: anchorCentres(weights.config, S, S), count: this.plan.anchors };
  }

  /** The run on an H x W input (bound on first use; the buffers are the plan's, placed at load). */
  private sized(height: number, width: number): SizedRun {
    const S = this.plan.config.inputSize;
    if (height === S && width === S) return this.square;
    const key = `${height}x${width}`;
    let r = this.runs.get(key);
    if (!r) {
      const { steps, anchors } = this.plan.stepsFor(height, width);
      if (this.runs.size >= SIZED_RUNS) this.runs.clear();
      r = { program: bind(steps, this.kernels, this.at), anchors: anchorCentres(this.plan.config, height, width), count: anchors };
      this.runs.set(key, r);
    }
    return r;
  }

  /** Letterbox matrix (detector input pixels -> image pixels): the whole image, scaled to fit and centred. */
  letterbox(width: number, height: number): Affine {
    const S = this.plan.config.inputSize;
    const scale = S / Math.max(width, height);
    const ox = (S - width * scale) / 2, oy = (S - height * scale) / 2;
    return [1 / scale, 0, -ox / scale, 0, 1 / scale, -oy / scale];
  }

  /**
   * Warps the window `m` (detector input pixels -> image pixels) of the staged image into the
   * detector input of `width` x `height` pixels (default the square inputSize; values in [-1, 1],
   * black outside the image), runs the network and decodes the faces scoring at least `minScore`,
   * in image pixels (boxes axis-aligned around the mapped centre).
   */
  runWindow(img: StagedImage, m: Affine, minScore: number, iouThreshold: number, width = this.plan.config.inputSize, height = width): RawFace[] {
    const { kernels, plan } = this;
    const cfg = plan.config;
    const run = this.sized(height, width);
    kernels.f32_warp_affine_u8(img.ptr, img.width, img.height, img.channels, this.input, width, height,
      m[0], m[1], m[2], m[3], m[4], m[5], prefilterFor(affineScale(m)), 2 / 255, -1, 0);
    run.program.run();
    const scores = this.arena.f32(this.scores, run.count);
    const boxes = this.arena.f32(this.boxes, run.count * cfg.coords);
    // anchors in input pixels: faces in input pixels
    const faces = weightedNms(decodeFaces(scores, boxes, run.anchors, cfg.coords, cfg.keypoints, 1, minScore), iouThreshold);
    const k = affineScale(m);
    const px = (x: number, y: number) => ({ x: m[0] * x + m[1] * y + m[2], y: m[3] * x + m[4] * y + m[5] });
    return faces.map((f) => {
      const c = px(f.box.x + f.box.width / 2, f.box.y + f.box.height / 2);
      const w = f.box.width * k, h = f.box.height * k;
      return { box: { x: c.x - w / 2, y: c.y - h / 2, width: w, height: h }, keypoints: f.keypoints.map((p) => px(p.x, p.y)), score: f.score };
    });
  }

  /**
   * The window that shows a candidate face upright (eye line horizontal) at the framing the
   * detector scores best: face box REFINE_BOX_FRACTION of the window side, centred. `side`: the
   * window's side in detector input pixels (default inputSize; the network runs any multiple of 16).
   */
  refineWindow(face: RawFace, fraction = REFINE_BOX_FRACTION, side = this.plan.config.inputSize): Affine {
    const [r, l] = face.keypoints;
    const angle = Math.atan2(l.y - r.y, l.x - r.x);
    const k = Math.max(face.box.width, face.box.height) / fraction / side;
    const cos = Math.cos(angle) * k, sin = Math.sin(angle) * k;
    const cx = face.box.x + face.box.width / 2, cy = face.box.y + face.box.height / 2;
    const h = side / 2;
    // input (X, Y) -> image: centre + R(angle) * k * (X - side/2, Y - side/2)
    return [cos, -sin, cx - cos * h + sin * h, sin, cos, cy - sin * h - cos * h];
  }

  /**
   * The windows of scan() (video: each costs one 128 x 128 run, about 2 ms; detect() runs
   * searchWindows() instead), detector input pixels -> image pixels: the whole image letterboxed, then
   * for images whose faces may be too small for it, square tiles of side T = L / 2, L / 4, ... (L the
   * image's longer side) at a stride of T / 2, down to the smallest T that still shows a face of
   * `minFaceSize` pixels at TILE_MIN_FACE of the input or more. The detector finds faces of about
   * 0.2 to 0.8 of its input side, so each level covers faces of 0.2 T to 0.5 T (the stride keeps
   * every face of up to T / 2 whole in some tile) and the levels overlap.
   */
  windows(width: number, height: number, minFaceSize: number): Affine[] {
    const S = this.plan.config.inputSize;
    const out: Affine[] = [this.letterbox(width, height)];
    const L = Math.max(width, height);
    const smallest = minFaceSize / TILE_MIN_FACE;
    for (let T = L / 2; L > smallest; T /= 2) {
      const starts = (n: number) => {
        if (T >= n) return [(n - T) / 2];
        const k = Math.ceil((n - T) / (T / 2));
        return Array.from({ length: k + 1 }, (_, i) => (i * (n - T)) / k);
      };
      for (const y0 of starts(height)) for (const x0 of starts(width)) out.push([T / S, 0, x0, 0, T / S, y0]);
      if (T <= smallest) break;
    }
    return out;
  }

  /**
   * The windows of detect()'s pass 1: the whole image letterboxed (windows()' first), then pyramid
   * levels, each as a few large windows instead of windows()' 128 x 128 tiles at half-tile stride
   * (the network is fully convolutional, so one run over a whole level finds what the tiles find
   * without their 4x overlap). The finest level shows a face of `minFaceSize` at TILE_MIN_FACE of
   * the input side S; a level finds faces of TILE_MIN_FACE to LEVEL_MAX_FACE of S (the tiles, cut at
   * half-tile stride, only whole ones up to half of it), so the next level is LEVEL_STEP times
   * coarser, until the letterbox (faces from TILE_MIN_FACE of the longer side) takes over. A level
   * larger than the plan's maxPixels is cut into windows (levelWindows).
   */
  searchWindows(width: number, height: number, minFaceSize: number): SearchWindow[] {
    const S = this.plan.config.inputSize;
    const out: SearchWindow[] = [{ m: this.letterbox(width, height), width: S, height: S }];
    const coarsest = S / Math.max(width, height);
    for (let s = (S * TILE_MIN_FACE) / minFaceSize; s > coarsest; s /= LEVEL_STEP) {
      out.push(...this.levelWindows(width * s, height * s, 1 / s));
      if (s <= coarsest * LEVEL_STEP) break;
    }
    return out;
  }

  /**
   * Windows covering a level of w x h input pixels (k image pixels per input pixel): one window when
   * it fits maxPixels, else the grid of windows (sides multiples of 16, at least S) that runs the
   * fewest pixels, neighbours overlapping by LEVEL_OVERLAP input pixels so that every face the level
   * is for lies whole in some window.
   */
  levelWindows(w: number, h: number, k: number): SearchWindow[] {
    const S = this.plan.config.inputSize;
    const unit = inputMultiple(this.plan.config);
    const P = this.plan.maxPixels;
    const side = (n: number, parts: number) => Math.max(S, Math.ceil((n + (parts - 1) * LEVEL_OVERLAP) / parts / unit) * unit);
    // a window cut from a level is at least MIN_CUT_SIDE long, so that the overlap stays under half of it
    const parts = (n: number) => (p: number) => p === 1 || side(n, p) >= MIN_CUT_SIDE;
    let best = { nx: 1, ny: 1, bw: side(w, 1), bh: side(h, 1), cost: Infinity };
    for (let nx = 1; parts(w)(nx); nx++) {
      const bw = side(w, nx);
      for (let ny = 1; parts(h)(ny); ny++) {
        const bh = side(h, ny);
        if (bw * bh <= P) {
          if (nx * ny * bw * bh < best.cost) best = { nx, ny, bw, bh, cost: nx * ny * bw * bh };
          break;
        }
      }
    }
    if (best.cost === Infinity) {
      // a budget near the smallest: windows of MIN_CUT_SIDE (or the level's side), LEVEL_OVERLAP apart
      const cut = (n: number) => (n <= MIN_CUT_SIDE ? [1, side(n, 1)] : [Math.ceil((n - LEVEL_OVERLAP) / (MIN_CUT_SIDE - LEVEL_OVERLAP)), MIN_CUT_SIDE]);
      const [[nx, bw], [ny, bh]] = [cut(w), cut(h)];
      best = { nx, ny, bw, bh, cost: nx * ny * bw * bh };
    }
    const starts = (n: number, b: number, parts: number) =>
      parts === 1 ? [(n - b) / 2] : Array.from({ length: parts }, (_, i) => (i * (n - b)) / (parts - 1));
    const out: SearchWindow[] = [];
    for (const y0 of starts(h, best.bh, best.ny))
      for (const x0 of starts(w, best.bw, best.nx)) out.push({ m: [k, 0, x0 * k, 0, k, y0 * k], width: best.bw, height: best.bh });
    return out;
  }

  /**
   * Faces of the staged image, highest score first. Pass 1 runs the windows (see searchWindows(); only
   * the whole image when `largestOnly` and it finds a face there) at a lower score: candidates.
   * Pass 2 runs each candidate again in an upright window where the face fills REFINE_BOX_FRACTION
   * of the input and keeps it when that score reaches minScore: the second look rejects textures
   * that only look like a face at a coarse scale and measures the keypoints (for the alignment) at a
   * higher resolution.
   */
  detect(img: StagedImage, opts: Required<DetectOptions> & { minFaceSize: number; largestOnly: boolean }): RawFace[] {
    const low = Math.min(opts.minScore, CANDIDATE_SCORE);
    const windows = this.searchWindows(img.width, img.height, opts.minFaceSize);
    let candidates: RawFace[] = [];
    for (let w = 0; w < windows.length; w++) {
      const win = windows[w];
      candidates.push(...this.runWindow(img, win.m, low, opts.iouThreshold, win.width, win.height));
      if (w === 0 && opts.largestOnly) {
        const kept = this.refine(img, weightedNms(candidates, opts.iouThreshold), opts, true);
        if (kept.length) return kept;
      }
    }
    // the finest level sees below the requested size; what is much smaller than it was not asked for
    // (a face's box is about 0.9 of the side of its UTKFace-framed chip)
    return this.refine(img, weightedNms(candidates, opts.iouThreshold), opts, true).filter((f) => f.box.width >= MIN_BOX_FRACTION * opts.minFaceSize);
  }

  /**
   * Part of the whole-image search, for video: pass 1 over windows `from` .. `from + count - 1` of
   * windows() (indices modulo their number, so a caller cycles through them over frames), candidates
   * that overlap a `known` face (IoU over 0.3, or their centre inside its box: a face already
   * followed) dropped before the second and third looks, which the rest get as in detect(). A face
   * that no window of this part shows is not found.
   */
  scan(img: StagedImage, opts: Required<DetectOptions> & { minFaceSize: number }, from: number, count: number, known: readonly RawFace['box'][]): { faces: RawFace[]; windows: number } {
    const low = Math.min(opts.minScore, CANDIDATE_SCORE);
    const windows = this.windows(img.width, img.height, opts.minFaceSize);
    const n = windows.length;
    const candidates: RawFace[] = [];
    for (let i = 0; i < Math.min(count, n); i++) candidates.push(...this.runWindow(img, windows[(((from + i) % n) + n) % n], low, opts.iouThreshold));
    const isKnown = (b: RawFace['box']) => {
      const cx = b.x + b.width / 2, cy = b.y + b.height / 2;
      return known.some((k) => (cx >= k.x && cx <= k.x + k.width && cy >= k.y && cy <= k.y + k.height) || iou(b, k) > 0.3);
    };
    const fresh = weightedNms(candidates, opts.iouThreshold).filter((c) => !isKnown(c.box));
    const faces = this.refine(img, fresh, opts).filter((f) => f.box.width >= MIN_BOX_FRACTION * opts.minFaceSize && !isKnown(f.box));
    return { faces, windows: n };
  }

  /**
   * The second and third looks at each candidate. `retry` (detect(), not scan(), whose cost per call
   * a video tracker budgets): a candidate that passes the second look and fails the third gets the
   * second look once more from its own answer and the third from there.
   */
  private refine(img: StagedImage, candidates: RawFace[], opts: Required<DetectOptions>, retry = false): RawFace[] {
    const refined: RawFace[] = [];
    const confirm = { ...opts, minScore: Math.max(opts.minScore, CONFIRM_MIN_SCORE) };
    // the third look: CONFIRM_MIN_SCORE with the face box CONFIRM_BOX_FRACTION of the window; for a
    // face that this window would enlarge (box under CONFIRM_BOX_FRACTION of the input side, so the
    // look sees it blurred), else at the second look's framing, from the keypoints it measured
    const S = this.plan.config.inputSize;
    // Failing both, the third look's window and its mirror image may confirm it together: the mean
    // of the two scores at least CONFIRM_MIN_SCORE (a face scored just under the threshold is
    // usually scored over it mirrored; a face-like patch of a scene seldom is both ways). Only
    // scores of at least 2 CONFIRM_MIN_SCORE - 1 can reach that mean: the third look runs with that
    // floor once and serves both (`confirmedMirrored`).
    const floor = { ...confirm, minScore: 2 * confirm.minScore - 1 };
    const confirmed = (f: RawFace) => {
      const third = this.lookNear(img, f, floor, { fraction: CONFIRM_BOX_FRACTION });
      if (third.some((x) => x.score >= confirm.minScore)) return true;
      if (f.box.width < CONFIRM_BOX_FRACTION * S && this.lookAt(img, f, confirm)) return true;
      return third.length > 0 && this.confirmedMirrored(img, f, third[0], confirm);
    };
    for (const c of candidates.slice(0, MAX_CANDIDATES)) {
      let best = this.lookAt(img, c, opts);
      if (!best) continue;
      // when it is not confirmed, the second look once more from its own answer (an upright window
      // framed by the keypoints it measured, not by pass 1's coarser ones) and the third from there
      if (!confirmed(best)) {
        if (!retry) continue;
        best = this.lookAt(img, best, opts);
        if (!best || !confirmed(best)) continue;
      }
      refined.push(best);
    }
    return weightedNms(refined, opts.iouThreshold);
  }

  /**
   * Whether the mirror image of the third look's window (one more detector run) scores the face so
   * that the mean with `upright`'s score (the third look's face nearest the centre) reaches
   * confirm.minScore. `npx tsx scripts/eval-detect.ts canvases --limit 500` (2026-12-06): 48 px
   * 99.2 -> 99.4 %, 96 px 99.6 -> 99.8 %, 192 and 384 px 99.4 -> 99.8 %; `negatives --n 1000`: 0 false
   * detections; face-api's six demo photos: the same 22 faces (the mirror's score alone, >= minScore,
   * also confirmed the door panel of sample 3: 0.58 upright, 0.84 mirrored). docs/detect.md.
   */
  private confirmedMirrored(img: StagedImage, f: RawFace, upright: RawFace, confirm: Required<DetectOptions>): boolean {
    return !!this.lookAt(img, f, { ...confirm, minScore: 2 * confirm.minScore - upright.score }, { fraction: CONFIRM_BOX_FRACTION, mirror: true });
  }

  /**
   * The video tracker's step between detections (refineFace): lookAt at the seed, a face followed
   * from the last frame, in a window of trackLookSide pixels; at the full inputSize where one of the
   * `others` boxes (the other faces followed) reaches into the circle inscribed in the window, since
   * two faces close together are told apart less well at the lower resolution (a track then lags
   * behind its face and may swap ids with the other: docs/detect.md, "The tracker's look at 96 x 96").
   */
  trackLook(img: StagedImage, seed: RawFace, opts: Required<DetectOptions>, others: readonly RawFace['box'][]): RawFace | null {
    const cx = seed.box.x + seed.box.width / 2, cy = seed.box.y + seed.box.height / 2;
    const r = Math.max(seed.box.width, seed.box.height) / REFINE_BOX_FRACTION / 2;
    const crowded = others.some((b) => Math.hypot(cx - Math.min(Math.max(cx, b.x), b.x + b.width), cy - Math.min(Math.max(cy, b.y), b.y + b.height)) < r);
    return this.lookAt(img, seed, opts, crowded ? {} : { side: this.trackLookSide });
  }

  /**
   * One detector run in the upright window of `seed` (a candidate, or a face followed from the last
   * video frame): the face found there nearest the window centre, or null.
   */
  lookAt(img: StagedImage, seed: RawFace, opts: Required<DetectOptions>, look: Look = {}): RawFace | null {
    return this.lookNear(img, seed, opts, look)[0] ?? null;
  }

  /**
   * lookAt's run: the faces of the window within half the seed's box side of its centre, nearest
   * first. `mirror`: the window flipped left-right (input X -> side - X), the same region and centre.
   */
  private lookNear(img: StagedImage, seed: RawFace, opts: Required<DetectOptions>, look: Look): RawFace[] {
    const { fraction = REFINE_BOX_FRACTION, mirror = false, side = this.plan.config.inputSize } = look;
    const u = this.refineWindow(seed, fraction, side);
    const m: Affine = mirror ? [-u[0], u[1], u[0] * side + u[2], -u[3], u[4], u[3] * side + u[5]] : u;
    const centre = { x: m[0] * side / 2 + m[1] * side / 2 + m[2], y: m[3] * side / 2 + m[4] * side / 2 + m[5] };
    const radius = 0.5 * Math.max(seed.box.width, seed.box.height);
    return this.runWindow(img, m, opts.minScore, opts.iouThreshold, side, side)
      .map((f) => ({ f, d: Math.hypot(f.box.x + f.box.width / 2 - centre.x, f.box.y + f.box.height / 2 - centre.y) }))
      .filter((x) => x.d < radius)
      .sort((a, b) => a.d - b.d)
      .map((x) => x.f);
  }
}

/**
 * Largest face a pass-1 level is for, as a fraction of the input side S. Measured on 60 UTKFace test
 * chips pasted at 64..160 px into 640 x 480 canvases, one level at scale 0.8 (2026-12-05): every face
 * found through the second and third looks, up to 160 px (S itself); the letterbox alone found 96.7 %
 * of 96 px faces (0.15 of its side) and all from 128 px up.
 */
export const LEVEL_MAX_FACE = 0.8;
/** Scale between two pass-1 levels: LEVEL_MAX_FACE / TILE_MIN_FACE, so that their face sizes meet. */
export const LEVEL_STEP = 4;
/**
 * Overlap of two neighbouring pass-1 windows of one level, in input pixels: the largest face a level
 * is for (LEVEL_MAX_FACE of S, 102 px) and 8 pixels of margin on each side.
 */
export const LEVEL_OVERLAP = 120;
/** Shortest side of a window cut from a level (2 LEVEL_OVERLAP, to 16): the smallest budget is its square. */
export const MIN_CUT_SIDE = 240;
/** At most this many input sizes keep a bound run (a handful per image size in practice). */
const SIZED_RUNS = 32;
/** Faces whose box is narrower than this fraction of minFaceSize are dropped. */
export const MIN_BOX_FRACTION = 0.6;
/** Smallest face the tiles (and the pass-1 levels) are made for, as a fraction of the input side. */
export const TILE_MIN_FACE = 0.2;
/** Score of a pass-1 candidate worth a second look. */
export const CANDIDATE_SCORE = 0.3;
/** At most this many candidates get a second look (the highest scoring). */
export const MAX_CANDIDATES = 64;
/**
 * Side of the video tracker's look window (refineFace), in detector input pixels: 96, not the
 * square input's 128 (0.56 of the network's pixels; the face box is still REFINE_BOX_FRACTION of
 * it, 43 px); 128 where another followed face is near (trackLook). `npx tsx scripts/eval-detect.ts
 * look --limit 150` (2026-12-06; 600 faces: UTKFace test chips pasted at 96-320 px, rotated up to 25
 * degrees, looked at from a seed shifted by up to 6 % of the box): found 600 / 600 at 128, 112, 96
 * and 80; age MAE 4.726 / 4.782 / 4.620 / 4.718; keypoint error against the template 0.054 / 0.059 /
 * 0.060 / 0.068 of the eye distance. refineFace with the age, paired: 96 / 128 = 0.835 with the pair
 * of age models, 0.792 with one. Tracker runs and crossing faces: docs/detect.md.
 */
export const TRACK_LOOK_SIDE = 96;
/** Face box side as a fraction of the refine window side. */
export const REFINE_BOX_FRACTION = 0.45;
/**
 * The confirming (third) look of a whole-image search: a face must score minScore framed tightly
 * (REFINE_BOX_FRACTION) and at least CONFIRM_MIN_SCORE with more of its surroundings (face box
 * CONFIRM_BOX_FRACTION of the window). Blurred blob textures that pass the second look fail this one.
 * `npx tsx scripts/eval-detect.ts negatives --n 400` / `canvases --limit 60`, 2026-12-05: without it
 * (docs/detect.md, 2026-12-04) 93 false detections on 1000 face-free images; with it at 0.65, 8 on 400
 * and 98.3 % of 32 px faces found; at 0.75, 0 on 400 and 96.7 % (100 % from 48 px up either way).
 * A face it misses gets one retry (refine): with it, `canvases --limit 150` 96.7 % at 32 px and 100 %
 * from 48 px up against 96.0 / 100 / 99.3 / 100 / 99.3 / 100 % without, 0 false detections on 1000
 * either way (2026-12-05, pass 1 in levels). A face under CONFIRM_BOX_FRACTION of the input side
 * (77 px), which this window enlarges and blurs, may instead reach CONFIRM_MIN_SCORE at the second
 * look's framing: `canvases --limit 500` 32 px 96.4 -> 98.2 %, 48 px 98.4 -> 99.2 %, larger faces
 * unchanged, 0 false detections on 1000 face-free images (clutter included); without the size gate
 * it also confirmed a door panel (159 px) in one of face-api's demo photos (docs/detect.md).
 */
export const CONFIRM_MIN_SCORE = 0.75;
export const CONFIRM_BOX_FRACTION = 0.6;
