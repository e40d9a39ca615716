/**
 * The face detector: letterbox the staged image into the detector input (one f32_warp_affine_u8
 * call: scale to fit, centre, area prefilter for downscales, black border, values to [-1, 1]), run
 * the plan, decode, weighted NMS, and project boxes and keypoints back to image pixels.
 * It lives inside an estimator's arena and kernel instance (src/estimator.ts), placed at load.
 */
import type { Arena } from '../arena.ts';
import type { Kernels } from '../kernels.ts';
import { buildDetectorPlan, runDetectorPlan, type DetectorPlan } from './plan.ts';
import { decodeFaces, detectorAnchors, weightedNms, type RawFace } from './decode.ts';
import type { DetectorWeights } from './weights.ts';
import type { Affine } from './align.ts';

/** Largest area-prefilter factor: sub-samples per axis and output pixel of a downscaling warp. */
export const MAX_PREFILTER = 8;

/** Sub-samples per axis for a warp that reads `scale` source pixels per output pixel. */
export function prefilterFor(scale: number): number {
  return Math.max(1, Math.min(MAX_PREFILTER, Math.ceil(scale - 1e-6)));
}

export interface DetectOptions {
  /** smallest score (0..1) of a face kept; default 0.5 (MediaPipe's) */
  minScore?: number;
  /** IoU above which two detections are merged; default 0.3 (MediaPipe's) */
  iouThreshold?: number;
}

export interface StagedImage {
  ptr: number;
  width: number;
  height: number;
  channels: number;
}

export class FaceDetector {
  readonly plan: DetectorPlan;
  private readonly anchors: Float32Array;

  constructor(
    private readonly kernels: Kernels,
    private readonly arena: Arena,
    weights: DetectorWeights,
  ) {
    this.plan = buildDetectorPlan(arena, weights);
    this.anchors = detectorAnchors(weights.config);
  }

  /** Letterbox matrix (detector input pixels -> image pixels) and the scale image -> input. */
  letterbox(width: number, height: number): { m: Affine; scale: number } {
    const S = this.plan.config.inputSize;
    const scale = S / Math.max(width, height);
    const ox = (S - width * scale) / 2, oy = (S - height * scale) / 2;
    return { m: [1 / scale, 0, -ox / scale, 0, 1 / scale, -oy / scale], scale };
  }

  /** Letterboxes the staged image into the detector input and runs the network. */
  run(img: StagedImage): void {
    const { kernels, plan } = this;
    const S = plan.config.inputSize;
    const { m } = this.letterbox(img.width, img.height);
    kernels.f32_warp_affine_u8(img.ptr, img.width, img.height, img.channels, plan.input, S, S,
      m[0], m[1], m[2], m[3], m[4], m[5], prefilterFor(m[0]), 2 / 255, -1, 0);
    runDetectorPlan(kernels, plan);
  }

  /** Faces of the last run() (on an image of this size) in image pixels, highest score first. */
  decode(width: number, height: number, opts: Required<DetectOptions>): RawFace[] {
    const { plan } = this;
    const cfg = plan.config;
    const S = cfg.inputSize;
    const { m } = this.letterbox(width, height);
    const scores = this.arena.f32(plan.scores, plan.anchors);
    const boxes = this.arena.f32(plan.boxes, plan.anchors * cfg.coords);
    const faces = weightedNms(decodeFaces(scores, boxes, this.anchors, cfg.coords, cfg.keypoints, S, opts.minScore), opts.iouThreshold);
    // normalised input coordinates -> image pixels through the letterbox
    const px = (x: number, y: number) => ({ x: m[0] * x * S + m[2], y: m[4] * y * S + m[5] });
    return faces.map((f) => {
      const tl = px(f.box.x, f.box.y);
      return {
        box: { x: tl.x, y: tl.y, width: f.box.width * S * m[0], height: f.box.height * S * m[4] },
        keypoints: f.keypoints.map((p) => px(p.x, p.y)),
        score: f.score,
      };
    });
  }

  /** run() then decode(). */
  detect(img: StagedImage, opts: Required<DetectOptions>): RawFace[] {
    this.run(img);
    return this.decode(img.width, img.height, opts);
  }
}
