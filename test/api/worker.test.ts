/**
 * daa-wasm/worker's protocol in one process: createWorkerEstimator (the page side) talks to
 * exposeEstimator (the worker side) through a pair of in-process ports that structured-clone every
 * message, as postMessage does. What crosses must be what the estimator and the tracker give in the
 * worker: the same faces, ages, ids; errors as their DaaError classes. The real Web Worker is tested
 * in Chromium (test/runtimes/chromium.test.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createEstimator, createTracker, DaaError, OptionsError, type Estimator } from '../../src/index.ts';
import { createWorkerEstimator, exposeEstimator, type WorkerEstimator, type WorkerLike, type WorkerScopeLike } from '../../src/worker.ts';
import { DATA_DIR, modelFile, syntheticRgba } from '../runtimes/util.ts';

type Listener = (ev: MessageEvent) => void;

/** A page-side Worker and a worker scope joined in this process; messages are cloned and delivered on a later turn. */
function inProcessWorker(): { worker: WorkerLike; scope: WorkerScopeLike; terminated: () => boolean } {
  const toWorker: Listener[] = [], toPage: Listener[] = [];
  let terminated = false;
  const deliver = (listeners: Listener[], message: unknown, transfer: Transferable[] = []) => {
    const data = structuredClone(message, { transfer });
    setImmediate(() => {
      if (!terminated) for (const l of listeners) l({ data } as MessageEvent);
    });
  };
  const worker: WorkerLike = {
    addEventListener: (type: string, l: Listener) => void (type === 'message' && toPage.push(l)),
    postMessage: (m: unknown, t?: Transferable[]) => deliver(toWorker, m, t),
    terminate: () => void (terminated = true),
  } as WorkerLike;
  const scope: WorkerScopeLike = { addEventListener: (_type, l) => void toWorker.push(l), postMessage: (m, t) => deliver(toPage, m, t) };
  return { worker, scope, terminated: () => terminated };
}

let local: Estimator;
let remote: WorkerEstimator;
let pair: ReturnType<typeof inProcessWorker>;
const frames: { data: Uint8ClampedArray; width: number; height: number }[] = [];
let real = false;

test.before(async () => {
  const model = await modelFile();
  const options = model ? { model } : {};
  local = await createEstimator(options);
  pair = inProcessWorker();
  exposeEstimator(pair.scope);
  remote = await createWorkerEstimator(pair.worker, options);
  // frames of a rendered scene (a UTKFace test chip drifting in 640x480), or a synthetic picture without the data
  real = existsSync(join(DATA_DIR, 'labels.csv'));
  if (real) {
    const { loadTestChips, makeScene, SceneRenderer } = await import('../../train/video.ts');
    const r = new SceneRenderer(makeScene('drift', 77, { frames: 12 }), loadTestChips(DATA_DIR, 1, 77));
    for (let t = 0; t < 12; t++) frames.push({ data: r.render(t), width: 640, height: 480 });
  } else {
    for (let t = 0; t < 3; t++) frames.push({ data: new Uint8ClampedArray(syntheticRgba(320, 240)), width: 320, height: 240 });
  }
});

test.after(() => {
  remote?.dispose();
  local?.dispose();
});

test('estimateAll and detectFaces through the worker: what the estimator gives in place, with the image size and times', async () => {
  if (!real) console.log(`  (UTKFace data absent at ${DATA_DIR}: a synthetic picture without a face, so the lists are empty)`);
  const f = frames[0];
  const all = await remote.estimateAll(f);
  assert.equal(all.faces, local.estimateAll(f));
  assert.is(all.width, f.width);
  assert.is(all.height, f.height);
  assert.ok(all.ms >= all.readMs && all.readMs >= 0);
  const det = await remote.detectFaces(f, { minScore: 0.5 });
  assert.equal(det.faces, local.detectFaces(f, { minScore: 0.5 }));
  if (real) assert.is(all.faces.length, 1, 'the face of the scene');
});

test('a tracker in the worker: the same ids, boxes and ages as createTracker in place, frame by frame', async () => {
  const t = await remote.createTracker({ detectEvery: 3 });
  const here = createTracker({ estimator: local, detectEvery: 3 });
  for (const f of frames) {
    const r = await t.update(f);
    assert.equal(r.faces, here.update(f));
    assert.equal(r.stats, here.stats);
  }
  if (real) assert.ok(here.stats.refines > 0 && here.stats.detections > 1 && here.stats.scans > 0, 'followed and scanned between detections');
  await t.reset();
  here.reset();
  assert.equal((await t.update(frames[0])).faces, here.update(frames[0]));
  await t.dispose();
  try {
    await t.update(frames[0]);
    assert.unreachable('a disposed tracker');
  } catch (e) {
    assert.instance(e, DaaError);
    assert.is((e as DaaError).code, 'DISPOSED');
  }
});

test('tracker options: functions are refused on the page side, a typo comes back as OptionsError naming the option', async () => {
  for (const bad of [{ detect: () => [] }, { estimator: local }] as object[]) {
    try {
      await remote.createTracker(bad);
      assert.unreachable('function option');
    } catch (e) {
      assert.instance(e, OptionsError);
      assert.match((e as Error).message, /worker's estimator/);
    }
  }
  try {
    await remote.createTracker({ detectEvry: 3 } as object);
    assert.unreachable('typo');
  } catch (e) {
    assert.instance(e, OptionsError);
    assert.match((e as Error).message, /detectEvery/);
  }
  // and the estimator is still usable
  assert.ok((await remote.estimateAll(frames[0])).faces.length === (real ? 1 : 0));
});

test('a bad image comes back as ImageInputError; the worker estimator stays usable', async () => {
  try {
    await remote.estimateAll({ data: new Uint8Array(10), width: 4, height: 4 });
    assert.unreachable('bad pixels');
  } catch (e) {
    assert.instance(e, DaaError);
    assert.is((e as Error).name, 'ImageInputError');
  }
  assert.equal((await remote.estimateAll(frames[0])).faces, local.estimateAll(frames[0]));
});

test.run();
