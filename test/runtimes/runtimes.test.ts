/**
 * The packed package on real runtimes: the same script (fixtures/age.mjs) on Node, Deno and Bun, run
 * as child processes from a fresh project that installed the tarball, gives the same age for the same
 * face as the sources do in this process; the whole-photo path (estimateAll) gives the sources' faces.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fakeCamera } from './fake-camera.ts';
import { BIN, encodePng, face, modelFile, must, nodeReference, orientedJpegs, packed, realFaceNote, run, ROOT, SAME_AGE, tmp } from './util.ts';

const RUNTIMES: [name: string, cmd: string, args: string[]][] = [
  ['node', process.execPath, []],
  ['deno', join(BIN, 'deno'), ['run', '--quiet', '--allow-read', '--allow-env', '--no-prompt']],
  ['bun', join(BIN, 'bun'), ['run']],
];

for (const [name, cmd, pre] of RUNTIMES) {
  test(`${name}: the installed package estimates the face, same age as the sources`, async () => {
    const { project } = await packed();
    const f = await face();
    realFaceNote(f);
    const model = await modelFile();
    const ref = await nodeReference(f.file);
    copyFileSync(join(ROOT, 'test/runtimes/fixtures/age.mjs'), join(project, 'age.mjs'));
    const r = must(
      await run(cmd, [...pre, 'age.mjs', f.file, ...(model ? [model] : [])], { cwd: project, timeoutMs: 60_000, env: { DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' } }),
      `${name} age.mjs`,
    );
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    console.log(`  ${out.runtime} (${out.backend}): age ${out.age.toFixed(4)} spread ${out.spread.toFixed(4)}; load ${out.loadMs.toFixed(1)} ms, first estimate (load + decode + estimate) ${out.firstMs.toFixed(1)} ms, next ${out.nextMs.toFixed(2)} ms [${f.label}]`);
    assert.ok(Math.abs(out.age - ref.age) < SAME_AGE, `${name} age ${out.age} vs node sources ${ref.age}`);
    assert.ok(Math.abs(out.spread - ref.spread) < SAME_AGE, `${name} spread ${out.spread} vs ${ref.spread}`);
  });
}

// int8 (the default model's int8 file): the relaxed builds time the int8 Winograd and direct 3x3
// kernels and keep the faster (src/timed-choice.ts); whichever each runtime keeps, the age is the same
for (const [name, cmd, pre] of RUNTIMES) {
  test(`${name}: int8, 14 estimates: same age as the sources' int8 (whichever int8 3x3 kernel it keeps)`, async () => {
    if (await modelFile()) {
      console.log('  SKIP: no shipped default model in weights/, so no int8 file');
      return;
    }
    const { project } = await packed();
    const f = await face();
    const { createEstimator } = await import('../../src/index.ts');
    const { decodeImage } = await import('../../src/platform/decode.ts');
    const est = await createEstimator({ crop: 'chip', precision: 'int8', backend: 'simd' });
    const ref = est.estimate(await decodeImage(new Uint8Array(readFileSync(f.file))));
    est.dispose();
    copyFileSync(join(ROOT, 'test/runtimes/fixtures/age.mjs'), join(project, 'age.mjs'));
    const r = must(
      await run(cmd, [...pre, 'age.mjs', f.file, '-', 'int8'], { cwd: project, timeoutMs: 60_000, env: { DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' } }),
      `${name} age.mjs int8`,
    );
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    console.log(`  ${out.runtime} (${out.backend}) int8: age ${out.age.toFixed(4)}, int8 3x3 kernel kept: ${out.int8Kernel ?? 'Winograd (no choice on this build)'} [${f.label}]`);
    assert.ok(Math.abs(out.age - ref.age) < SAME_AGE, `${name} int8 age ${out.age} vs node sources ${ref.age}`);
  });
}

// The whole-photo path (detector, alignment, age) on every runtime: a 640x480 frame with two faces
// (the fake camera's first frame; a synthetic picture without the data, where the lists are empty),
// with the runtime's own build (relaxed SIMD on Deno and Bun) and the SIMD build: the sources' faces,
// boxes and ages exactly (the f32 convolutions are unfused in every build: docs/kernels.md)
for (const [name, cmd, pre] of RUNTIMES) {
  test(`${name}: a whole photo (estimateAll): the sources' faces and ages`, async () => {
    const { project } = await packed();
    const cam = await fakeCamera();
    const model = await modelFile();
    const file = tmp('runtimes-two-faces.png');
    writeFileSync(file, await encodePng(new Uint8Array(cam.frame(0).buffer), cam.width, cam.height));
    const { createEstimator } = await import('../../src/index.ts');
    const { decodeImage } = await import('../../src/platform/decode.ts');
    const est = await createEstimator({ ...(model ? { model } : {}), backend: 'simd' });
    const ref = est.estimateAll(await decodeImage(new Uint8Array(readFileSync(file))));
    est.dispose();
    copyFileSync(join(ROOT, 'test/runtimes/fixtures/faces.mjs'), join(project, 'faces.mjs'));
    const r = must(
      await run(cmd, [...pre, 'faces.mjs', file, model ?? '-'], { cwd: project, timeoutMs: 60_000, env: { DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' } }),
      `${name} faces.mjs`,
    );
    type F = { box: Record<'x' | 'y' | 'width' | 'height', number>; age: number; spread: number };
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { runtime: string; backend: string; faces: F[]; simdFaces: F[] };
    console.log(`  ${out.runtime} (${out.backend}): ${out.faces.length} faces, ages ${out.faces.map((f) => f.age.toFixed(4)).join(', ')}; simd build ${out.simdFaces.map((f) => f.age.toFixed(4)).join(', ')}; sources ${ref.map((f) => f.age.toFixed(4)).join(', ')}${cam.real ? '' : ' (synthetic picture, no face)'}`);
    if (cam.real) assert.is(ref.length, 2, 'both faces');
    for (const faces of [out.simdFaces, out.faces]) {
      assert.is(faces.length, ref.length, `${name}: ${faces.length} faces, sources ${ref.length}`);
      faces.forEach((f, i) => {
        assert.ok(Math.abs(f.age - ref[i].age) < SAME_AGE, `${name} face ${i}: ${f.age} vs sources ${ref[i].age}`);
        for (const k of ['x', 'y', 'width', 'height'] as const) assert.ok(Math.abs(f.box[k] - ref[i].box[k]) < 1e-3, `${name} face ${i} box.${k}: ${f.box[k]} vs ${ref[i].box[k]}`);
      });
    }
  });
}

// EXIF orientation: the face stored in each of the 8 orientations (pixels rotated / mirrored, the
// matching tag written) gives each runtime the sources' age for that file: daa-wasm/decode applies the
// orientation everywhere (the orientations' ages agree within ORIENTED_AGE: test/runtimes/decode.test.ts)
for (const [name, cmd, pre] of RUNTIMES) {
  test(`${name}: EXIF orientations 1-8 of the face: the sources' ages, through decodeImage and as bytes`, async () => {
    const { project } = await packed();
    const f = await face();
    const model = await modelFile();
    const files = (await orientedJpegs(f.file)).map(({ orientation, bytes }) => {
      const file = tmp(`orientation-${orientation}.jpg`);
      writeFileSync(file, bytes);
      return file;
    });
    const ref = await Promise.all(files.map((file) => nodeReference(file)));
    copyFileSync(join(ROOT, 'test/runtimes/fixtures/orient.mjs'), join(project, 'orient.mjs'));
    const r = must(
      await run(cmd, [...pre, 'orient.mjs', model ?? '-', ...files], { cwd: project, timeoutMs: 60_000, env: { DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' } }),
      `${name} orient.mjs`,
    );
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { runtime: string; ages: number[]; bytesAges: number[] };
    console.log(`  ${out.runtime}: orientations 1-8 -> ${out.ages.map((a) => a.toFixed(3)).join(' ')}`);
    for (let i = 0; i < 8; i++) {
      assert.ok(Math.abs(out.ages[i] - ref[i].age) < SAME_AGE, `${name} orientation ${i + 1}: ${out.ages[i]} vs node sources ${ref[i].age}`);
      assert.ok(Math.abs(out.bytesAges[i] - ref[i].age) < SAME_AGE, `${name} orientation ${i + 1} as bytes: ${out.bytesAges[i]} vs ${ref[i].age}`);
    }
  });
}

test.run();
