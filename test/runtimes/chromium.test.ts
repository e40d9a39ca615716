/**
 * Chromium (Debian's /usr/bin/chromium through playwright-core), pages served from 127.0.0.1 with the
 * installed package's dist/:
 *  - the browser bundle estimates the face (decoded with daa-wasm/decode: the same pixels as Node) and
 *    gets the same age as Node; the browser's own decoder (createImageBitmap) gets nearly the same;
 *  - examples/browser/: a face is uploaded with setInputFiles, the age appears, it was computed in the
 *    Web Worker (the worker's message carries it; the page thread compiled no wasm and stayed
 *    responsive), and a screenshot is saved to test/runtimes/out/browser.png.
 * Skipped (with a message) when /usr/bin/chromium is absent.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CHROMIUM, CHROMIUM_ARGS, encodePng, face, modelFile, orientedJpegs, tmp, nodeReference, OUT_DIR, packed, realFaceNote, ROOT, SAME_AGE, serve, type Served } from './util.ts';

const HAVE_CHROMIUM = existsSync(CHROMIUM);
let browser: Browser | null = null;
let server: Served | null = null;
let killTimer: NodeJS.Timeout | null = null;

const API_PAGE = `<!doctype html><meta charset="utf-8"><title>daa-wasm api</title>
<script type="importmap">{ "imports": { "daa-wasm": "/dist/browser.js", "daa-wasm/decode": "/dist/decode.js" } }</script>
<script type="module">
import { createEstimator } from 'daa-wasm';
import { decodeImage } from 'daa-wasm/decode';
window.runApi = async (modelUrl) => {
  const bytes = new Uint8Array(await (await fetch('/face')).arrayBuffer());
  const t0 = performance.now();
  const est = await createEstimator({ crop: 'chip', ...(modelUrl ? { model: new URL(modelUrl, location.href).href } : {}) });
  const t1 = performance.now();
  const img = await decodeImage(bytes);
  const r = est.estimate(img);
  const t2 = performance.now();
  // the browser's own decoder (libjpeg-turbo / skia) instead of jpeg-js
  const bmp = await createImageBitmap(new Blob([bytes]));
  const ctx = new OffscreenCanvas(bmp.width, bmp.height).getContext('2d');
  ctx.drawImage(bmp, 0, 0);
  const native = est.estimate({ data: ctx.getImageData(0, 0, bmp.width, bmp.height).data, width: bmp.width, height: bmp.height });
  const out = { age: r.age, spread: r.spread, nativeAge: native.age, backend: est.backend, loadMs: t1 - t0, firstMs: t2 - t0, ua: navigator.userAgent };
  est.dispose();
  return out;
};
// every input kind a browser has, from a PNG of the face (lossless: the browser's decoder and
// daa-wasm/decode give the same pixels), against the age of those pixels passed raw
window.runInputs = async (modelUrl) => {
  const { readImage } = await import('daa-wasm');
  const url = new URL('/face.png', location.href).href;
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const est = await createEstimator(modelUrl ? { model: new URL(modelUrl, location.href).href } : {});
  const raw = await decodeImage(bytes);
  const ref = est.estimate(raw).age;
  const blob = new Blob([bytes], { type: 'image/png' });
  const img = new Image();
  img.src = URL.createObjectURL(blob);
  await img.decode();
  const bmp = await createImageBitmap(blob);
  const canvas = document.createElement('canvas');
  canvas.width = bmp.width;
  canvas.height = bmp.height;
  canvas.getContext('2d').drawImage(bmp, 0, 0);
  const off = new OffscreenCanvas(bmp.width, bmp.height);
  off.getContext('2d').drawImage(bmp, 0, 0);
  const ages = {
    'Uint8Array (PNG bytes)': est.estimate(bytes).age,
    ArrayBuffer: est.estimate(bytes.slice().buffer).age,
    HTMLImageElement: est.estimate(img).age,
    HTMLCanvasElement: est.estimate(canvas).age,
    OffscreenCanvas: est.estimate(off).age,
    ImageData: est.estimate(canvas.getContext('2d').getImageData(0, 0, bmp.width, bmp.height)).age,
    ImageBitmap: est.estimate(bmp).age,
    Blob: est.estimate(await readImage(blob)).age,
    File: est.estimate(await readImage(new File([bytes], 'face.png', { type: 'image/png' }))).age,
    Response: est.estimate(await readImage(await fetch(url))).age,
    'URL string': est.estimate(await readImage(url)).age,
  };
  if (typeof VideoFrame === 'function') {
    const frame = new VideoFrame(bmp, { timestamp: 0 });
    ages.VideoFrame = est.estimate(frame).age;
    frame.close();
  }
  let blobError = null;
  try {
    est.estimate(blob);
  } catch (e) {
    blobError = e.code;
  }
  est.dispose();
  return { ref, ages, blobError };
};
// EXIF orientations: daa-wasm/decode (bytes) and the browser's own <img> (which applies the tag too)
window.runOrientations = async (modelUrl) => {
  const est = await createEstimator({ crop: 'chip', ...(modelUrl ? { model: new URL(modelUrl, location.href).href } : {}) });
  const out = [];
  for (let o = 1; o <= 8; o++) {
    const bytes = new Uint8Array(await (await fetch('/orientation-' + o + '.jpg')).arrayBuffer());
    const img = new Image();
    img.src = URL.createObjectURL(new Blob([bytes], { type: 'image/jpeg' }));
    await img.decode();
    out.push({ orientation: o, age: est.estimate(bytes).age, imgAge: est.estimate(img).age, imgSize: [img.naturalWidth, img.naturalHeight] });
  }
  est.dispose();
  return out;
};
window.apiReady = true;
</script>`;

test.before(async () => {
  if (!HAVE_CHROMIUM) return;
  const { pkgDir } = await packed();
  const f = await face();
  const model = await modelFile();
  server = await serve({
    mounts: { '/dist/': join(pkgDir, 'dist'), '/examples/browser/': join(ROOT, 'examples/browser') },
    files: {
      '/api.html': new TextEncoder().encode(API_PAGE), '/face': f.file, '/face.png': await facePng(f.file), ...(model ? { '/model.daaw': model } : {}),
      ...Object.fromEntries((await orientedJpegs(f.file)).map(({ orientation, bytes }) => [`/orientation-${orientation}.jpg`, bytes])),
    },
    maxMs: 150_000,
  });
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
  killTimer = setTimeout(() => browser?.close(), 150_000); // never outlives the test run
  killTimer.unref();
});

test.after(async () => {
  if (killTimer) clearTimeout(killTimer);
  await browser?.close();
  await server?.close();
});

/** The face as a PNG (lossless: every decoder gives the same pixels). */
async function facePng(file: string): Promise<Uint8Array> {
  const { decodeImage } = await import('../../src/platform/decode.ts');
  const img = await decodeImage(new Uint8Array(readFileSync(file)));
  return encodePng(img.data, img.width, img.height);
}

async function newPage(): Promise<Page> {
  const page = await browser!.newPage();
  page.setDefaultTimeout(60_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  (page as Page & { errors?: string[] }).errors = errors;
  return page;
}

test('browser bundle: the same age as Node for the same face', async () => {
  if (!HAVE_CHROMIUM) return console.log(`  SKIP: ${CHROMIUM} is not installed (apt-get install -y chromium)`);
  const f = await face();
  realFaceNote(f);
  const ref = await nodeReference(f.file);
  const model = await modelFile();
  const page = await newPage();
  await page.goto(`${server!.url}/api.html`);
  await page.waitForFunction(() => (window as unknown as { apiReady?: boolean }).apiReady === true);
  const r = await page.evaluate((m) => (window as unknown as { runApi(m: string | null): Promise<Record<string, number | string>> }).runApi(m), model ? '/model.daaw' : null);
  const version = String(r.ua).match(/Chrome\/([\d.]+)/)?.[1];
  console.log(`  chromium ${version} (${r.backend}): age ${(r.age as number).toFixed(4)} spread ${(r.spread as number).toFixed(4)}; load ${(r.loadMs as number).toFixed(1)} ms, first estimate (load + decode + estimate) ${(r.firstMs as number).toFixed(1)} ms; with the browser's JPEG decoder: age ${(r.nativeAge as number).toFixed(4)} [${f.label}]`);
  assert.ok(Math.abs((r.age as number) - ref.age) < SAME_AGE, `chromium ${r.age} vs node ${ref.age}`);
  assert.ok(Math.abs((r.spread as number) - ref.spread) < SAME_AGE);
  // another JPEG decoder gives slightly different pixels; a PNG gives the same ones
  assert.ok(Math.abs((r.nativeAge as number) - ref.age) < (f.real ? 1 : SAME_AGE), `browser-decoded ${r.nativeAge} vs ${ref.age}`);
  await page.close();
});

test('every browser input kind (img, canvas, OffscreenCanvas, ImageData, ImageBitmap, VideoFrame, Blob, File, Response, URL, bytes): the age of the same pixels passed raw', async () => {
  if (!HAVE_CHROMIUM) return console.log(`  SKIP: ${CHROMIUM} is not installed`);
  const model = await modelFile();
  const page = await newPage();
  await page.goto(`${server!.url}/api.html`);
  await page.waitForFunction(() => (window as unknown as { apiReady?: boolean }).apiReady === true);
  const r = await page.evaluate((m) => (window as unknown as { runInputs(m: string | null): Promise<{ ref: number; ages: Record<string, number>; blobError: string | null }> }).runInputs(m), model ? '/model.daaw' : null);
  console.log(`  raw pixels ${r.ref.toFixed(4)}; ${Object.entries(r.ages).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}`);
  for (const [kind, age] of Object.entries(r.ages)) assert.ok(Math.abs(age - r.ref) < SAME_AGE, `${kind}: ${age} vs raw pixels ${r.ref}`);
  assert.ok(Object.keys(r.ages).length >= 11);
  assert.is(r.blobError, 'IMAGE_TYPE', 'Estimator.estimate(blob) points to readImage');
  await page.close();
});

test('EXIF orientations 1-8: the same age as Node for each file; the browser\'s own <img> agrees on the orientation', async () => {
  if (!HAVE_CHROMIUM) return console.log(`  SKIP: ${CHROMIUM} is not installed`);
  const f = await face();
  const model = await modelFile();
  const page = await newPage();
  await page.goto(`${server!.url}/api.html`);
  await page.waitForFunction(() => (window as unknown as { apiReady?: boolean }).apiReady === true);
  type Row = { orientation: number; age: number; imgAge: number; imgSize: number[] };
  const rows = await page.evaluate((m) => (window as unknown as { runOrientations(m: string | null): Promise<Row[]> }).runOrientations(m), model ? '/model.daaw' : null);
  const files = await orientedJpegs(f.file);
  for (const row of rows) {
    const file = tmp(`chromium-orientation-${row.orientation}.jpg`);
    writeFileSync(file, files[row.orientation - 1].bytes);
    const ref = await nodeReference(file);
    assert.ok(Math.abs(row.age - ref.age) < SAME_AGE, `orientation ${row.orientation}: chromium ${row.age} vs node ${ref.age}`);
    // the browser's JPEG decoder differs slightly from jpeg-js (see above), a wrong rotation by years
    assert.ok(Math.abs(row.imgAge - row.age) < (f.real ? 1 : 0.1), `orientation ${row.orientation}: <img> ${row.imgAge} vs daa-wasm/decode ${row.age}`);
    assert.equal(row.imgSize, [ref.width, ref.height]);
  }
  console.log(`  chromium: orientations 1-8 -> ${rows.map((r) => r.age.toFixed(3)).join(' ')}; <img> (browser decoder) ${rows.map((r) => r.imgAge.toFixed(2)).join(' ')}`);
  await page.close();
});

test('examples/browser: upload a face, the age is computed in the Web Worker; screenshot', async () => {
  if (!HAVE_CHROMIUM) return console.log(`  SKIP: ${CHROMIUM} is not installed`);
  const f = await face();
  const ref = await nodeReference(f.file);
  const model = await modelFile();
  const page = await newPage();
  await page.setViewportSize({ width: 760, height: 560 });
  // count wasm compilations on the page thread (init scripts do not run in workers)
  await page.addInitScript(() => {
    const w = window as unknown as { mainThreadWasm: number };
    w.mainThreadWasm = 0;
    for (const k of ['compile', 'instantiate', 'compileStreaming', 'instantiateStreaming'] as const) {
      const orig = (WebAssembly as unknown as Record<string, (...a: unknown[]) => unknown>)[k];
      if (typeof orig === 'function')
        (WebAssembly as unknown as Record<string, unknown>)[k] = (...a: unknown[]) => {
          w.mainThreadWasm++;
          return orig.apply(WebAssembly, a);
        };
    }
  });
  await page.goto(`${server!.url}/examples/browser/${model ? '?model=/model.daaw' : ''}`);
  await page.waitForFunction(() => /Ready/.test(document.getElementById('status')!.textContent!), null, { timeout: 60_000 });
  assert.is(page.workers().length, 1, 'one Web Worker');
  // a main-thread ticker: the longest gap between ticks while the estimate runs
  await page.evaluate(() => {
    const w = window as unknown as { maxGap: number; tick: number };
    w.maxGap = 0;
    let last = performance.now();
    w.tick = setInterval(() => {
      const now = performance.now();
      w.maxGap = Math.max(w.maxGap, now - last);
      last = now;
    }, 5) as unknown as number;
  });
  const t0 = Date.now();
  await page.setInputFiles('#file', f.file);
  await page.waitForFunction(() => (window as unknown as { daaDemo: { results: unknown[] } }).daaDemo.results.length > 0, null, { timeout: 60_000 });
  const ms = Date.now() - t0;
  const state = await page.evaluate(() => {
    const w = window as unknown as { daaDemo: { results: { age: number; spread: number; ms: number }[]; workerMessages: { ok: boolean; result: { age?: number } | null }[] }; maxGap: number; tick: number; mainThreadWasm: number };
    clearInterval(w.tick);
    return {
      shown: document.getElementById('age')!.textContent,
      meta: document.getElementById('meta')!.textContent,
      result: w.daaDemo.results[0],
      fromWorker: w.daaDemo.workerMessages.filter((m) => m.ok && m.result && typeof m.result.age === 'number').map((m) => m.result!.age),
      maxGap: w.maxGap,
      mainThreadWasm: w.mainThreadWasm,
    };
  });
  mkdirSync(OUT_DIR, { recursive: true });
  await page.screenshot({ path: join(OUT_DIR, 'browser.png') });
  console.log(`  example page: shows "${state.shown}" (${state.meta}); upload to result ${ms} ms; page-thread longest gap ${state.maxGap.toFixed(0)} ms; screenshot test/runtimes/out/browser.png`);
  const errors = (page as Page & { errors?: string[] }).errors!;
  assert.equal(errors, [], 'no page errors');
  assert.equal(state.fromWorker, [state.result.age], 'the worker message carried the result that is shown');
  assert.is(state.mainThreadWasm, 0, 'the page thread compiled no wasm');
  assert.ok(state.maxGap < 250, `the page thread stayed responsive (longest gap ${state.maxGap} ms)`);
  // the worker decodes JPEG/PNG with daa-wasm/decode: the same pixels, the same age as Node
  assert.ok(Math.abs(state.result.age - ref.age) < SAME_AGE, `page ${state.result.age} vs node ${ref.age}`);
  assert.match(state.shown!, new RegExp(`^${Math.round(state.result.age)} years`));
  assert.ok(existsSync(join(OUT_DIR, 'browser.png')) && readFileSync(join(OUT_DIR, 'browser.png')).length > 1000);
  await page.close();
});

test.run();
