/**
 * createTracker({ estimator }) on the package's own detector and age model, over rendered sequences
 * of UTKFace test chips (train/video.ts; seeds 11-14, not the bench's 201-203): two faces that cross
 * (the rear one hidden behind the other for a few frames), mixed motion (a face the whole-image
 * search misses for frames on end while it is blurred) and a face that leaves through the edge and
 * returns keep their ids, with one full detection and a scan (scanFaces) on every later frame; and refineFace with
 * `{ age: true }`, the tracker's step between detections, reads what refineFace then estimateFace
 * read, from one copy of the frame. Needs the UTKFace chips and a shipped default model; prints a
 * SKIP line without them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createEstimator, createTracker, OptionsError, type Estimator } from '../../src/index.ts';
import { DEFAULT_MODEL } from '../../src/generated/assets.ts';
import { DEFAULT_DATA_DIR } from '../../train/data.ts';
import { loadTestChips, makeScene, SCENE_KINDS, SceneRenderer, truthAt, type SceneKind } from '../../train/video.ts';
import { Identities, matchByIoU } from './util.ts';

const HAVE_DATA = fs.existsSync(path.join(DEFAULT_DATA_DIR, 'labels.csv'));
const skip = () => {
  if (!HAVE_DATA) return console.log(`  SKIP: no UTKFace data at ${DEFAULT_DATA_DIR} (set DAA_DATA): estimator tracking not run`), true;
  if (!DEFAULT_MODEL) return console.log('  SKIP: no shipped default model in this build: estimator tracking not run'), true;
  return false;
};
let est: Estimator | null = null;
const estimator = async () => (est ??= await createEstimator());

function render(kind: SceneKind, seed: number) {
  const scene = makeScene(kind, seed, { frames: 60 });
  const chips = loadTestChips(DEFAULT_DATA_DIR, 2, 1000 * seed + SCENE_KINDS.indexOf(kind));
  return { scene, renderer: new SceneRenderer(scene, chips) };
}

test('refineFace with { age: true }: the face refineFace finds, with the age estimateFace reads for it; the option is checked', async () => {
  if (skip()) return;
  const e = await estimator();
  const { scene, renderer } = render('drift', 11);
  for (const t of [0, 20, 40]) {
    const frame = { data: renderer.render(t), width: scene.width, height: scene.height };
    const truth = truthAt(scene, t)[0];
    const seed = { box: truth.box, keypoints: truth.keypoints };
    const face = e.refineFace(frame, seed);
    const withAge = e.refineFace(frame, seed, { age: true });
    assert.ok(face && withAge, `frame ${t}: face found`);
    assert.equal(withAge!.box, face!.box);
    assert.equal(withAge!.keypoints, face!.keypoints);
    const ref = e.estimateFace(frame, face!);
    assert.is(withAge!.age, ref.age, `frame ${t}`);
    assert.is(withAge!.spread, ref.spread);
    assert.equal(withAge!.perTemplate, ref.perTemplate);
    assert.not.ok('age' in face!, 'without the option: no age');
  }
  const frame = { data: renderer.render(0), width: scene.width, height: scene.height };
  const seed = { box: truthAt(scene, 0)[0].box, keypoints: truthAt(scene, 0)[0].keypoints };
  assert.throws(() => e.refineFace(frame, seed, { age: 'yes' as unknown as boolean }), (err: unknown) => err instanceof OptionsError && /age must be true or false/.test(String(err)));
  assert.throws(() => e.refineFace(frame, seed, { ages: true } as never), (err: unknown) => err instanceof OptionsError && /age/.test(String(err)));
  // others: faces far from the seed change nothing; one within the look's window makes it look at
  // the full 128 x 128 input (the face still found, keypoints measured at the higher resolution)
  const alone = e.refineFace(frame, seed, { age: true })!;
  const far = { x: seed.box.x + 20 * seed.box.width, y: seed.box.y, width: seed.box.width, height: seed.box.height };
  assert.equal(e.refineFace(frame, seed, { age: true, others: [far] }), alone, 'a face far away changes nothing');
  const close = { ...seed.box, x: seed.box.x + 0.8 * seed.box.width };
  const crowded = e.refineFace(frame, seed, { age: true, others: [close] });
  assert.ok(crowded && Math.abs(crowded.box.x - alone.box.x) < 0.1 * seed.box.width, 'with a face close by: the same face found');
  assert.not.equal(crowded!.keypoints, alone.keypoints, 'with a face close by: a different (full-resolution) look');
  assert.throws(() => e.refineFace(frame, seed, { others: 'x' as never }), (err: unknown) => err instanceof OptionsError && /others must be an array/.test(String(err)));
  assert.throws(() => e.refineFace(frame, seed, { others: [{ x: 0, y: 0, width: -1, height: 5 }] }), (err: unknown) => err instanceof OptionsError && /others\[0\]/.test(String(err)));
  assert.ok(e.refineFace(frame, seed), 'usable after the errors');
});

test('ids with the real detector: crossing faces (the rear one hidden), a blurred face the whole-image search misses, a face that leaves and returns (4 seeds each); one full detection, then scans', async () => {
  if (skip()) return;
  const e = await estimator();
  const lines: string[] = [];
  for (const kind of ['cross', 'mixed', 'leave'] as const)
    for (let seed = 11; seed <= 14; seed++) {
      const { scene, renderer } = render(kind, seed);
      const tracker = createTracker({ estimator: e });
      const ids = new Identities();
      let visible = 0, followed = 0;
      for (let t = 0; t < scene.frames; t++) {
        const faces = tracker.update({ data: renderer.render(t), width: scene.width, height: scene.height });
        const truth = truthAt(scene, t).filter((f) => f.visible);
        // each visible face to the reported face that overlaps it most (one each)
        matchByIoU(truth, faces).forEach((f, i) => {
          visible++;
          if (!f) return;
          followed++;
          ids.record(t, f.id, truth[i].face);
        });
      }
      const at = `${kind} seed ${seed}`;
      assert.equal(ids.switches, [], at);
      assert.equal(ids.shared, [], at);
      assert.ok(followed >= 0.9 * visible, `${at}: ${followed} of ${visible} visible faces followed`);
      assert.is(tracker.stats.detections, 1, `${at}: full detections`);
      assert.is(tracker.stats.scans, scene.frames - 1 - tracker.stats.skipped, `${at}: a scan on every processed frame after the first`);
      if (kind === 'leave') assert.is(tracker.stats.tracks, 1, `${at}: the face that came back kept its id`);
      lines.push(`${at}: ${followed} / ${visible} followed, ${tracker.stats.detections} detections, ${tracker.stats.scans} scans, ${tracker.stats.refines} refines, ${tracker.stats.estimates} estimates, ${tracker.stats.tracks} ids`);
    }
  console.log(lines.map((l) => `  ${l}`).join('\n'));
});

test.after(() => est?.dispose());
test.run();
