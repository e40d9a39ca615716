/**
 * The synthetic video of train/video.ts and the .y4m writer of train/y4m.ts. The generator's
 * checks run on synthetic chips (no data) and, where the UTKFace chips are present
 * (../shared/data/utkface or DAA_DATA), on real test chips; without them those print a SKIP line.
 */
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { poseOf } from '../../src/track/geometry.ts';
import { DEFAULT_DATA_DIR, readLabels } from '../../train/data.ts';
import { cropAligned, loadTestChips, makeScene, SCENE_KINDS, SceneRenderer, truthAt, type Chip } from '../../train/video.ts';
import { i420Bytes, i420ToRgba, parseY4m, rgbaToI420, y4mHeader, Y4mWriter } from '../../train/y4m.ts';
import { syntheticChip } from './util.ts';

const HAVE_DATA = fs.existsSync(path.join(DEFAULT_DATA_DIR, 'labels.csv'));
const meanAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
};

test('scenes: deterministic per seed, 640 x 480, every kind; the geometry each kind promises', () => {
  for (const kind of SCENE_KINDS) {
    const a = makeScene(kind, 5), b = makeScene(kind, 5), c = makeScene(kind, 6);
    assert.equal(a, b, kind);
    assert.not.equal(a.faces[0].poses, c.faces[0].poses, kind);
    assert.is(a.width, 640);
    assert.is(a.height, 480);
    for (const f of a.faces)
      for (const p of f.poses) {
        if (!p) continue;
        assert.ok(p.size >= 80 && p.size <= 230, `${kind}: size ${p.size}`);
        assert.ok(Math.abs(p.angle) <= 8.01, `${kind}: angle ${p.angle}`);
        assert.ok(p.blur >= 0 && p.blur <= 2.51 && p.gain >= 0.59 && p.gain <= 1.41, kind);
      }
  }
  const cross = makeScene('cross', 3);
  assert.is(cross.faces.length, 2);
  assert.ok(Array.from({ length: cross.frames }, (_, t) => truthAt(cross, t)).some((fs) => fs.some((f) => !f.visible)), 'crossing hides a face');
  const leave = makeScene('leave', 3, { away: 15 });
  assert.is(leave.faces[0].poses.filter((p) => p === null).length, 15);
  const still = makeScene('still', 3);
  assert.is(still.repeat.reduce((x, y) => x + y, 0), Math.floor(still.frames / 2));
});

test('truth keypoints follow the pasted chip: roll = -angle, crops at them give the chip back (synthetic chips)', () => {
  for (const kind of ['rotate', 'drift', 'scale'] as const)
    for (let seed = 1; seed <= 3; seed++) {
      const scene = makeScene(kind, seed);
      const chip = syntheticChip(seed);
      const r = new SceneRenderer(scene, [chip]);
      for (const t of [0, 17, 45]) {
        const f = truthAt(scene, t)[0];
        const pose = poseOf(f.keypoints, { roll: 0, yaw: 0, pitch: 0 });
        assert.ok(Math.abs(pose.roll + f.pose.angle) < 1e-6, `${kind} seed ${seed} t ${t}: roll ${pose.roll} angle ${f.pose.angle}`);
        assert.ok(Math.abs(pose.yaw) < 0.02 && Math.abs(pose.pitch) < 0.02);
        const crop = cropAligned(r.render(t), scene.width, scene.height, f.keypoints, 128);
        const d = meanAbs(crop, chip.image.data);
        assert.ok(d < 8, `${kind} seed ${seed} t ${t}: crop vs chip mean abs ${d.toFixed(2)}`);
      }
    }
});

test('frames: repeated frames are byte-identical, sensor noise differs, blur and gain change the face', () => {
  const still = makeScene('still', 2);
  const r = new SceneRenderer(still, [syntheticChip(2)]);
  assert.equal(r.render(1), r.render(0));
  assert.not.equal(r.render(2), r.render(0));
  const blur = makeScene('blur', 2);
  const rb = new SceneRenderer(blur, [syntheticChip(2)]);
  const ts = blur.faces[0].poses.map((p, t) => [p!.blur, t]).sort((a, b) => a[0] - b[0]);
  const sharp = ts[0][1], soft = ts[ts.length - 1][1];
  const f = truthAt(blur, sharp)[0];
  const d = meanAbs(cropAligned(rb.render(sharp), 640, 480, f.keypoints, 128), cropAligned(rb.render(soft), 640, 480, f.keypoints, 128));
  assert.ok(d > 2, `blur changes the face: ${d}`);
});

test('y4m: Chromium-readable header and frame markers, sizes, round trip within the 4:2:0 loss', () => {
  assert.is(y4mHeader(640, 480, 30), 'YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\n');
  assert.throws(() => y4mHeader(640, 480, 29.97));
  assert.is(i420Bytes(640, 480), 640 * 480 * 1.5);
  assert.is(i420Bytes(5, 3), 15 + 2 * 3 * 2);
  // flat colours survive exactly enough (chroma subsampling loses nothing on flat blocks)
  for (const [r, g, b] of [[0, 0, 0], [255, 255, 255], [200, 30, 90], [12, 240, 128]]) {
    const px = new Uint8ClampedArray(4 * 4 * 4);
    for (let i = 0; i < 16; i++) px.set([r, g, b, 255], i * 4);
    const back = i420ToRgba(rgbaToI420(px, 4, 4), 4, 4);
    for (let i = 0; i < 16; i++) for (let c = 0; c < 3; c++) assert.ok(Math.abs(back[i * 4 + c] - [r, g, b][c]) <= 2, `${[r, g, b]} -> ${Array.from(back.slice(i * 4, i * 4 + 3))}`);
  }
  // a rendered scene to a file and back
  const scene = makeScene('cross', 1, { frames: 6 });
  const rend = new SceneRenderer(scene, [syntheticChip(1), syntheticChip(2)]);
  const file = path.join(fs.mkdtempSync(path.join(tmpdir(), 'daa-y4m-')), 'cross.y4m');
  const w = new Y4mWriter(file, 640, 480, 30);
  const frames = Array.from({ length: 6 }, (_, t) => rend.render(t));
  for (const f of frames) w.write(f);
  w.close();
  const bytes = new Uint8Array(fs.readFileSync(file));
  const header = y4mHeader(640, 480, 30);
  assert.ok(header.length < 200, "Chromium reads at most 200 header bytes");
  assert.is(bytes.length, header.length + 6 * (6 + i420Bytes(640, 480)));
  const y = parseY4m(bytes);
  assert.is(y.frames.length, 6);
  assert.equal([y.width, y.height, y.fps, y.colorspace], [640, 480, [30, 1], '420jpeg']);
  for (let t = 0; t < 6; t++) {
    const back = i420ToRgba(y.frames[t], 640, 480);
    const d = meanAbs(back, frames[t]);
    assert.ok(d < 3, `frame ${t}: mean abs ${d.toFixed(2)} after 4:2:0`);
  }
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  // odd sizes: chroma planes round up
  const odd = new Uint8ClampedArray(5 * 3 * 4).fill(100);
  assert.is(rgbaToI420(odd, 5, 3).length, i420Bytes(5, 3));
});

test('UTKFace chips: test split only, distinct, seeded; crops at the truth keypoints give the chip back', () => {
  if (!HAVE_DATA) return console.log(`  SKIP: no UTKFace data at ${DEFAULT_DATA_DIR} (set DAA_DATA): real-chip scenes not checked`);
  const test = new Set(readLabels(DEFAULT_DATA_DIR).filter((r) => r.split === 'test').map((r) => r.file));
  const chips: Chip[] = loadTestChips(DEFAULT_DATA_DIR, 8, 11);
  assert.is(new Set(chips.map((c) => c.file)).size, 8);
  for (const c of chips) assert.ok(test.has(c.file), `${c.file} is a test chip`);
  assert.equal(loadTestChips(DEFAULT_DATA_DIR, 8, 11).map((c) => c.file), chips.map((c) => c.file));
  for (const kind of ['mixed', 'cross'] as const) {
    const scene = makeScene(kind, 11);
    const r = new SceneRenderer(scene, chips);
    for (const t of [0, 30, 60]) {
      const frame = r.render(t);
      for (const f of truthAt(scene, t)) {
        if (!f.visible || f.occluded > 0 || f.pose.blur > 0.3) continue;
        const crop = cropAligned(frame, scene.width, scene.height, f.keypoints, 128);
        const chip = chips[f.subject].image.data;
        // the gain scales the chip; undo it for the comparison
        const scaled = Uint8Array.from(chip, (v) => Math.min(255, Math.round(v * f.pose.gain)));
        const d = meanAbs(crop, scaled);
        assert.ok(d < 10, `${kind} t ${t} face ${f.face}: crop vs chip mean abs ${d.toFixed(2)}`);
      }
    }
  }
});

test.run();
