/**
 * The .y4m file that Chromium's fake camera plays in the browser tests
 * (--use-fake-device-for-media-stream --use-file-for-fake-video-capture=<file>; Chromium loops it):
 *  - with the UTKFace data: two test chips pasted into a 640x480 scene, each drifting, turning a few
 *    degrees and brightening on a closed path whose period is the file's length, so that the loop
 *    has no jump (a jump at the loop point would be a teleporting face, not what a camera shows);
 *  - without it: a synthetic picture (no face), enough for the <video> input checks.
 * The frames are also returned as the RGBA Chromium shows (our own I420 -> RGB, BT.601 limited
 * range) for the Node references.
 */
import type { Scene } from '../../train/video.ts';
import { DATA_DIR, modelFile, once, syntheticRgba, tmp } from './util.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface FakeCamera {
  /** the .y4m file */
  file: string;
  /** true: UTKFace faces; false: the synthetic picture */
  real: boolean;
  width: number;
  height: number;
  frames: number;
  fps: number;
  /** the scene (real only) and the labelled ages of its two faces, left to right */
  scene: Scene | null;
  labels: number[];
  /** frame t as Chromium decodes it (RGBA) */
  frame(t: number): Uint8ClampedArray;
}

const W = 640, H = 480, N = 90, FPS = 30;

const cameras = new Map<number, Promise<FakeCamera>>();

/** The camera with `people` faces (2: the tests' scene; 1: its left face alone, centred, for the bench). */
export function fakeCamera(people: 1 | 2 = 2): Promise<FakeCamera> {
  let c = cameras.get(people);
  if (!c) cameras.set(people, (c = makeCamera(people)));
  return c;
}

async function makeCamera(people: 1 | 2): Promise<FakeCamera> {
  const { Y4mWriter, rgbaToI420, i420ToRgba } = await import('../../train/y4m.ts');
  const file = tmp(`fake-camera-${people}.y4m`);
  const seen = (rgba: Uint8ClampedArray | Uint8Array) => i420ToRgba(rgbaToI420(rgba, W, H), W, H);
  if (!existsSync(join(DATA_DIR, 'labels.csv'))) {
    const still = seen(syntheticRgba(W, H));
    const out = new Y4mWriter(file, W, H, FPS);
    for (let t = 0; t < 2; t++) out.write(still);
    out.close();
    return { file, real: false, width: W, height: H, frames: 2, fps: FPS, scene: null, labels: [], frame: () => still };
  }
  const { loadTestChips, SceneRenderer } = await import('../../train/video.ts');
  const chips = loadTestChips(DATA_DIR, 2, 20261205);
  const loop = (t: number, k: number) => Math.sin((2 * Math.PI * (t + k * 17)) / N);
  const scene: Scene = {
    kind: 'drift',
    seed: 20261205,
    width: W,
    height: H,
    frames: N,
    noise: 0,
    repeat: new Uint8Array(N),
    faces: (people === 2 ? [0, 1] : [0]).map((k) => ({
      subject: k,
      poses: Array.from({ length: N }, (_, t) => ({
        cx: (people === 1 ? 320 : k === 0 ? 190 : 455) + 35 * loop(t, k),
        cy: (k === 0 ? 250 : 225) + 15 * loop(2 * t, k),
        size: k === 0 ? 160 : 135,
        angle: 4 * loop(t + 20, k),
        blur: 0,
        gain: 1 + 0.1 * loop(t + 40, k),
      })),
    })),
  };
  const renderer = new SceneRenderer(scene, chips);
  const out = new Y4mWriter(file, W, H, FPS);
  for (let t = 0; t < N; t++) out.write(renderer.render(t));
  out.close();
  return { file, real: true, width: W, height: H, frames: N, fps: FPS, scene, labels: chips.slice(0, people).map((c) => c.age), frame: (t) => seen(renderer.render(t % N)) };
}

/**
 * Node's per-frame ages of the camera's two faces (every third frame, the sources, the same model),
 * left face first, and their means: what a tracker's steady age should land near.
 */
export const nodeCameraAges = once(async (): Promise<{ perFrame: number[][]; mean: number[] }> => {
  const cam = await fakeCamera();
  if (!cam.real) throw new Error('nodeCameraAges needs the UTKFace data');
  const { createEstimator } = await import('../../src/index.ts');
  const model = await modelFile();
  const est = await createEstimator(model ? { model } : {});
  const perFrame: number[][] = [[], []];
  try {
    for (let t = 0; t < cam.frames; t += 3) {
      const faces = est.estimateAll({ data: cam.frame(t), width: cam.width, height: cam.height });
      if (faces.length !== 2) throw new Error(`node finds ${faces.length} faces in frame ${t} of the fake camera, not 2`);
      const [l, r] = [...faces].sort((a, b) => a.box.x - b.box.x);
      perFrame[0].push(l.age);
      perFrame[1].push(r.age);
    }
  } finally {
    est.dispose();
  }
  return { perFrame, mean: perFrame.map((v) => v.reduce((a, b) => a + b, 0) / v.length) };
});

/** The camera's frames as a video file encoded by ffmpeg (null without ffmpeg): H.264 in MP4, or VP8 in WebM. */
export async function cameraVideo(container: 'mp4' | 'webm'): Promise<string | null> {
  const { spawnSync } = await import('node:child_process');
  if (spawnSync('ffmpeg', ['-version']).status !== 0) return null;
  const cam = await fakeCamera();
  const out = tmp(`fake-camera.${container}`);
  if (existsSync(out)) return out;
  const codec = container === 'mp4' ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18'] : ['-c:v', 'libvpx', '-deadline', 'realtime', '-b:v', '4M'];
  const r = spawnSync('ffmpeg', ['-y', '-v', 'error', '-i', cam.file, ...codec, '-pix_fmt', 'yuv420p', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg could not encode ${out}: ${r.stderr}`);
  return out;
}
