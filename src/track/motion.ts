/**
 * Where a tracked face will be: a constant-velocity model of the box centre and of the log of its
 * size (alpha-beta filters: smoothed position and velocity, updated by each observation), and the keypoints carried along as offsets from the
 * centre in units of the face size. The prediction seeds the next frame's crop (the keypoints of the
 * last frame, moved) and is what association compares detections with, which is what keeps two
 * crossing faces apart. The prediction travels at the last velocity for at most MAX_TRAVEL frames
 * after the last observation and then holds: an occluded face that keeps walking is found again on
 * the far side of the face that hid it, and a long absence predicts a face that stopped rather than
 * one that flew away. State is plain numbers and preallocated arrays, updated in place.
 */
import type { Box, Point } from './geometry.ts';

/** The most keypoints a face carries (MediaPipe's six). */
export const MAX_KEYPOINTS = 6;
/** Frames of travel at the last velocity, at most, after the last observation. */
export const MAX_TRAVEL = 15;
/**
 * Gains of the alpha-beta filters on the centre (pixels) and on the log of the size: each observation
 * moves the smoothed position by ALPHA of the prediction error and the velocity by BETA of it per
 * frame. The detector's boxes jitter by a few percent of the face size; velocities from the last two
 * boxes alone would carry all of that jitter into a prediction 15 frames ahead.
 */
export const ALPHA = 0.6;
export const BETA = 0.15;
export const ALPHA_SIZE = 0.4;
export const BETA_SIZE = 0.03;

export interface Motion {
  /** smoothed box centre and log of the size (sqrt of the area) at the last observation; aspect (width / height) as observed */
  cx: number;
  cy: number;
  ls: number;
  aspect: number;
  /** velocity: pixels per frame, and log-size per frame */
  vx: number;
  vy: number;
  vs: number;
  /** frame number of the last observation */
  frame: number;
  /** observations so far */
  count: number;
  /** keypoint offsets from the centre, in face sizes, and how many there are */
  kx: Float64Array;
  ky: Float64Array;
  nk: number;
}

export function newMotion(): Motion {
  return { cx: 0, cy: 0, ls: 0, aspect: 1, vx: 0, vy: 0, vs: 0, frame: 0, count: 0, kx: new Float64Array(MAX_KEYPOINTS), ky: new Float64Array(MAX_KEYPOINTS), nk: 0 };
}

export function resetMotion(m: Motion): void {
  m.vx = m.vy = m.vs = 0;
  m.count = 0;
  m.nk = 0;
}

const travel = (k: number) => Math.min(Math.max(0, k), MAX_TRAVEL);

/** Takes the observed box and keypoints of frame `frame`. */
export function observeMotion(m: Motion, box: Box, keypoints: readonly Point[], frame: number): void {
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const size = Math.sqrt(box.width * box.height);
  const ls = Math.log(Math.max(1e-6, size));
  const dt = Math.max(1, frame - m.frame);
  // a face found again after a long absence, or far from where it was predicted (it came back
  // elsewhere): its old velocity says nothing, start over from this observation
  if (m.count > 0 && (dt > MAX_TRAVEL || Math.hypot(cx - (m.cx + m.vx * dt), cy - (m.cy + m.vy * dt)) > size)) m.count = 0;
  if (m.count === 0) {
    m.cx = cx;
    m.cy = cy;
    m.ls = ls;
    m.vx = m.vy = m.vs = 0;
  } else {
    if (m.count === 1) {
      // two points: the velocity between them
      m.vx = (cx - m.cx) / dt;
      m.vy = (cy - m.cy) / dt;
      m.vs = (ls - m.ls) / dt;
      m.cx = cx;
      m.cy = cy;
      m.ls = ls;
    } else {
      const rx = cx - (m.cx + m.vx * dt), ry = cy - (m.cy + m.vy * dt), rs = ls - (m.ls + m.vs * dt);
      m.cx += m.vx * dt + ALPHA * rx;
      m.cy += m.vy * dt + ALPHA * ry;
      m.ls += m.vs * dt + ALPHA_SIZE * rs;
      m.vx += (BETA * rx) / dt;
      m.vy += (BETA * ry) / dt;
      m.vs += (BETA_SIZE * rs) / dt;
    }
  }
  m.aspect = box.height > 0 ? box.width / box.height : 1;
  m.frame = frame;
  m.count++;
  // keypoints relative to the observed box (not the smoothed one): they ride on the prediction
  const n = Math.min(MAX_KEYPOINTS, keypoints.length);
  for (let i = 0; i < n; i++) {
    m.kx[i] = (keypoints[i].x - cx) / size;
    m.ky[i] = (keypoints[i].y - cy) / size;
  }
  m.nk = n;
}

/** The predicted box at `frame`, written into `out`. */
export function predictBox(m: Motion, frame: number, out: Box): Box {
  const k = travel(frame - m.frame);
  const s = Math.exp(m.ls + m.vs * k);
  const cx = m.cx + m.vx * k, cy = m.cy + m.vy * k;
  const w = s * Math.sqrt(m.aspect), h = s / Math.sqrt(m.aspect);
  out.x = cx - w / 2;
  out.y = cy - h / 2;
  out.width = w;
  out.height = h;
  return out;
}

/** The predicted keypoints at `frame`, written into `out[0..nk)` (which must hold m.nk points); returns nk. */
export function predictKeypoints(m: Motion, frame: number, out: Point[]): number {
  const k = travel(frame - m.frame);
  const s = Math.exp(m.ls + m.vs * k);
  const cx = m.cx + m.vx * k, cy = m.cy + m.vy * k;
  for (let i = 0; i < m.nk; i++) {
    out[i].x = cx + m.kx[i] * s;
    out[i].y = cy + m.ky[i] * s;
  }
  return m.nk;
}
