/**
 * Generates docs/figures/photos.jpg: three of the real photos of test/fixtures/photos/ (astronaut,
 * camera, chelsea; public domain and CC0) side by side at 256 px high, each face that `estimateAll()`
 * finds drawn with its box and age by the CLI's `annotate()`. Faces are found on the full-size photo;
 * the boxes are scaled with it. Prints what it drew.
 *
 *   npx tsx scripts/figure-photos.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { createEstimator } from '../src/index.ts';
import { annotate } from '../src/annotate.ts';
import { decodeImage, resizeBilinearRGB } from '../train/data.ts';

const DIR = 'test/fixtures/photos';
const PHOTOS = ['astronaut.jpg', 'camera.jpg', 'chelsea.jpg'];
const HEIGHT = 256;
const GAP = 6;
const OUT = 'docs/figures/photos.jpg';

const est = await createEstimator({ backend: 'simd' });
const panels: Array<{ rgba: Uint8Array; width: number }> = [];
for (const name of PHOTOS) {
  const img = decodeImage(new Uint8Array(readFileSync(join(DIR, name))), name);
  const faces = await est.estimateAll(img);
  const s = HEIGHT / img.height;
  const width = Math.round(img.width * s);
  const small = resizeBilinearRGB(img.data, img.width, img.height, width, HEIGHT);
  const rgba = new Uint8Array(width * HEIGHT * 4);
  for (let i = 0; i < width * HEIGHT; i++) {
    for (let c = 0; c < 3; c++) rgba[i * 4 + c] = Math.round(small[i * 3 + c]);
    rgba[i * 4 + 3] = 255;
  }
  annotate(rgba, width, HEIGHT, faces.map((f) => ({
    box: { x: f.box.x * s, y: f.box.y * s, width: f.box.width * s, height: f.box.height * s }, age: f.age,
  })));
  console.log(`${name}: ${faces.length === 0 ? 'no face' : faces.map((f) => `age ${f.age.toFixed(1)}, box ${[f.box.x, f.box.y, f.box.width, f.box.height].map(Math.round).join(' ')}`).join('; ')}`);
  panels.push({ rgba, width });
}
// panels left to right on white, GAP px apart
const W = panels.reduce((w, p) => w + p.width, 0) + GAP * (panels.length - 1);
const out = new Uint8Array(W * HEIGHT * 4).fill(255);
let x0 = 0;
for (const p of panels) {
  for (let y = 0; y < HEIGHT; y++) out.set(p.rgba.subarray(y * p.width * 4, (y + 1) * p.width * 4), (y * W + x0) * 4);
  x0 += p.width + GAP;
}
const jpg = jpeg.encode({ data: out, width: W, height: HEIGHT }, 88);
writeFileSync(OUT, jpg.data);
console.log(`wrote ${OUT} (${W} x ${HEIGHT}, ${jpg.data.length} bytes)`);
