/**
 * The packed package on real runtimes: the same script (fixtures/age.mjs) on Node, Deno and Bun, run
 * as child processes from a fresh project that installed the tarball, gives the same age for the same
 * face as the sources do in this process.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN, face, modelFile, must, nodeReference, packed, realFaceNote, run, ROOT, SAME_AGE } from './util.ts';

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
// kernels and keep the faster (src/faster-of.ts); whichever each runtime keeps, the age is the same
for (const [name, cmd, pre] of RUNTIMES) {
  test(`${name}: int8, 14 estimates: same age as the sources' int8 (whichever int8 3x3 kernel it keeps)`, async () => {
    if (await modelFile()) {
      console.log('  (skipped: no shipped default model in weights/, so no int8 file)');
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

test.run();
