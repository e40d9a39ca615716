/**
 * Synthetic video for the face tracker (src/track/): UTKFace test chips pasted into 640 x 480 frames
 * that drift, scale, rotate a few degrees, blur and change brightness; two faces that cross (the one
 * drawn last occludes the other); a face that leaves the frame and comes back; a still face with
 * repeated frames. Each scene is geometry first (`makeScene`: every face's pose in every frame,
 * seeded and deterministic), from which come both the ground truth (`truthAt`: boxes and the six
 * keypoints a detector would report, and whether the face is visible) and the RGBA frames
 * (`SceneRenderer`). `cropAligned` cuts a face back out of a frame at given keypoints, the way the
 * estimator's detector path aligns a face, so that real per-frame ages can be measured on the
 * rendered frames before the detector is merged. Plain TypeScript: test data, not the runtime.
 *
 * CLI, for a fake camera (train/y4m.ts): a scene as a .y4m file and its ground truth as JSON lines
 * (one line per frame: the faces with box, keypoints, visible, label):
 *   npx tsx train/video.ts --kind mixed --seed 1 [--frames 90] [--fps 30] --out scene.y4m [--truth scene.jsonl] [--data DIR]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { intersection, type Box, type Point } from '../src/track/geometry.ts';
import { DEFAULT_DATA_DIR, decodeImage, gaussianBlurRgb, imageDir, makeRng, readLabels, type RgbImage } from './data.ts';
import { Y4mWriter } from './y4m.ts';

export type { Box, Point };

/**
 * Where the face detector puts the six keypoints on a UTKFace chip, as fractions of the chip side
 * (right eye, left eye, nose tip, mouth centre, right ear, left ear: MediaPipe's order, the
 * subject's right eye on the image left). Mean over 300 test chips pasted at 1x into 256 x 256
 * flat canvases, measured with the detector of the `detect` branch (BlazeFace short range,
 * detectFaces), 2026-12-04. The eyes and mouth agree with that branch's FACE_TEMPLATE (2000 train
 * chips) within 0.007.
 */
export const CHIP_KEYPOINTS: readonly Point[] = [
  { x: 0.296, y: 0.307 },
  { x: 0.69, y: 0.307 },
  { x: 0.493, y: 0.512 },
  { x: 0.493, y: 0.71 },
  { x: 0.09, y: 0.405 },
  { x: 0.898, y: 0.405 },
];

/** The detector's box on a chip, as fractions of the chip side (same measurement; sd 0.05). */
export const CHIP_BOX: Box = { x: 0.043, y: 0.07, width: 0.904, height: 0.903 };

/** One face in one frame: where its chip is pasted and how it is degraded. */
export interface FacePose {
  /** frame position of the chip's centre, pixels */
  cx: number;
  cy: number;
  /** side of the pasted chip, pixels */
  size: number;
  /** in-plane rotation, degrees, counter-clockwise on screen */
  angle: number;
  /** Gaussian blur sigma, frame pixels (0: sharp) */
  blur: number;
  /** brightness gain (1: as the chip is) */
  gain: number;
}

export type SceneKind = 'drift' | 'scale' | 'rotate' | 'blur' | 'brightness' | 'mixed' | 'cross' | 'leave' | 'still';
export const SCENE_KINDS: readonly SceneKind[] = ['drift', 'scale', 'rotate', 'blur', 'brightness', 'mixed', 'cross', 'leave', 'still'];

export interface SceneFace {
  /** index of the chip (the person) in the caller's chip list */
  subject: number;
  /** pose in each frame; null where the face is out of the picture */
  poses: Array<FacePose | null>;
}

export interface Scene {
  kind: SceneKind;
  seed: number;
  width: number;
  height: number;
  frames: number;
  /** in drawing order: a later face occludes an earlier one */
  faces: SceneFace[];
  /** sd of per-pixel sensor noise, grey levels (0: none) */
  noise: number;
  /** repeat[t] = 1: frame t is an exact copy of frame t - 1 (a duplicated frame) */
  repeat: Uint8Array;
}

export interface SceneOptions {
  frames?: number;
  width?: number;
  height?: number;
  /** 'leave': frames the face stays out of the picture (default 20) */
  away?: number;
  /** sensor noise sd, grey levels (default 0; 'still' uses 2) */
  noise?: number;
}

const rad = (deg: number) => (deg * Math.PI) / 180;

/**
 * The geometry of a scene of `kind`, seeded: every face's pose in every frame. Faces are 100-220 px;
 * 'rotate' and 'mixed' stay within 8 degrees, blur up to sigma 2.5 px, brightness gain 0.6-1.4.
 */
export function makeScene(kind: SceneKind, seed: number, opts: SceneOptions = {}): Scene {
  const W = opts.width ?? 640, H = opts.height ?? 480, N = opts.frames ?? 90;
  const rnd = makeRng(seed ^ 0x5eed);
  const u = (lo: number, hi: number) => lo + (hi - lo) * rnd();
  const phase = () => u(0, 2 * Math.PI);
  const still = (): FacePose => ({ cx: W / 2 + u(-40, 40), cy: H / 2 + u(-30, 30), size: u(130, 170), angle: u(-2, 2), blur: 0, gain: 1 });
  const faces: SceneFace[] = [];
  const repeat = new Uint8Array(N);
  const one = (f: (t: number, p: FacePose) => FacePose | null) => {
    const base = still();
    faces.push({ subject: 0, poses: Array.from({ length: N }, (_, t) => f(t, { ...base })) });
  };
  // smooth wandering: a sum of two sines per coordinate, periods of 40-120 frames
  const wander = (amp: number) => {
    const a = [u(0.5, 1), u(0.2, 0.5)].map((k) => k * amp), p = [u(40, 120), u(20, 60)], ph = [phase(), phase()];
    return (t: number) => a[0] * Math.sin((2 * Math.PI * t) / p[0] + ph[0]) + a[1] * Math.sin((2 * Math.PI * t) / p[1] + ph[1]);
  };
  switch (kind) {
    case 'drift': {
      const wx = wander(150), wy = wander(80);
      one((t, p) => ({ ...p, cx: W / 2 + wx(t), cy: H / 2 + wy(t) }));
      break;
    }
    case 'scale': {
      const per = u(50, 90), ph = phase();
      one((t, p) => ({ ...p, size: 150 + 65 * Math.sin((2 * Math.PI * t) / per + ph) }));
      break;
    }
    case 'rotate': {
      const per = u(30, 60), ph = phase();
      one((t, p) => ({ ...p, angle: 8 * Math.sin((2 * Math.PI * t) / per + ph) }));
      break;
    }
    case 'blur': {
      const per = u(40, 80), ph = phase();
      one((t, p) => ({ ...p, blur: 1.25 * (1 - Math.cos((2 * Math.PI * t) / per + ph)) }));
      break;
    }
    case 'brightness': {
      const per = u(40, 80), ph = phase();
      one((t, p) => ({ ...p, gain: 1 + 0.4 * Math.sin((2 * Math.PI * t) / per + ph) }));
      break;
    }
    case 'mixed': {
      const wx = wander(120), wy = wander(60), ps = u(50, 90), pa = u(30, 60), pb = u(40, 80), pg = u(40, 80);
      const [hs, ha, hb, hg] = [phase(), phase(), phase(), phase()];
      one((t, p) => ({
        cx: W / 2 + wx(t),
        cy: H / 2 + wy(t),
        size: 150 + 50 * Math.sin((2 * Math.PI * t) / ps + hs),
        angle: 6 * Math.sin((2 * Math.PI * t) / pa + ha),
        blur: 1.0 * (1 - Math.cos((2 * Math.PI * t) / pb + hb)),
        gain: 1 + 0.3 * Math.sin((2 * Math.PI * t) / pg + hg),
      }));
      break;
    }
    case 'cross': {
      // two faces on horizontal paths in opposite directions, crossing in the middle; the second is
      // drawn over the first, so the first is hidden for a few frames around the crossing
      const y0 = H / 2 + u(-20, 20), dy = u(-30, 30), s0 = u(115, 135), s1 = u(95, 115), margin = 110;
      for (let k = 0; k < 2; k++) {
        const from = k === 0 ? margin : W - margin, to = k === 0 ? W - margin : margin;
        const ha = phase(), hg = phase();
        faces.push({
          subject: k,
          poses: Array.from({ length: N }, (_, t) => ({
            cx: from + ((to - from) * t) / (N - 1),
            cy: y0 + (k === 0 ? 0 : dy),
            size: k === 0 ? s0 : s1,
            angle: 3 * Math.sin(t / 9 + ha),
            blur: 0,
            gain: 1 + 0.15 * Math.sin(t / 11 + hg),
          })),
        });
      }
      break;
    }
    case 'leave': {
      // out through the right edge, away for `away` frames, back through the same edge
      const away = opts.away ?? 20, go = Math.max(2, Math.floor((N - away) / 2));
      const x0 = W / 2 + u(-60, 0), y = H / 2 + u(-30, 30), size = u(120, 150), out = W + size;
      one((t, p) => {
        if (t >= go && t < go + away) return null;
        const s = t < go ? t / (go - 1) : 1 - (t - go - away) / Math.max(1, N - go - away - 1);
        return { ...p, cx: x0 + (out - x0) * Math.min(1, Math.max(0, s)), cy: y, size };
      });
      break;
    }
    case 'still': {
      // a face that barely moves; every second frame repeated exactly (a 15 fps source in a 30 fps
      // stream), sensor noise on the others
      const wx = wander(3);
      one((t, p) => ({ ...p, cx: p.cx + wx(t) }));
      for (let t = 1; t < N; t += 2) repeat[t] = 1;
      break;
    }
  }
  return { kind, seed, width: W, height: H, frames: N, faces, noise: opts.noise ?? (kind === 'still' ? 2 : 0), repeat };
}

/** A chip point (fractions of the chip side) placed in the frame by `p`. */
export function chipToFrame(q: Point, p: FacePose): Point {
  const a = rad(-p.angle);
  const x = (q.x - 0.5) * p.size, y = (q.y - 0.5) * p.size;
  return { x: p.cx + x * Math.cos(a) - y * Math.sin(a), y: p.cy + x * Math.sin(a) + y * Math.cos(a) };
}

/** What a perfect detector reports for a face in one frame. */
export interface TruthFace {
  /** the scene's face index (the ground-truth identity) */
  face: number;
  subject: number;
  box: Box;
  keypoints: Point[];
  pose: FacePose;
  /** fraction of the box inside the frame */
  inside: number;
  /** fraction of the box covered by faces drawn over it */
  occluded: number;
  /** inside >= 0.6 and occluded <= 0.5: a detector finds it */
  visible: boolean;
}

function boxOf(p: FacePose): Box {
  const c = chipToFrame({ x: CHIP_BOX.x + CHIP_BOX.width / 2, y: CHIP_BOX.y + CHIP_BOX.height / 2 }, p);
  const w = CHIP_BOX.width * p.size, h = CHIP_BOX.height * p.size;
  return { x: c.x - w / 2, y: c.y - h / 2, width: w, height: h };
}

/** The faces present in frame t (out-of-picture faces omitted), in drawing order. */
export function truthAt(scene: Scene, t: number): TruthFace[] {
  const out: TruthFace[] = [];
  const frame: Box = { x: 0, y: 0, width: scene.width, height: scene.height };
  scene.faces.forEach((f, i) => {
    const p = f.poses[t];
    if (!p) return;
    const box = boxOf(p);
    const area = box.width * box.height;
    out.push({ face: i, subject: f.subject, box, keypoints: CHIP_KEYPOINTS.map((q) => chipToFrame(q, p)), pose: p, inside: intersection(box, frame) / area, occluded: 0, visible: false });
  });
  for (let i = 0; i < out.length; i++) {
    const a = out[i];
    // occlusion by later faces (boxes; overlaps of two occluders are not subtracted: an upper bound)
    for (let j = i + 1; j < out.length; j++) a.occluded += intersection(a.box, out[j].box) / (a.box.width * a.box.height);
    a.occluded = Math.min(1, a.occluded);
    a.visible = a.inside >= 0.6 && a.occluded <= 0.5;
  }
  return out;
}

/** A face chip and its label. */
export interface Chip {
  file: string;
  age: number;
  image: RgbImage;
}

/** `n` UTKFace test-split chips picked by `seed` (distinct, in a seeded order). */
export function loadTestChips(dir: string, n: number, seed: number): Chip[] {
  const rows = readLabels(dir).filter((r) => r.split === 'test');
  const rnd = makeRng(seed);
  const picked = new Set<number>();
  while (picked.size < Math.min(n, rows.length)) picked.add(Math.floor(rnd() * rows.length));
  const idir = imageDir(dir);
  return [...picked].map((i) => ({ file: rows[i].file, age: rows[i].age, image: decodeImage(new Uint8Array(fs.readFileSync(path.join(idir, rows[i].file))), rows[i].file) }));
}

/** RGBA frames of a scene. Frames are rendered on demand; a repeated frame equals the one before. */
export class SceneRenderer {
  readonly scene: Scene;
  private readonly chips: readonly Chip[];
  private readonly background: Uint8ClampedArray;
  private tmp = new Float32Array(0);
  private chipF = new Float32Array(0);

  /** `chips[f.subject]` is pasted for each face f of the scene. */
  constructor(scene: Scene, chips: readonly Chip[]) {
    for (const f of scene.faces) if (!chips[f.subject]) throw new Error(`scene face needs chip ${f.subject}, got ${chips.length} chips`);
    this.scene = scene;
    this.chips = chips;
    // a static background: a colour gradient with a soft texture (the same in every frame)
    const { width: W, height: H } = scene;
    const rnd = makeRng(scene.seed ^ 0xbac6);
    const c0 = [0, 1, 2].map(() => 50 + 150 * rnd()), c1 = [0, 1, 2].map(() => 50 + 150 * rnd());
    const fx = 0.01 + 0.04 * rnd(), fy = 0.01 + 0.04 * rnd();
    this.background = new Uint8ClampedArray(W * H * 4);
    for (let y = 0, i = 0; y < H; y++)
      for (let x = 0; x < W; x++, i += 4) {
        const g = (x / W + y / H) / 2, tex = 18 * Math.sin(x * fx) * Math.cos(y * fy);
        for (let c = 0; c < 3; c++) this.background[i + c] = c0[c] * (1 - g) + c1[c] * g + tex;
        this.background[i + 3] = 255;
      }
  }

  /** Frame t as RGBA (width * height * 4 bytes), written into `out` when given. */
  render(t: number, out?: Uint8ClampedArray): Uint8ClampedArray {
    const { scene } = this;
    const { width: W, height: H } = scene;
    let s = t;
    while (s > 0 && scene.repeat[s]) s--; // a repeated frame is the frame it repeats
    const frame = out ?? new Uint8ClampedArray(W * H * 4);
    frame.set(this.background);
    if (scene.noise > 0) {
      const rnd = makeRng((scene.seed * 7919 + s) >>> 0);
      for (let i = 0; i < frame.length; i += 4) {
        // Irwin-Hall(4) approximation of a Gaussian, sd = scene.noise
        const n = (rnd() + rnd() + rnd() + rnd() - 2) * Math.sqrt(3) * scene.noise;
        frame[i] += n;
        frame[i + 1] += n;
        frame[i + 2] += n;
      }
    }
    for (const f of scene.faces) {
      const p = f.poses[s];
      if (p) this.paste(frame, this.chips[f.subject].image, p);
    }
    return frame;
  }

  private paste(frame: Uint8ClampedArray, chip: RgbImage, p: FacePose): void {
    const { width: W, height: H } = this.scene;
    const side = chip.width;
    if (chip.height !== side) throw new Error('chips must be square');
    const n = side * side * 3;
    if (this.chipF.length < n) {
      this.chipF = new Float32Array(n);
      this.tmp = new Float32Array(n);
    }
    const sigma = (p.blur * side) / p.size; // the blur in chip pixels
    if (sigma > 0.2) gaussianBlurRgb(chip.data, 0, side, side, sigma, 3, this.tmp, this.chipF, 0);
    else for (let i = 0; i < n; i++) this.chipF[i] = chip.data[i];
    const src = this.chipF;
    const a = rad(-p.angle), cos = Math.cos(a), sin = Math.sin(a), k = side / p.size;
    const r = (p.size * Math.SQRT2) / 2 + 2;
    const x0 = Math.max(0, Math.floor(p.cx - r)), x1 = Math.min(W - 1, Math.ceil(p.cx + r));
    const y0 = Math.max(0, Math.floor(p.cy - r)), y1 = Math.min(H - 1, Math.ceil(p.cy + r));
    for (let y = y0; y <= y1; y++)
      for (let x = x0; x <= x1; x++) {
        // the frame pixel's centre, rotated back into chip pixels
        const dx = x + 0.5 - p.cx, dy = y + 0.5 - p.cy;
        const cu = (dx * cos + dy * sin) * k + side / 2 - 0.5;
        const cv = (-dx * sin + dy * cos) * k + side / 2 - 0.5;
        if (cu < -0.5 || cv < -0.5 || cu > side - 0.5 || cv > side - 0.5) continue;
        const uc = Math.min(side - 1, Math.max(0, cu)), vc = Math.min(side - 1, Math.max(0, cv));
        const u0 = Math.min(side - 2, Math.floor(uc)), v0 = Math.min(side - 2, Math.floor(vc));
        const fu = uc - u0, fv = vc - v0;
        const o = (y * W + x) * 4, i00 = (v0 * side + u0) * 3, i10 = i00 + side * 3;
        for (let c = 0; c < 3; c++) {
          const top = src[i00 + c] * (1 - fu) + src[i00 + 3 + c] * fu, bot = src[i10 + c] * (1 - fu) + src[i10 + 3 + c] * fu;
          frame[o + c] = (top * (1 - fv) + bot * fv) * p.gain;
        }
      }
  }
}

/**
 * A side x side RGB chip cut from an RGBA frame, framed like a UTKFace chip around a face with these
 * keypoints (image pixels, detector order): the least-squares similarity from CHIP_KEYPOINTS' eyes
 * and mouth (times `side`) to the keypoints' eyes and mouth, sampled bilinearly at pixel centres;
 * mid-grey outside the frame. What the estimator's detector path does in wasm, here in plain TS.
 */
export function cropAligned(frame: Uint8ClampedArray | Uint8Array, width: number, height: number, keypoints: readonly Point[], side: number, out?: Uint8Array): Uint8Array {
  const idx = [0, 1, 3];
  let fx = 0, fy = 0, tx = 0, ty = 0;
  for (const i of idx) {
    fx += CHIP_KEYPOINTS[i].x * side;
    fy += CHIP_KEYPOINTS[i].y * side;
    tx += keypoints[i].x;
    ty += keypoints[i].y;
  }
  fx /= 3; fy /= 3; tx /= 3; ty /= 3;
  let sxx = 0, na = 0, nb = 0;
  for (const i of idx) {
    const px = CHIP_KEYPOINTS[i].x * side - fx, py = CHIP_KEYPOINTS[i].y * side - fy, qx = keypoints[i].x - tx, qy = keypoints[i].y - ty;
    sxx += px * px + py * py;
    na += px * qx + py * qy;
    nb += px * qy - py * qx;
  }
  const a = na / sxx, b = nb / sxx;
  const dst = out ?? new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      const px = x + 0.5 - fx, py = y + 0.5 - fy;
      const sx = a * px - b * py + tx - 0.5, sy = b * px + a * py + ty - 0.5;
      const o = (y * side + x) * 3;
      if (sx < 0 || sy < 0 || sx > width - 1 || sy > height - 1) {
        dst[o] = dst[o + 1] = dst[o + 2] = 128;
        continue;
      }
      const x0 = Math.min(width - 2, Math.floor(sx)), y0 = Math.min(height - 2, Math.floor(sy));
      const u = sx - x0, v = sy - y0, i00 = (y0 * width + x0) * 4, i10 = i00 + width * 4;
      for (let c = 0; c < 3; c++) {
        const top = frame[i00 + c] * (1 - u) + frame[i00 + 4 + c] * u, bot = frame[i10 + c] * (1 - u) + frame[i10 + 4 + c] * u;
        dst[o + c] = Math.round(top * (1 - v) + bot * v);
      }
    }
  return dst;
}

function cli(argv: string[]): void {
  const { values: a } = parseArgs({
    args: argv,
    options: {
      kind: { type: 'string', default: 'mixed' },
      seed: { type: 'string', default: '1' },
      frames: { type: 'string', default: '90' },
      fps: { type: 'string', default: '30' },
      out: { type: 'string' },
      truth: { type: 'string' },
      data: { type: 'string', default: DEFAULT_DATA_DIR },
    },
  });
  if (!a.out || !SCENE_KINDS.includes(a.kind as SceneKind)) {
    console.error(`usage: npx tsx train/video.ts --kind ${SCENE_KINDS.join('|')} --seed N [--frames 90] [--fps 30] --out scene.y4m [--truth scene.jsonl] [--data DIR]`);
    process.exit(2);
  }
  const seed = Number(a.seed);
  const scene = makeScene(a.kind as SceneKind, seed, { frames: Number(a.frames) });
  const chips = loadTestChips(a.data!, Math.max(...scene.faces.map((f) => f.subject)) + 1, seed);
  const renderer = new SceneRenderer(scene, chips);
  const writer = new Y4mWriter(a.out, scene.width, scene.height, Number(a.fps));
  const frame = new Uint8ClampedArray(scene.width * scene.height * 4);
  const lines: string[] = [];
  for (let t = 0; t < scene.frames; t++) {
    writer.write(renderer.render(t, frame));
    lines.push(JSON.stringify({ t, faces: truthAt(scene, t).map((f) => ({ face: f.face, file: chips[f.subject].file, label: chips[f.subject].age, box: f.box, keypoints: f.keypoints, visible: f.visible })) }));
  }
  writer.close();
  if (a.truth) fs.writeFileSync(a.truth, lines.join('\n') + '\n');
  console.log(`${a.out}: ${scene.kind} seed ${seed}, ${writer.frames} frames ${scene.width}x${scene.height} at ${a.fps} fps (chips: ${chips.map((c) => `${c.file} (${c.age})`).join(', ')})`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) cli(process.argv.slice(2));
