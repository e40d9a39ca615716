/**
 * workerd: the edge function in examples/worker/, bundled from the installed package with
 * examples/worker/build.mjs, served by a real workerd on 127.0.0.1 with a config written here. A face
 * POSTed as JPEG, as PNG and as raw RGBA gets the same age as Node; bad bodies get JSON errors; the
 * bundle fits the Cloudflare free-plan limit (3 MiB gzip).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN, encodePng, exampleWorkerBundle, face, freePort, modelFile, must, nodeReference, orientedJpegs, packed, realFaceNote, ROOT, run, SAME_AGE, tmp } from './util.ts';

const FREE_PLAN_GZIP = 3 * 1024 * 1024;
let workerd: ChildProcess | null = null;
let base = '';
let log = '';
let bundleDir = '';

test.before(async () => {
  let port: number;
  ({ bundleDir, port } = await exampleWorkerBundle('worker-bundle'));
  workerd = spawn(join(BIN, 'workerd'), ['serve', 'config.capnp', '--verbose'], { cwd: bundleDir, stdio: ['ignore', 'pipe', 'pipe'] });
  workerd.stdout!.on('data', (d) => (log += d));
  workerd.stderr!.on('data', (d) => (log += d));
  const kill = setTimeout(() => workerd?.kill('SIGKILL'), 150_000); // never outlives the test run
  kill.unref();
  base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (workerd.exitCode !== null) throw new Error(`workerd exited (${workerd.exitCode}):\n${log}`);
    try {
      await fetch(base, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`workerd did not answer on ${base}:\n${log}`);
});

test.after(async () => {
  if (workerd && workerd.exitCode === null) {
    const gone = new Promise((r) => workerd!.once('exit', r));
    workerd.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
    if (workerd.exitCode === null) workerd.kill('SIGKILL');
  }
});

async function post(body: Uint8Array, headers: Record<string, string>, query = '') {
  const t0 = performance.now();
  const res = await fetch(base + '/' + query, { method: 'POST', body: body as unknown as RequestInit['body'], headers, signal: AbortSignal.timeout(30_000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, ms: performance.now() - t0 };
}

test('POST a face (JPEG or PNG bytes, or raw RGBA): JSON {age, spread}, the same age as Node', async () => {
  const f = await face();
  realFaceNote(f);
  const ref = await nodeReference(f.file);
  const file = new Uint8Array(readFileSync(f.file));
  const first = await post(file, { 'content-type': f.file.endsWith('.png') ? 'image/png' : 'image/jpeg' });
  assert.is(first.status, 200, JSON.stringify(first.body) + log);
  const age = first.body.age as number;
  console.log(`  workerd: age ${age.toFixed(4)} spread ${(first.body.spread as number).toFixed(4)}; first request (model load + decode + estimate) ${first.ms.toFixed(0)} ms [${f.label}]`);
  assert.ok(Math.abs(age - ref.age) < SAME_AGE, `workerd ${age} vs node ${ref.age}`);
  assert.ok(Math.abs((first.body.spread as number) - ref.spread) < SAME_AGE);
  const again = await post(file, { 'content-type': 'image/jpeg' });
  console.log(`  workerd: next request ${again.ms.toFixed(1)} ms`);
  assert.is(again.body.age, age);
  const png = await post(await encodePng(ref.rgba, ref.width, ref.height), { 'content-type': 'image/png' });
  assert.is(png.status, 200);
  assert.ok(Math.abs((png.body.age as number) - ref.age) < SAME_AGE, 'PNG of the same pixels');
  const raw = await post(ref.rgba, { 'content-type': 'application/octet-stream', 'x-width': String(ref.width), 'x-height': String(ref.height) });
  assert.is(raw.status, 200, JSON.stringify(raw.body));
  assert.ok(Math.abs((raw.body.age as number) - ref.age) < SAME_AGE, 'raw RGBA of the same pixels');
  const k = await post(file, { 'content-type': 'image/jpeg' }, '?interval=10');
  assert.is(k.status, 200);
  assert.ok(Number.isFinite(k.body.age as number));
});

test('EXIF orientations 1-8 of the face: the same age as Node for each file', async () => {
  const f = await face();
  const files = await orientedJpegs(f.file);
  const ages: number[] = [];
  for (const { orientation, bytes } of files) {
    const file = tmp(`workerd-orientation-${orientation}.jpg`);
    writeFileSync(file, bytes);
    const ref = await nodeReference(file);
    const r = await post(bytes, { 'content-type': 'image/jpeg' });
    assert.is(r.status, 200, JSON.stringify(r.body));
    ages.push(r.body.age as number);
    assert.ok(Math.abs((r.body.age as number) - ref.age) < SAME_AGE, `orientation ${orientation}: workerd ${r.body.age} vs node ${ref.age}`);
  }
  console.log(`  workerd: orientations 1-8 -> ${ages.map((a) => a.toFixed(3)).join(' ')}`);
});

test('bad requests get JSON errors with the DaaError code', async () => {
  const notImage = await post(new TextEncoder().encode('hello'), { 'content-type': 'text/plain' });
  assert.is(notImage.status, 400);
  assert.is(notImage.body.code, 'IMAGE_DATA');
  assert.match(String(notImage.body.error), /not a JPEG or PNG/);
  const rawBad = await post(new Uint8Array(10), { 'content-type': 'application/octet-stream', 'x-width': '4', 'x-height': '4' });
  assert.is(rawBad.status, 400);
  assert.is(rawBad.body.code, 'IMAGE_DATA');
  const badInterval = await post(new Uint8Array(readFileSync((await face()).file)), { 'content-type': 'image/jpeg' }, '?interval=0');
  assert.is(badInterval.status, 400);
  assert.is(badInterval.body.code, 'OPTIONS');
  const get = await fetch(base, { signal: AbortSignal.timeout(10_000) });
  assert.is(get.status, 405);
});

test('the worker bundle fits the Cloudflare free plan (3 MiB gzip)', () => {
  let raw = 0;
  let gz = 0;
  const parts: string[] = [];
  for (const f of readdirSync(bundleDir).filter((f) => f.endsWith('.js') || f.endsWith('.wasm'))) {
    const b = readFileSync(join(bundleDir, f));
    raw += b.length;
    gz += gzipSync(b, { level: 9 }).length;
    parts.push(`${f} ${(b.length / 1024).toFixed(1)} KiB`);
  }
  console.log(`  worker bundle: ${parts.join(', ')}; total ${(raw / 1024).toFixed(1)} KiB, ${(gz / 1024).toFixed(1)} KiB gzip (limit ${FREE_PLAN_GZIP / 1024 / 1024} MiB)`);
  assert.ok(gz < FREE_PLAN_GZIP, `${gz} bytes gzip`);
});

test.run();
