/**
 * Seeded fuzzing of daa-wasm/decode (src/platform/decode.ts, src/platform/inflate.ts): JPEG and PNG
 * files built in image-mutate.ts (every PNG colour type and depth, Adam7, split IDATs, 20,000 chunks,
 * a deflate bomb, JPEGs with EXIF, 40 scans, 5,000 segments) are mutated: truncations, flipped bits,
 * lying headers and declared sizes (edge values up to 2^32 - 1), deflate bombs under random headers,
 * segments repeated up to 5,000 times, hostile scanlines re-compressed so the checksums hold.
 * Each mutant must decode (to a consistent RGBA image within the limits) or throw ImageInputError;
 * none may cost more than CASE_LIMIT_MS of CPU time (the wall time, which on a shared machine also
 * counts other processes' turns, is printed); the process's peak RSS must stay under RSS_LIMIT; a sample
 * of the decoded mutants goes through an estimate (a finite age or a DaaError); afterwards the
 * untouched face estimates exactly as before. Short mode: 3,000 cases; DAA_LONG=1: 100,000.
 * DAA_DECODE_FUZZ_CASES and DAA_FUZZ_SEED override the count and the seed. A failure prints the
 * seed, the case index and the mutation, which reproduce it.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DaaError, ImageInputError } from '../../src/errors.ts';
import { createEstimator } from '../../src/index.ts';
import { MAX_PIXELS } from '../../src/image.ts';
import { decodeImageSync } from '../../src/platform/decode.ts';
import { face as faceFile, modelFile, syntheticRgba } from '../runtimes/util.ts';
import { buildCorpus, mutateImage } from './image-mutate.ts';
import { rand } from './mutate.ts';
import { LONG, mib } from './util.ts';

const CASES = Number(process.env.DAA_DECODE_FUZZ_CASES ?? (LONG ? 100_000 : 3_000));
const SEED = Number(process.env.DAA_FUZZ_SEED ?? 0xdec0de5);
/** no single decode may take longer (issue 15) */
const CASE_LIMIT_MS = 1000;
/** the process's peak resident memory over the whole run, tfjs-free test process included */
const RSS_LIMIT = 768 * 1024 * 1024;

test('decoder fuzz: every mutant decodes or throws ImageInputError, within time and memory bounds; estimates unchanged afterwards', async () => {
  const f = await faceFile();
  const fileBytes = new Uint8Array(readFileSync(f.file));
  const face = f.real ? decodeImageSync(fileBytes) : { data: syntheticRgba(128, 128), width: 128, height: 128 };
  const r = rand(SEED);
  const corpus = buildCorpus(r, face, f.file.endsWith('.jpg') ? fileBytes : null);
  const model = await modelFile();
  const est = await createEstimator(model ? { model } : {});
  const before = est.estimate(fileBytes).age;
  // every seed decodes
  for (const s of corpus) {
    try {
      decodeImageSync(s.bytes);
    } catch (e) {
      if (!s.name.startsWith('bomb')) assert.unreachable(`seed ${s.name} does not decode: ${(e as Error).message}`);
    }
  }
  const outcomes = new Map<string, number>();
  const ops = new Map<string, [number, number]>(); // op -> [cases, decoded]
  const times: number[] = [];
  let slowest = { ms: 0, i: -1, op: '', seed: '' };
  let estimated = 0;
  const walls: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < CASES; i++) {
    const s = r.pick(corpus);
    const { bytes, op } = mutateImage(r, s, corpus);
    const c0 = performance.now();
    const cpu0 = process.cpuUsage();
    let outcome: string;
    let img: ReturnType<typeof decodeImageSync> | null = null;
    try {
      img = decodeImageSync(bytes);
      outcome = 'decoded';
    } catch (e) {
      if (!(e instanceof ImageInputError))
        assert.unreachable(`seed ${SEED} case ${i} (${s.name}, ${op}): not an ImageInputError: ${(e as Error)?.stack ?? String(e)}`);
      outcome = (e as ImageInputError).code + ': ' + (e as Error).message.replace(/\d+/g, 'N').replace(/\(.*\)/, '(..)').slice(0, 70);
    }
    // the bound is on the CPU time the decode costs this process (all its threads, GC included): on a
    // shared machine the wall time also counts other processes' turns, so it is printed, not asserted
    const cpu = process.cpuUsage(cpu0);
    const ms = (cpu.user + cpu.system) / 1000;
    const wall = performance.now() - c0;
    times.push(ms);
    walls.push(wall);
    if (ms > slowest.ms) slowest = { ms, i, op, seed: s.name };
    assert.ok(ms <= CASE_LIMIT_MS, `seed ${SEED} case ${i} (${s.name}, ${op}, ${bytes.length} bytes): ${ms.toFixed(0)} ms of CPU (${wall.toFixed(0)} ms wall)`);
    if (img) {
      assert.ok(img.width >= 1 && img.height >= 1 && img.width * img.height <= MAX_PIXELS, `case ${i}: ${img.width}x${img.height}`);
      assert.is(img.data.length, img.width * img.height * 4, `case ${i}: RGBA length`);
      if (i % 10 === 0) {
        try {
          assert.ok(Number.isFinite(est.estimate(img).age), `case ${i}: age not finite`);
        } catch (e) {
          if (!(e instanceof DaaError)) throw e;
        }
        estimated++;
      }
    }
    const key = outcome.startsWith('decoded') ? 'decoded' : outcome;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    const o = ops.get(op) ?? [0, 0];
    ops.set(op, [o[0] + 1, o[1] + (img ? 1 : 0)]);
  }
  const totalMs = performance.now() - t0;
  const maxRss = process.resourceUsage().maxRSS * 1024;
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  console.log(`  ${CASES} mutants of ${corpus.length} seed files (seed ${SEED}) in ${(totalMs / 1000).toFixed(1)} s: ${outcomes.get('decoded') ?? 0} decoded (${estimated} of them estimated), ${CASES - (outcomes.get('decoded') ?? 0)} ImageInputError`);
  walls.sort((a, b) => a - b);
  console.log(`  CPU per file: median ${q(0.5).toFixed(2)} ms, p99 ${q(0.99).toFixed(1)} ms, max ${slowest.ms.toFixed(1)} ms (case ${slowest.i}: ${slowest.seed}, ${slowest.op}); wall: p99 ${walls[Math.floor(0.99 * walls.length)].toFixed(1)} ms, max ${walls[walls.length - 1].toFixed(0)} ms; peak RSS ${mib(maxRss)}`);
  console.log(`  mutations (cases / decoded): ${[...ops].sort().map(([k, [n, d]]) => `${k} ${n}/${d}`).join(', ')}`);
  console.log('  outcomes:');
  for (const [k, n] of [...outcomes].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`    ${String(n).padStart(6)}  ${k}`);
  assert.ok(maxRss < RSS_LIMIT, `peak RSS ${mib(maxRss)} (limit ${mib(RSS_LIMIT)})`);
  assert.is(est.estimate(fileBytes).age, before, 'the face estimates exactly as before the fuzz');
  est.dispose();
});

test.run();
