/**
 * examples/video-node/track.mjs from the packed package: ffmpeg decodes an MP4 (H.264) of the fake
 * camera's two people into PAM frames, the tracker follows them. Skipped (with a message) without
 * ffmpeg; without the UTKFace data it runs on a video of a synthetic picture (no face).
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cameraVideo, fakeCamera, nodeCameraAges } from './fake-camera.ts';
import { modelFile, must, packed, ROOT, run } from './util.ts';

test('examples/video-node: an MP4 through ffmpeg, one JSON line per frame, two people with steady ages', async () => {
  const mp4 = await cameraVideo('mp4');
  if (!mp4) return console.log('  SKIP: ffmpeg is not installed (apt-get install -y ffmpeg): the example decodes video with it');
  const cam = await fakeCamera();
  const { project } = await packed();
  copyFileSync(join(ROOT, 'examples/video-node/track.mjs'), join(project, 'track.mjs'));
  if (await modelFile()) return console.log('  SKIP: no default model is installed (the example uses the built-in one)');
  const r = must(await run(process.execPath, ['track.mjs', mp4], { cwd: project, timeoutMs: 120_000 }), 'track.mjs');
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { frame: number; faces: { id: number; box: number[]; age: number | null }[] });
  console.log(`  ${r.stderr.trim().split('\n').filter((l) => /^person|frames of/.test(l)).join('; ')}`);
  assert.is(lines.length, cam.frames, 'one line per frame');
  assert.equal(lines.map((l) => l.frame), [...Array(cam.frames).keys()]);
  if (!cam.real) return assert.ok(lines.every((l) => l.faces.length === 0), 'no face in the synthetic picture');
  const ids = [...new Set(lines.flatMap((l) => l.faces.map((f) => f.id)))];
  assert.equal(ids, [1, 2], 'two people, two ids');
  const ref = (await nodeCameraAges()).mean;
  const last = [...lines[lines.length - 1].faces].sort((a, b) => a.box[0] - b.box[0]);
  // H.264 at crf 18 moves each frame's age a little; the steady age stays near Node's on the raw frames
  last.forEach((f, k) => assert.ok(f.age !== null && Math.abs(f.age - ref[k]) < 2, `person ${k}: ${f.age} vs ${ref[k]}`));
  assert.match(r.stderr, /person #1: \d+ frames, age/);
});

test.run();
