/**
 * The real photos of test/fixtures/photos/ (public domain and CC0; its README.md says what each shows)
 * through daa-wasm's `estimateAll()` and through face-api's own whole-image pipelines (its tiny face
 * detector or SSD MobileNetV1, then AgeGenderNet; tfjs-backend-wasm, default options), same process.
 * Prints every face each finds (box, age) beside the one known age. Five photos are no evaluation: this
 * shows how the three answer on real pictures, including a cat and face-free scenes.
 *
 *   npx tsx bench/photos.ts       writes bench/results/photos.md
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEstimator } from '../src/index.ts';
import { decodeImage } from '../train/data.ts';
import { faceApiPipeline, useTfjsWasm, tfjsWasmInfo } from './peers/tfjs.ts';
import { mdTable } from './lib/stats.ts';

const DIR = 'test/fixtures/photos';
/** The known ages (test/fixtures/photos/README.md: Eileen Collins in the STS-93 crew portrait). */
const KNOWN: Record<string, string> = { 'astronaut.jpg': '41-42', 'camera.jpg': 'unknown' };
const PHOTOS = ['astronaut.jpg', 'camera.jpg', 'chelsea.jpg', 'coffee.jpg', 'rocket.jpg'];

interface Found { box: { x: number; y: number; width: number; height: number }; age: number }
const fmtFaces = (faces: Found[]) => faces.length === 0
  ? 'no face'
  : faces.map((f) => `${f.age.toFixed(1)} at [${[f.box.x, f.box.y, f.box.width, f.box.height].map((v) => Math.round(v)).join(', ')}]`).join('; ');

await useTfjsWasm();
const info = await tfjsWasmInfo();
const est = await createEstimator({ backend: 'simd' });
const rows: string[][] = [];
for (const name of PHOTOS) {
  const img = decodeImage(new Uint8Array(readFileSync(join(DIR, name))), name);
  const ours = await est.estimateAll(img);
  const peers: string[] = [];
  for (const kind of ['tiny', 'ssd'] as const) {
    const p = await faceApiPipeline(kind, img);
    peers.push(fmtFaces(await p.run()));
    p.dispose();
  }
  rows.push([name, KNOWN[name] ?? 'no human face', fmtFaces(ours), ...peers]);
  console.log(rows[rows.length - 1].join(' | '));
}
const md = [
  '# Real photos: daa-wasm against face-api\'s whole-image pipelines',
  '',
  `${new Date().toISOString()}, \`npx tsx bench/photos.ts\`, Node ${process.version}; daa-wasm \`estimateAll()\` with its defaults`,
  `(the int8 pair of age models); face-api ${'`detectAllFaces(image, options).withAgeAndGender()`'} with default options on`,
  `tfjs-backend-wasm ${info.version}. Each cell: the age of every face found, at its box [x, y, width, height] in pixels.`,
  'The photos and their licences: test/fixtures/photos/README.md.',
  '',
  mdTable(['photo', 'known age', 'daa-wasm', 'face-api tiny + AgeGenderNet', 'face-api SSD + AgeGenderNet'], rows),
  '',
].join('\n');
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/photos.md', md);
console.log('wrote bench/results/photos.md');
