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
import { cameraVideo, fakeCamera, nodeCameraAges } from './fake-camera.ts';
import { CHROMIUM, CHROMIUM_ARGS, DATA_DIR, encodePng, face, modelFile, orientedJpegs, orientedPngs, tmp, nodeReference, OUT_DIR, packed, realFaceNote, ROOT, SAME_AGE, serve, type Served } from './util.ts';

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
    // the same orientation as a PNG eXIf chunk: lossless, so the browser's <img> and daa-wasm/decode
    // give the same pixels when they agree on the orientation
    const png = new Uint8Array(await (await fetch('/orientation-' + o + '.png')).arrayBuffer());
    const pimg = new Image();
    pimg.src = URL.createObjectURL(new Blob([png], { type: 'image/png' }));
    await pimg.decode();
    out.push({ orientation: o, age: est.estimate(bytes).age, imgAge: est.estimate(img).age, imgSize: [img.naturalWidth, img.naturalHeight], pngAge: est.estimate(png).age, pngImgAge: est.estimate(pimg).age, pngImgSize: [pimg.naturalWidth, pimg.naturalHeight] });
  }
  est.dispose();
  return out;
};
// a <video> playing the fake camera (a MediaStream), paused so that it holds one frame: the age of
// the element against the age of that frame drawn to a canvas and passed as raw pixels
window.runVideo = async (modelUrl) => {
  const { readImage } = await import('daa-wasm');
  const est = await createEstimator({ crop: 'chip', ...(modelUrl ? { model: new URL(modelUrl, location.href).href } : {}) });
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  const video = document.createElement('video');
  video.muted = true;
  video.srcObject = stream;
  await video.play();
  await new Promise((r) => video.requestVideoFrameCallback(r));
  video.pause();
  await new Promise((r) => setTimeout(r, 100));
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(video, 0, 0);
  const raw = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const out = {
    size: [video.videoWidth, video.videoHeight],
    raw: est.estimate(raw).age,
    video: est.estimate(video).age,
    readImage: est.estimate(await readImage(video)).age,
  };
  ctx.drawImage(video, 0, 0); // the element still shows the same frame
  const again = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  out.sameFrame = again.every((v, i) => v === raw.data[i]);
  stream.getTracks().forEach((t) => t.stop());
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
    mounts: { '/dist/': join(pkgDir, 'dist'), '/examples/browser/': join(ROOT, 'examples/browser'), '/test/fixtures/photos/': join(ROOT, 'test/fixtures/photos') },
    files: {
      '/api.html': new TextEncoder().encode(API_PAGE), '/face': f.file, '/face.png': await facePng(f.file), ...(model ? { '/model.daaw': model } : {}),
      ...Object.fromEntries((await orientedJpegs(f.file)).map(({ orientation, bytes }) => [`/orientation-${orientation}.jpg`, bytes])),
      ...Object.fromEntries((await orientedPngs(f.file)).map(({ orientation, bytes }) => [`/orientation-${orientation}.png`, bytes])),
    },
    maxMs: 150_000,
  });
  const { chromium } = await import('playwright-core');
  // the fake camera: getUserMedia is granted without a prompt and plays fakeCamera()'s .y4m, looped
  const cam = await fakeCamera();
  const cameraArgs = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${cam.file}`];
  browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...cameraArgs], timeout: 60_000 });
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
  type Row = { orientation: number; age: number; imgAge: number; imgSize: number[]; pngAge: number; pngImgAge: number; pngImgSize: number[] };
  const rows = await page.evaluate((m) => (window as unknown as { runOrientations(m: string | null): Promise<Row[]> }).runOrientations(m), model ? '/model.daaw' : null);
  const files = await orientedJpegs(f.file);
  for (const row of rows) {
    const file = tmp(`chromium-orientation-${row.orientation}.jpg`);
    writeFileSync(file, files[row.orientation - 1].bytes);
    const ref = await nodeReference(file);
    assert.ok(Math.abs(row.age - ref.age) < SAME_AGE, `orientation ${row.orientation}: chromium ${row.age} vs node ${ref.age}`);
    // the browser's JPEG decoder differs slightly from jpeg-js (see above): on the real face up to 1.01
    // years with the default weights (orientation 1, 2026-12-06); a wrong orientation is a mirror
    // (88.5 against 82.0 in Node) or an upside-down face (no face found), so 1.5 still tells them apart
    assert.ok(Math.abs(row.imgAge - row.age) < (f.real ? 1.5 : 0.1), `orientation ${row.orientation}: <img> ${row.imgAge} vs daa-wasm/decode ${row.age}`);
    assert.equal(row.imgSize, [ref.width, ref.height]);
    // PNG eXIf: Chromium's <img> turns the picture as daa-wasm/decode does (same pixels, same age)
    assert.equal(row.pngImgSize, [ref.width, ref.height], `PNG orientation ${row.orientation}: <img> size`);
    assert.ok(Math.abs(row.pngImgAge - row.pngAge) < SAME_AGE, `PNG orientation ${row.orientation}: <img> ${row.pngImgAge} vs daa-wasm/decode ${row.pngAge}`);
  }
  console.log(`  chromium: orientations 1-8 -> ${rows.map((r) => r.age.toFixed(3)).join(' ')}; <img> (browser decoder) ${rows.map((r) => r.imgAge.toFixed(2)).join(' ')}; PNG eXIf ${rows.map((r) => r.pngAge.toFixed(3)).join(' ')}, <img> ${rows.map((r) => r.pngImgAge.toFixed(3)).join(' ')}`);
  await page.close();
});

test('a <video> playing a camera stream: the age of the frame it shows, drawn to a canvas', async () => {
  if (!HAVE_CHROMIUM) return console.log(`  SKIP: ${CHROMIUM} is not installed`);
  const model = await modelFile();
  const page = await newPage();
  await page.goto(`${server!.url}/api.html`);
  await page.waitForFunction(() => (window as unknown as { apiReady?: boolean }).apiReady === true);
  type VideoResult = { size: number[]; raw: number; video: number; readImage: number; sameFrame: boolean };
  const r = await page.evaluate((m) => (window as unknown as { runVideo(m: string | null): Promise<VideoResult> }).runVideo(m), model ? '/model.daaw' : null);
  console.log(`  <video> ${r.size.join('x')} (fake camera): element ${r.video.toFixed(4)}, readImage ${r.readImage.toFixed(4)}, its frame as raw pixels ${r.raw.toFixed(4)}`);
  assert.ok(r.sameFrame, 'the paused element kept its frame');
  assert.equal(r.size, [640, 480]);
  assert.ok(Math.abs(r.video - r.raw) < SAME_AGE, `HTMLVideoElement ${r.video} vs raw ${r.raw}`);
  assert.ok(Math.abs(r.readImage - r.raw) < SAME_AGE, `readImage(video) ${r.readImage} vs raw ${r.raw}`);
  await page.close();
});

type DemoWindow = {
  daaDemo: {
    results: { faces: { box: { x: number; y: number; width: number; height: number }; age: number; spread: number }[]; chip: { age: number } | null; ms: number }[];
    workerMessages: { ok: boolean; result: unknown }[];
    live: null | { running: boolean; frames: number; fps: number; workerMs: number; error: string | null; stats: Record<string, number> | null; history: { t: number; ms: number; readMs: number; faces: { id: number; age: number | null; ageRaw: number | null; box: { x: number; width: number } }[] }[] };
  };
  maxGap: number;
  tick: number;
  mainThreadWasm: number;
};

/** The demo page, ready, with a counter of page-thread wasm compilations and a page-thread ticker. */
async function demoPage(): Promise<Page> {
  const model = await modelFile();
  const page = await newPage();
  await page.setViewportSize({ width: 800, height: 760 });
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
  // a page-thread ticker: the longest gap between ticks while the worker works
  await page.evaluate(() => {
    const w = window as unknown as DemoWindow;
    w.maxGap = 0;
    let last = performance.now();
    w.tick = setInterval(() => {
      const now = performance.now();
      w.maxGap = Math.max(w.maxGap, now - last);
      last = now;
    }, 5) as unknown as number;
  });
  return page;
}

/** Node's estimateAll on the same pixels (the sources, the same model). */
async function nodeFaces(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number) {
  const { createEstimator } = await import('../../src/index.ts');
  const model = await modelFile();
  const est = await createEstimator(model ? { model } : {});
  const faces = est.estimateAll({ data: rgba, width, height });
  est.dispose();
  return faces;
}

test('examples/browser: a photo (chosen, then dropped): every face boxed with its age, computed in the Web Worker; screenshot', async () => {
  if (!HAVE_CHROMIUM) return console.log(`  SKIP: ${CHROMIUM} is not installed`);
  const cam = await fakeCamera();
  const f = await face();
  // a whole photo: the fake camera's first frame (two faces) as a PNG, or the face file without the data
  const photoFile = cam.real ? tmp('two-faces.png') : f.file;
  if (cam.real) writeFileSync(photoFile, await encodePng(new Uint8Array(cam.frame(0).buffer), cam.width, cam.height));
  const { decodeImage } = await import('../../src/platform/decode.ts');
  const pixels = await decodeImage(new Uint8Array(readFileSync(photoFile)));
  const ref = await nodeFaces(pixels.data, pixels.width, pixels.height);
  const chipRef = cam.real ? null : await nodeReference(f.file);
  const page = await demoPage();
  const t0 = Date.now();
  await page.setInputFiles('#file', photoFile);
  await page.waitForFunction(() => (window as unknown as DemoWindow).daaDemo.results.length > 0, null, { timeout: 60_000 });
  const ms = Date.now() - t0;
  // the page thread's longest gap up to the result (the drop below hands the page the file's bytes as
  // a JSON array, which stalls the page thread by itself)
  const maxGap = await page.evaluate(() => (window as unknown as DemoWindow).maxGap);
  // the same file dropped on the stage
  const bytes = [...readFileSync(photoFile)];
  await page.evaluate((b) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(b)], 'dropped.png', { type: 'image/png' }));
    document.getElementById('stage')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, bytes);
  await page.waitForFunction(() => (window as unknown as DemoWindow).daaDemo.results.length > 1, null, { timeout: 60_000 });
  const state = await page.evaluate(() => {
    const w = window as unknown as DemoWindow;
    clearInterval(w.tick);
    return { shown: document.getElementById('age')!.textContent, meta: document.getElementById('meta')!.textContent, results: w.daaDemo.results, mainThreadWasm: w.mainThreadWasm, workerMessages: w.daaDemo.workerMessages.length };
  });
  mkdirSync(OUT_DIR, { recursive: true });
  await page.screenshot({ path: join(OUT_DIR, 'browser.png') });
  const [chosen, dropped] = state.results;
  console.log(`  example page: ${chosen.faces.length} face(s) ${chosen.faces.map((x) => x.age.toFixed(2)).join(', ')}${chosen.chip ? `, a face crop ${chosen.chip.age.toFixed(2)}` : ''}; shows "${state.shown}" (${state.meta}); choose to result ${ms} ms; page-thread longest gap ${maxGap.toFixed(0)} ms; screenshot test/runtimes/out/browser.png [${cam.real ? 'two UTKFace test chips in a 640x480 frame' : f.label}]`);
  const errors = (page as Page & { errors?: string[] }).errors!;
  assert.equal(errors, [], 'no page errors');
  assert.equal({ ...dropped, ms: 0 }, { ...chosen, ms: 0 }, 'a dropped file gives what the chosen file gave');
  assert.is(state.mainThreadWasm, 0, 'the page thread compiled no wasm');
  assert.ok(maxGap < 250, `the page thread stayed responsive (longest gap ${maxGap} ms)`);
  // the worker decodes PNG with daa-wasm/decode: the same pixels, the same faces and ages as Node
  // (Chromium runs the relaxed-SIMD build; its detector kernels give the SIMD build's bits)
  assert.is(chosen.faces.length, ref.length, `faces: page ${chosen.faces.length}, node ${ref.length}`);
  chosen.faces.forEach((x, i) => {
    assert.ok(Math.abs(x.age - ref[i].age) < SAME_AGE, `face ${i}: page ${x.age} vs node ${ref[i].age}`);
    for (const k of ['x', 'y', 'width', 'height'] as const) assert.ok(Math.abs(x.box[k] - ref[i].box[k]) < 1e-3, `face ${i} box.${k}: page ${x.box[k]} vs node ${ref[i].box[k]}`);
  });
  if (cam.real) {
    assert.is(chosen.faces.length, 2, 'both faces of the frame');
    assert.match(state.shown!, new RegExp(`^${Math.round(chosen.faces[0].age)} years`));
  } else if (!chosen.faces.length) {
    // the synthetic picture: no face (NoFaceError in the worker, "No face found" on the page) or a crop
    if (chosen.chip) assert.ok(Math.abs(chosen.chip.age - chipRef!.age) < 1);
    else assert.match(state.meta!, /No face found/);
  }
  await page.close();
});

test('examples/browser: "Try a sample photo" loads the public-domain portrait and boxes its face, as Node does', async () => {
  if (!HAVE_CHROMIUM) return console.log(`  SKIP: ${CHROMIUM} is not installed`);
  const file = join(ROOT, 'test/fixtures/photos/astronaut.jpg');
  const { decodeImage } = await import('../../src/platform/decode.ts');
  const pixels = await decodeImage(new Uint8Array(readFileSync(file)));
  const ref = await nodeFaces(pixels.data, pixels.width, pixels.height);
  const page = await demoPage();
  await page.click('#sample');
  await page.waitForFunction(() => (window as unknown as DemoWindow).daaDemo.results.length > 0, null, { timeout: 60_000 });
  const state = await page.evaluate(() => {
    const w = window as unknown as DemoWindow;
    clearInterval(w.tick);
    return { shown: document.getElementById('age')!.textContent, results: w.daaDemo.results };
  });
  const [shown] = state.results;
  console.log(`  sample photo: ${shown.faces.length} face(s) ${shown.faces.map((x) => x.age.toFixed(2)).join(', ')}; shows "${state.shown}"`);
  assert.equal((page as Page & { errors?: string[] }).errors!, [], 'no page errors');
  assert.is(shown.faces.length, 1, 'the one face of the portrait');
  assert.is(ref.length, 1);
  assert.ok(Math.abs(shown.faces[0].age - ref[0].age) < SAME_AGE, `page ${shown.faces[0].age} vs node ${ref[0].age}`);
  for (const k of ['x', 'y', 'width', 'height'] as const) assert.ok(Math.abs(shown.faces[0].box[k] - ref[0].box[k]) < 1e-3, `box.${k}: page ${shown.faces[0].box[k]} vs node ${ref[0].box[k]}`);
  await page.close();
});

test('examples/browser live mode: the fake camera, faces tracked in the Web Worker, steady ids and ages, the page responsive; screenshot', async () => {
  if (!HAVE_CHROMIUM) return console.log(`  SKIP: ${CHROMIUM} is not installed`);
  const cam = await fakeCamera();
  if (!cam.real) return console.log(`  SKIP: the live test needs the UTKFace data (${DATA_DIR}) for the faces of its video`);
  const refAge = (await nodeCameraAges()).mean;
  const page = await demoPage();
  await page.check('#hide'); // the screenshot shows no face
  await page.click('#camera');
  await page.waitForFunction(() => ((window as unknown as DemoWindow).daaDemo.live?.frames ?? 0) >= 1, null, { timeout: 60_000 });
  const RUN_MS = 8000;
  await page.waitForTimeout(RUN_MS);
  await page.screenshot({ path: join(OUT_DIR, 'live.png') });
  const state = await page.evaluate(() => {
    const w = window as unknown as DemoWindow;
    clearInterval(w.tick);
    const live = w.daaDemo.live!;
    return { frames: live.frames, fps: live.fps, error: live.error, stats: live.stats, history: live.history, maxGap: w.maxGap, mainThreadWasm: w.mainThreadWasm, fpsText: document.getElementById('fps')!.textContent };
  });
  await page.click('#stop');
  const errors = (page as Page & { errors?: string[] }).errors!;
  const h = state.history;
  const ids = [...new Set(h.flatMap((x) => x.faces.map((f) => f.id)))];
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
  const last = h[h.length - 1].faces;
  const tracked = [...last].sort((a, b) => a.box.x - b.box.x);
  const both = h.filter((x) => x.faces.length === 2).length;
  console.log(`  live: ${state.frames} frames in ${(RUN_MS / 1000).toFixed(0)}+ s, ${state.fps.toFixed(1)} frames/s estimated (worker median ${median(h.map((x) => x.ms)).toFixed(1)} ms a frame, of which ${median(h.map((x) => x.readMs)).toFixed(1)} ms reading it); page shows "${state.fpsText}"; ids ${ids.join(',')}; both faces in ${both}/${h.length} frames; tracked ${tracked.map((f) => f.age?.toFixed(2)).join(', ')} vs node's per-frame mean ${refAge.map((a) => a.toFixed(2)).join(', ')} (labels ${cam.labels.join(', ')}); stats ${JSON.stringify(state.stats)}; page-thread longest gap ${state.maxGap.toFixed(0)} ms; screenshot test/runtimes/out/live.png`);
  assert.equal(errors, [], 'no page errors');
  assert.is(state.error, null);
  assert.is(state.mainThreadWasm, 0, 'the page thread compiled no wasm');
  assert.ok(state.frames >= 20, `the live loop ran (${state.frames} frames)`);
  assert.ok(state.maxGap < 250, `the page thread stayed responsive (longest gap ${state.maxGap} ms)`);
  assert.equal(ids.length, 2, `two faces, two ids, no switch (ids ${ids.join(',')})`);
  assert.ok(both >= 0.9 * h.length, `both faces reported in ${both} of ${h.length} frames`);
  // Chromium's I420 -> RGB differs from ours by a level here and there: the tracked age is the
  // mean of many frames, so it lands near Node's mean of the same frames
  tracked.forEach((f, k) => assert.ok(f.age !== null && Math.abs(f.age - refAge[k]) < 2, `face ${k}: tracked ${f.age} vs node ${refAge[k]}`));
  await page.close();
});

test('examples/browser live mode on a video file (WebM, chosen with "Play a video…"): the same two people, steady', async () => {
  if (!HAVE_CHROMIUM) return console.log(`  SKIP: ${CHROMIUM} is not installed`);
  const cam = await fakeCamera();
  if (!cam.real) return console.log(`  SKIP: the video test needs the UTKFace data (${DATA_DIR}) for the faces of its video`);
  const webm = await cameraVideo('webm');
  if (!webm) return console.log('  SKIP: ffmpeg is not installed (apt-get install -y ffmpeg): it encodes the test video');
  const refAge = (await nodeCameraAges()).mean;
  const page = await demoPage();
  await page.setInputFiles('#videofile', webm);
  await page.waitForFunction(() => ((window as unknown as DemoWindow).daaDemo.live?.frames ?? 0) >= 30, null, { timeout: 60_000 });
  const state = await page.evaluate(() => {
    const w = window as unknown as DemoWindow;
    clearInterval(w.tick);
    const live = w.daaDemo.live!;
    return { frames: live.frames, fps: live.fps, error: live.error, history: live.history, maxGap: w.maxGap };
  });
  await page.click('#stop');
  const h = state.history;
  const ids = [...new Set(h.flatMap((x) => x.faces.map((f) => f.id)))];
  const tracked = [...h[h.length - 1].faces].sort((a, b) => a.box.x - b.box.x);
  console.log(`  video file: ${state.frames} frames, ${state.fps.toFixed(1)} frames/s; ids ${ids.join(',')}; tracked ${tracked.map((f) => f.age?.toFixed(2)).join(', ')} vs node ${refAge.map((a) => a.toFixed(2)).join(', ')} (before VP8 compression); page-thread longest gap ${state.maxGap.toFixed(0)} ms`);
  assert.equal((page as Page & { errors?: string[] }).errors, [], 'no page errors');
  assert.is(state.error, null);
  assert.equal(ids.length, 2, `two people, two ids (ids ${ids.join(',')})`);
  // VP8 at 4 Mbit/s moves each frame's age a little; the steady age stays near
  tracked.forEach((f, k) => assert.ok(f.age !== null && Math.abs(f.age - refAge[k]) < 2.5, `face ${k}: tracked ${f.age} vs node ${refAge[k]}`));
  await page.close();
});

test.run();
