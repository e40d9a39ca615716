/**
 * Geometry of detected faces for the tracker: boxes, the six MediaPipe keypoints, and a pose measure
 * read from the keypoints. All in image pixels, y down. Nothing here allocates except where it says
 * it returns a new object.
 */

export interface Point {
  x: number;
  y: number;
}

/** An axis-aligned box: top-left corner and size, in pixels. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Indices of the six keypoints in the detector's order (MediaPipe BlazeFace): the subject's right eye
 * (image left), left eye, nose tip, mouth centre, right ear tragion, left ear tragion.
 */
export const KEYPOINT = { rightEye: 0, leftEye: 1, nose: 2, mouth: 3, rightEar: 4, leftEar: 5 } as const;

/** The area two boxes share (0 when they do not overlap). */
export function intersection(a: Box, b: Box): number {
  const ix = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const iy = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return ix > 0 && iy > 0 ? ix * iy : 0;
}

/** Intersection over union of two boxes (0 when either is empty). */
export function iou(a: Box, b: Box): number {
  const inter = intersection(a, b);
  if (inter === 0) return 0;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** The size of a face: the geometric mean of its box's sides, in pixels. */
export function faceSize(b: Box): number {
  return Math.sqrt(Math.max(0, b.width) * Math.max(0, b.height));
}

/**
 * Frontal geometry of the keypoints, as fractions of the inter-ocular distance: the nose tip lies
 * this far below the eye line on a frontal face. Measured with the detector on UTKFace chips (mean
 * keypoints of 300 test chips pasted at 1x, 2026-12-04; see train/video.ts CHIP_KEYPOINTS: eyes
 * 0.394 of the chip side apart, nose 0.205 below their midpoint).
 */
export const FRONTAL_NOSE_DROP = 0.52;

/** Head pose read from the keypoints (no model): what the age filter's weight needs. */
export interface Pose {
  /** in-plane rotation of the eye line, degrees (0 upright) */
  roll: number;
  /**
   * sideways turn: the nose tip's offset from the eye midpoint along the eye line, in inter-ocular
   * distances (0 frontal; about 0.3 at 30 degrees of yaw)
   */
  yaw: number;
  /**
   * nod: the nose tip's distance below the eye line, in inter-ocular distances, minus the frontal
   * value (0 frontal; negative looking up, positive looking down)
   */
  pitch: number;
}

/**
 * The pose of a face from its keypoints (at least the eyes and the nose), written into `out`.
 * Fewer keypoints, or eyes on top of each other, give a frontal pose (no evidence either way).
 */
export function poseOf(keypoints: readonly Point[], out: Pose): Pose {
  out.roll = 0;
  out.yaw = 0;
  out.pitch = 0;
  if (keypoints.length < 3) return out;
  const r = keypoints[KEYPOINT.rightEye], l = keypoints[KEYPOINT.leftEye], n = keypoints[KEYPOINT.nose];
  const ex = l.x - r.x, ey = l.y - r.y;
  const iod = Math.hypot(ex, ey);
  if (!(iod > 1e-6)) return out;
  const ux = ex / iod, uy = ey / iod;
  const dx = n.x - (r.x + l.x) / 2, dy = n.y - (r.y + l.y) / 2;
  out.roll = (Math.atan2(ey, ex) * 180) / Math.PI;
  out.yaw = (dx * ux + dy * uy) / iod;
  out.pitch = (-dx * uy + dy * ux) / iod - FRONTAL_NOSE_DROP;
  return out;
}
