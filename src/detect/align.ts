/**
 * Alignment of a detected face to the age model's framing: the least-squares similarity transform
 * (rotation, uniform scale, translation) that maps the template's eye and mouth points onto the
 * detected ones. The template is measured, not chosen: scripts/detect-template.ts runs the detector
 * on UTKFace training chips pasted into larger canvases and averages the keypoints as fractions of
 * the chip side (its output is FACE_TEMPLATE below, with the command and date).
 */
import type { Point } from './decode.ts';

/**
 * Mean detector keypoints on UTKFace chips, as fractions of the chip side: right eye, left eye (the
 * subject's; image left and right), mouth centre. Measured on 2000 training chips pasted at 1x into
 * 256 x 256 grey canvases (1999 found; sd of each coordinate 0.016-0.022) by
 * `npx tsx scripts/detect-template.ts --n 2000`, 2026-12-04.
 */
export const FACE_TEMPLATE: readonly Point[] = [
  { x: 0.298, y: 0.303 },
  { x: 0.685, y: 0.3 },
  { x: 0.495, y: 0.716 },
];

/** Indices of the template's points among the detector's keypoints (right eye, left eye, mouth). */
export const TEMPLATE_KEYPOINTS = [0, 1, 3] as const;

/** An affine map p -> (m0 x + m1 y + m2, m3 x + m4 y + m5). */
export type Affine = [number, number, number, number, number, number];

/**
 * Least-squares similarity from `from` to `to` (n >= 2 point pairs): minimises sum |A p_i + t - q_i|^2
 * over A = [[a, -b], [b, a]] and t (Umeyama without reflection, closed form).
 */
export function similarity(from: readonly Point[], to: readonly Point[]): Affine {
  const n = from.length;
  let fx = 0, fy = 0, tx = 0, ty = 0;
  for (let i = 0; i < n; i++) { fx += from[i].x; fy += from[i].y; tx += to[i].x; ty += to[i].y; }
  fx /= n; fy /= n; tx /= n; ty /= n;
  let sxx = 0, num_a = 0, num_b = 0;
  for (let i = 0; i < n; i++) {
    const px = from[i].x - fx, py = from[i].y - fy, qx = to[i].x - tx, qy = to[i].y - ty;
    sxx += px * px + py * py;
    num_a += px * qx + py * qy;
    num_b += px * qy - py * qx;
  }
  const a = sxx > 0 ? num_a / sxx : 1, b = sxx > 0 ? num_b / sxx : 0;
  return [a, -b, tx - (a * fx - b * fy), b, a, ty - (b * fx + a * fy)];
}

/**
 * The warp matrix (chip pixels -> image pixels) that crops a `size` x `size` chip framed like the
 * template around a face with these keypoints (image pixels, detector order).
 */
export function chipTransform(keypoints: readonly Point[], size: number, template: readonly Point[] = FACE_TEMPLATE): Affine {
  const from = template.map((p) => ({ x: p.x * size, y: p.y * size }));
  const to = TEMPLATE_KEYPOINTS.map((k) => keypoints[k]);
  return similarity(from, to);
}

/** Scale of an affine map (source pixels per destination pixel, the larger axis). */
export function affineScale(m: Affine): number {
  return Math.max(Math.hypot(m[0], m[3]), Math.hypot(m[1], m[4]));
}
