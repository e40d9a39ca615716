/**
 * From the detector's raw outputs to faces: MediaPipe's anchors (SsdAnchorsCalculator with
 * fixed_anchor_size: one unit-size anchor per (cell, anchor) at the cell centre), box and keypoint
 * decoding (TensorsToDetectionsCalculator: x_scale = y_scale = w_scale = h_scale = input size,
 * reverse_output_order, sigmoid scores with clipping at +-100) and weighted non-maximum suppression
 * (NonMaxSuppressionCalculator, WEIGHTED, IoU threshold 0.3). Everything here is in the detector
 * input's normalised coordinates [0, 1]; src/detect/detector.ts projects back to image pixels.
 */
import { blockGrids, blockSides, type DetectorConfig } from './arch.ts';

export interface Point {
  x: number;
  y: number;
}

/** A face in normalised or pixel coordinates: box (top-left corner, size), keypoints, score. */
export interface RawFace {
  box: { x: number; y: number; width: number; height: number };
  /** MediaPipe's order: right eye, left eye (the subject's), nose tip, mouth centre, right ear, left ear */
  keypoints: Point[];
  score: number;
}

/** Anchor centres (x, y) in [0, 1], in output order: per head, row-major cells, then anchors. */
export function detectorAnchors(cfg: DetectorConfig): Float32Array {
  const sides = blockSides(cfg);
  const out: number[] = [];
  for (const h of cfg.heads) {
    const s = sides[h.after];
    for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) for (let k = 0; k < h.anchors; k++) out.push((x + 0.5) / s, (y + 0.5) / s);
  }
  return Float32Array.from(out);
}

/**
 * Anchor centres (x, y) in input pixels of an H x W input, in output order (per head, row-major
 * cells, then anchors): cell centres of each head's grid, (col + 0.5) * W / cols. The regressors are
 * input pixels around them whatever the input's size (the weights' 128-pixel scale), so decodeFaces
 * with these anchors and inputSize 1 gives faces in input pixels of any input.
 */
export function anchorCentres(cfg: DetectorConfig, height: number, width: number): Float32Array {
  const g = blockGrids(cfg, height, width);
  const out: number[] = [];
  for (const h of cfg.heads) {
    const { h: rows, w: cols } = g[h.after];
    for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) for (let k = 0; k < h.anchors; k++) out.push(((x + 0.5) * width) / cols, ((y + 0.5) * height) / rows);
  }
  return Float32Array.from(out);
}

export const SCORE_CLIP = 100;

/** Logit -> probability with MediaPipe's clipping. */
export function scoreOf(logit: number): number {
  const v = Math.max(-SCORE_CLIP, Math.min(SCORE_CLIP, logit));
  return 1 / (1 + Math.exp(-v));
}

/**
 * Decodes every anchor whose score reaches `minScore`: raw regressors per anchor are
 * [dx, dy, w, h, kx0, ky0, ...] in input pixels relative to the anchor centre. Anchors in [0, 1]
 * with `inputSize` the input's side: faces in [0, 1]; anchors in pixels (anchorCentres) with
 * `inputSize` 1: faces in input pixels.
 */
export function decodeFaces(
  scores: Float32Array, boxes: Float32Array, anchors: Float32Array, coords: number, keypoints: number, inputSize: number, minScore: number,
): RawFace[] {
  const faces: RawFace[] = [];
  const n = scores.length;
  const inv = 1 / inputSize;
  // logit threshold: one comparison per anchor, sigmoid only for the survivors
  const minLogit = minScore <= 0 ? -Infinity : minScore >= 1 ? Infinity : Math.log(minScore / (1 - minScore));
  for (let i = 0; i < n; i++) {
    if (!(scores[i] >= minLogit)) continue;
    const score = scoreOf(scores[i]);
    if (score < minScore) continue;
    const r = i * coords;
    const ax = anchors[2 * i], ay = anchors[2 * i + 1];
    const cx = boxes[r] * inv + ax, cy = boxes[r + 1] * inv + ay;
    const w = boxes[r + 2] * inv, h = boxes[r + 3] * inv;
    const kp: Point[] = [];
    for (let k = 0; k < keypoints; k++) kp.push({ x: boxes[r + 4 + 2 * k] * inv + ax, y: boxes[r + 5 + 2 * k] * inv + ay });
    faces.push({ box: { x: cx - w / 2, y: cy - h / 2, width: w, height: h }, keypoints: kp, score });
  }
  return faces;
}

export function iou(a: RawFace['box'], b: RawFace['box']): number {
  const x0 = Math.max(a.x, b.x), y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width), y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * MediaPipe's weighted NMS: take the highest-scoring remaining face; every remaining face whose IoU
 * with it exceeds `threshold` (itself included) joins its cluster; the cluster becomes one face whose
 * box and keypoints are the score-weighted means of the cluster's and whose score is the top score.
 * Returns faces in descending score order.
 */
export function weightedNms(faces: RawFace[], threshold = 0.3): RawFace[] {
  let rest = [...faces].sort((p, q) => q.score - p.score);
  const out: RawFace[] = [];
  while (rest.length) {
    const top = rest[0];
    const cluster: RawFace[] = [];
    const keep: RawFace[] = [];
    for (const f of rest) (iou(top.box, f.box) > threshold || f === top ? cluster : keep).push(f);
    let sw = 0, x = 0, y = 0, w = 0, h = 0;
    const kp = top.keypoints.map(() => ({ x: 0, y: 0 }));
    for (const f of cluster) {
      sw += f.score;
      x += f.score * f.box.x; y += f.score * f.box.y;
      w += f.score * f.box.width; h += f.score * f.box.height;
      f.keypoints.forEach((p, k) => { kp[k].x += f.score * p.x; kp[k].y += f.score * p.y; });
    }
    out.push({
      box: { x: x / sw, y: y / sw, width: w / sw, height: h / sw },
      keypoints: kp.map((p) => ({ x: p.x / sw, y: p.y / sw })),
      score: top.score,
    });
    rest = keep;
  }
  return out;
}
