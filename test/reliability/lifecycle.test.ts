/**
 * Estimator lifecycle: dispose() semantics, many estimators in one process, estimators in
 * worker_threads running concurrently agreeing bit for bit with the main thread. (Heap and memory
 * over thousands of cycles: long-run.test.ts.)
 */
import { Worker } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createEstimator, DisposedError } from '../../src/index.ts';
import { f32Fnv, f64Hex, makeImage, makeWeights } from './determinism-fixture.ts';
import { codeOf, rgba } from './util.ts';

const weights = makeWeights();
const images = [makeImage(), rgba(33, 47, 5), rgba(256, 256, 6), rgba(1, 9, 7)];

test('dispose: idempotent; every later use is a DisposedError; the rejected call changes nothing', async () => {
  const est = await createEstimator({ crop: 'chip', model: weights });
  const age = est.estimate(images[0]).age;
  est.dispose();
  est.dispose();
  assert.ok(est.disposed);
  for (const [what, f] of [
    ['estimate', () => est.estimate(images[0])],
    ['estimate of a bad image', () => est.estimate(null as never)],
    ['lastFeatures', () => est.lastFeatures()],
    ['memoryBytes', () => est.memoryBytes()],
  ] as const) {
    assert.is(await codeOf(f), 'DISPOSED', what);
    assert.throws(f, (e: unknown) => e instanceof DisposedError && /disposed/.test((e as Error).message), what);
  }
  // config and metadata stay readable; a new estimator of the same file gives the same answer
  assert.is(est.config.inputSize, 64);
  const again = await createEstimator({ crop: 'chip', model: weights });
  assert.is(again.estimate(images[0]).age, age);
  again.dispose();
});

test('many estimators alive at once are independent (dispose of one does not touch another)', async () => {
  const ests = await Promise.all(Array.from({ length: 12 }, (_, i) => createEstimator({ crop: 'chip', model: weights, backend: i % 2 ? 'scalar' : 'simd' })));
  const ref = ests.map((e) => e.estimate(images[1]).age);
  for (let i = 0; i < ests.length; i += 3) ests[i].dispose();
  ests.forEach((e, i) => {
    if (i % 3 === 0) assert.is(e.disposed, true);
    else assert.is(e.estimate(images[1]).age, ref[i]);
  });
  assert.is(new Set(ref.filter((_, i) => i % 2 === 0)).size, 1);
  assert.is(new Set(ref.filter((_, i) => i % 2 === 1)).size, 1);
  for (const e of ests) e.dispose();
});

function startWorker(backend: 'simd' | 'scalar', repeat: number): Promise<string[]> {
  const url = new URL('./estimate-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
  const w = new Worker(boot, { eval: true, workerData: { weights, backend, images, repeat } });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void w.terminate();
      reject(new Error('worker timed out'));
    }, 60_000);
    w.once('message', (m: string[]) => {
      clearTimeout(timer);
      resolve(m);
      void w.terminate();
    });
    w.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

test('estimators in 4 concurrent worker_threads agree bit for bit with the main thread', async () => {
  const repeat = 20;
  const running = [startWorker('simd', repeat), startWorker('scalar', repeat), startWorker('simd', repeat), startWorker('scalar', repeat)];
  // the main thread estimates at the same time
  const main: Record<string, string[]> = {};
  for (const backend of ['simd', 'scalar'] as const) {
    const est = await createEstimator({ crop: 'chip', model: weights, backend });
    main[backend] = [];
    for (let r = 0; r < repeat; r++)
      for (const im of images) {
        const e = est.estimate(im);
        main[backend].push(`${f64Hex(e.age)}:${f32Fnv(e.perTemplate)}`);
      }
    est.dispose();
  }
  const [s1, c1, s2, c2] = await Promise.all(running);
  assert.equal(s1, main.simd);
  assert.equal(s2, main.simd);
  assert.equal(c1, main.scalar);
  assert.equal(c2, main.scalar);
  assert.is(new Set(main.simd).size, images.length, 'repeats agree, images differ');
});

test.run();
