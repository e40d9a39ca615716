/**
 * The edge example under load, on loopback (127.0.0.1 only): examples/worker/worker.js served by a
 * real workerd (bundled with examples/worker/build.mjs from the installed tarball) and by a plain Node
 * HTTP server (examples/worker/node-server.mjs), each sent REQUESTS requests at concurrency 32, good
 * and hostile mixed: faces as JPEG, PNG, an EXIF-rotated JPEG and raw RGBA; a deflate bomb, a PNG
 * declaring 16384x16384, truncated and non-image files, a wrong raw length, an empty body, a bad
 * interval, an unknown query parameter, a 9 MiB body. Every good request must get its age (the Node
 * sources' within 1e-4 years), every bad one its 4xx and code; the server's resident memory must stay
 * under RSS_LIMIT; p50 / p99 latency are printed. 2,000 requests per server after 1,000 of warm-up.
 * DAA_LONG=1: warm-up until the server's memory stops growing (workerd's isolate heap grows for about
 * 20,000 requests, with or without daa-wasm in the path), then 10,000 requests whose second half may
 * not peak more than RSS_GROWTH above the first (memory flat).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN, encodePng, exampleWorkerBundle, face, freePort, modelFile, must, nodeReference, orientedJpegs, packed, ROOT, run, SAME_AGE, tmp } from './util.ts';
import { pngOf } from '../reliability/image-mutate.ts';
import { rand } from '../reliability/mutate.ts';

const LONG = process.env.DAA_LONG === '1';
const REQUESTS = Number(process.env.DAA_LOAD_REQUESTS ?? (LONG ? 10_000 : 2_000));
const CONCURRENCY = 32;
/** long mode: the most the server's resident memory may grow between the first and the second half of the measured run */
const RSS_GROWTH = 24 * 1024 * 1024;
/** the server's resident memory, always */
const RSS_LIMIT = 512 * 1024 * 1024;
/** long mode: at most this many warm-up batches of 1,000 requests */
const WARMUP_BATCHES = 40;

interface Case {
  name: string;
  body: Uint8Array;
  headers: Record<string, string>;
  query?: string;
  /** good: the age; bad: [status, code] */
  age?: number;
  status?: number;
  code?: string;
  /** send this case only every `every`-th request (large bodies) */
  every?: number;
}

async function cases(): Promise<Case[]> {
  const f = await face();
  const file = new Uint8Array(readFileSync(f.file));
  const ref = await nodeReference(f.file);
  const pngFile = tmp('load-face.png');
  const png = await encodePng(ref.rgba, ref.width, ref.height);
  writeFileSync(pngFile, png);
  const rotated = (await orientedJpegs(f.file))[5].bytes; // orientation 6
  const rotatedFile = tmp('load-face-6.jpg');
  writeFileSync(rotatedFile, rotated);
  const r = rand(15);
  const bomb = pngOf(r, { w: 64, h: 64, depth: 8, ctype: 6, z: new Uint8Array(deflateSync(new Uint8Array(16 << 20), { level: 9 })) });
  const huge = pngOf(r, { w: 16, h: 16, depth: 8, ctype: 2 });
  new DataView(huge.buffer).setUint32(16, 16384), new DataView(huge.buffer).setUint32(20, 16384);
  const jpeg = { 'content-type': 'image/jpeg' };
  return [
    { name: 'face JPEG', body: file, headers: jpeg, age: ref.age },
    { name: 'face PNG', body: png, headers: { 'content-type': 'image/png' }, age: (await nodeReference(pngFile)).age },
    { name: 'EXIF 6 JPEG', body: rotated, headers: jpeg, age: (await nodeReference(rotatedFile)).age },
    { name: 'raw RGBA', body: ref.rgba, headers: { 'content-type': 'application/octet-stream', 'x-width': String(ref.width), 'x-height': String(ref.height) }, age: ref.age },
    { name: 'face JPEG ?interval=1', body: file, headers: jpeg, query: '?interval=1', age: ref.age },
    { name: 'deflate bomb (64x64 header, 16 MiB of zeros)', body: bomb, headers: { 'content-type': 'image/png' }, status: 400, code: 'IMAGE_DATA' },
    { name: 'PNG declaring 16384x16384', body: huge, headers: { 'content-type': 'image/png' }, status: 413, code: 'IMAGE_SIZE' },
    { name: 'truncated JPEG', body: file.subarray(0, 400), headers: jpeg, status: 400, code: 'IMAGE_DATA' },
    { name: 'text', body: new TextEncoder().encode('hello'), headers: { 'content-type': 'text/plain' }, status: 400, code: 'IMAGE_DATA' },
    { name: 'GIF', body: new TextEncoder().encode('GIF89a\x01\x00\x01\x00'), headers: { 'content-type': 'image/gif' }, status: 400, code: 'IMAGE_DATA' },
    { name: 'empty body', body: new Uint8Array(0), headers: jpeg, status: 400, code: 'IMAGE_DATA' },
    { name: 'raw pixels of the wrong length', body: new Uint8Array(10), headers: { 'content-type': 'application/octet-stream', 'x-width': '4', 'x-height': '4' }, status: 400, code: 'IMAGE_DATA' },
    { name: '?interval=0', body: file, headers: jpeg, query: '?interval=0', status: 400, code: 'OPTIONS' },
    { name: '?intervall=5 (a typo)', body: file, headers: jpeg, query: '?intervall=5', status: 400, code: 'OPTIONS' },
    { name: '9 MiB body', body: new Uint8Array(9 << 20), headers: jpeg, status: 413, code: 'IMAGE_SIZE', every: 200 },
  ];
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

async function waitFor(url: string, proc: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (proc.exitCode !== null) throw new Error(`server exited (${proc.exitCode}):\n${log()}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`no answer on ${url}:\n${log()}`);
}

async function load(label: string, url: string, pid: number, everyCase: Case[]): Promise<void> {
  // DAA_LOAD_ONLY=<text>: only the cases whose name contains it (to find what a growth comes from)
  const only = process.env.DAA_LOAD_ONLY;
  const all = only ? everyCase.filter((c) => c.name.includes(only)) : everyCase;
  const failures: string[] = [];
  let sent = 0, good = 0, bad = 0;
  /** sends n requests at concurrency 32 (the mix in order), checks every answer; returns their latencies */
  const batch = async (n: number): Promise<number[]> => {
    const lat: number[] = [];
    let left = n;
    const worker = async () => {
      while (left-- > 0) {
        const i = sent++;
        let c = all[i % all.length];
        if (c.every && i % c.every !== 0) c = all[0];
        const s = performance.now();
        let status = 0, body: Record<string, unknown> = {};
        try {
          const res = await fetch(url + '/' + (c.query ?? ''), { method: 'POST', body: c.body as unknown as RequestInit['body'], headers: c.headers, signal: AbortSignal.timeout(30_000) });
          status = res.status;
          body = (await res.json()) as Record<string, unknown>;
        } catch (e) {
          failures.push(`${c.name}: ${(e as Error).message}`);
          continue;
        }
        lat.push(performance.now() - s);
        if (c.age !== undefined) {
          good++;
          if (status !== 200 || Math.abs((body.age as number) - c.age) >= SAME_AGE) failures.push(`${c.name}: ${status} ${JSON.stringify(body)} (want age ${c.age})`);
        } else {
          bad++;
          if (status !== c.status || body.code !== c.code) failures.push(`${c.name}: ${status} ${JSON.stringify(body).slice(0, 200)} (want ${c.status} ${c.code})`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return lat;
  };
  const mib = (n: number) => (n / 1048576).toFixed(1);
  // warm-up: a JS engine's heap grows to its working size before it collects in earnest (workerd's
  // isolate takes ~20,000 requests); batches of 1,000 until two in a row add under 4 MiB (long mode,
  // at most WARMUP_BATCHES) or one batch (short mode, where only the bound is asserted)
  const warm: number[] = [rssOf(pid)];
  for (let b = 0; b < (LONG ? WARMUP_BATCHES : 1); b++) {
    await batch(1000);
    warm.push(rssOf(pid));
    const k = warm.length - 1;
    if (LONG && k >= 2 && warm[k] - warm[k - 2] < 4 * 1048576) break;
  }
  const t0 = performance.now();
  const lat: number[] = [];
  const rss: number[] = [];
  for (let done = 0; done < REQUESTS; done += 500) {
    lat.push(...(await batch(Math.min(500, REQUESTS - done))));
    rss.push(rssOf(pid));
  }
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  const half = Math.floor(rss.length / 2);
  const first = Math.max(...rss.slice(0, half)), second = Math.max(...rss.slice(half)), peak = Math.max(...rss);
  console.log(
    `  ${label}: warm-up ${warm.length - 1}k requests (RSS ${warm.map(mib).join(' ')} MiB); then ${REQUESTS} requests at concurrency ${CONCURRENCY} in ${secs.toFixed(1)} s (${(REQUESTS / secs).toFixed(0)}/s): ` +
      `latency p50 ${q(0.5).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms, max ${lat[lat.length - 1].toFixed(0)} ms; ` +
      `RSS peak ${mib(first)} MiB (first half) -> ${mib(second)} MiB (second half); ${good} good and ${bad} bad requests in all, ${failures.length} wrong answers`,
  );
  console.log(`    RSS every 500 requests (MiB): ${rss.map(mib).join(' ')}`);
  assert.equal(failures.slice(0, 10), [], `${label}: ${failures.length} wrong answers`);
  assert.ok(peak <= RSS_LIMIT, `${label}: resident memory ${mib(peak)} MiB (bound ${mib(RSS_LIMIT)})`);
  if (LONG) assert.ok(second - first <= RSS_GROWTH, `${label}: resident memory grew ${mib(second - first)} MiB after the warm-up (limit ${mib(RSS_GROWTH)})`);
}

const children: ChildProcess[] = [];
test.after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

test('workerd: the example edge function under mixed load answers every request right, memory flat', async () => {
  const { bundleDir, port } = await exampleWorkerBundle('load-worker-bundle');
  let log = '';
  const wd = spawn(join(BIN, 'workerd'), ['serve', 'config.capnp'], { cwd: bundleDir, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(wd);
  wd.stdout!.on('data', (d) => (log += d));
  wd.stderr!.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(url, wd, () => log);
  await load('workerd', url, wd.pid!, await cases());
  wd.kill('SIGTERM');
});

test('Node HTTP server (examples/worker/node-server.mjs): the same load, the same answers, memory flat', async () => {
  const { project } = await packed();
  copyFileSync(join(ROOT, 'examples/worker/worker.js'), join(project, 'worker.js'));
  copyFileSync(join(ROOT, 'examples/worker/node-server.mjs'), join(project, 'node-server.mjs'));
  if (await modelFile()) return console.log('  SKIP: no shipped default model (the Node server example uses the built-in one)');
  const port = await freePort();
  let log = '';
  const srv = spawn(process.execPath, ['node-server.mjs', String(port)], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(srv);
  srv.stdout!.on('data', (d) => (log += d));
  srv.stderr!.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(url, srv, () => log);
  await load('node', url, srv.pid!, await cases());
  srv.kill('SIGTERM');
});

test.run();
