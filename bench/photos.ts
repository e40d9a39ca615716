/**
 * The real photos of test/fixtures/photos/ (public domain and CC0; its README.md says what each shows)
 * through daa-wasm's `estimateAll()` and through face-api's own whole-image pipelines (its tiny face
 * detector or SSD MobileNetV1, then AgeGenderNet; tfjs-backend-wasm, default options), same process.
 * Prints every face each finds (box, age) beside the one known age. Five photos are no evaluation: this
 * shows how the three answer on real pictures, including a cat and face-free scenes.
 *
 * Then the time of each whole-image call per photo, interleaved rounds, medians and paired ratios.
 *
 *   npx tsx bench/photos.ts [--rounds 9]      writes bench/results/photos.md
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEstimator } from '../src/index.ts';
import { decodeImage } from '../train/data.ts';
import { faceApiPipeline, useTfjsWasm, tfjsWasmInfo } from './peers/tfjs.ts';
import { fmt, mdTable, pairedRatio, runInterleaved, summarize } from './lib/stats.ts';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '9' } } });
const rounds = Number(args.rounds);

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
const timeRows: string[][] = [];
for (const name of PHOTOS) {
  const img = decodeImage(new Uint8Array(readFileSync(join(DIR, name))), name);
  const tiny = await faceApiPipeline('tiny', img);
  const ssd = await faceApiPipeline('ssd', img);
  rows.push([name, KNOWN[name] ?? 'no human face', fmtFaces(est.estimateAll(img)), fmtFaces(await tiny.run()), fmtFaces(await ssd.run())]);
  console.log(rows[rows.length - 1].join(' | '));
  // the three whole-image calls on this photo, interleaved rounds in this process
  const t = await runInterleaved([
    { name: 'ours', run: () => est.estimateAll(img) },
    { name: 'tiny', run: () => tiny.run() },
    { name: 'ssd', run: () => ssd.run() },
  ], { rounds, warmup: 2, label: name });
  const med = (k: string) => fmt(summarize(t.samples.get(k)!).median, 3);
  timeRows.push([name, `${img.width} x ${img.height}`, med('ours'), med('tiny'), med('ssd'),
    `${fmt(pairedRatio(t, 'tiny', 'ours').median)}x`, `${fmt(pairedRatio(t, 'ssd', 'ours').median)}x`]);
  console.log(timeRows[timeRows.length - 1].join(' | '));
  tiny.dispose();
  ssd.dispose();
}
const md = [
  '# Real photos: daa-wasm against face-api\'s whole-image pipelines',
  '',
  `${new Date().toISOString()}, \`npx tsx bench/photos.ts --rounds ${rounds}\`, Node ${process.version}; daa-wasm \`estimateAll()\` with its defaults`,
  `(the int8 pair of age models); face-api ${'`detectAllFaces(image, options).withAgeAndGender()`'} with default options on`,
  `tfjs-backend-wasm ${info.version}. Each cell: the age of every face found, at its box [x, y, width, height] in pixels.`,
  'The photos and their licences: test/fixtures/photos/README.md.',
  '',
  mdTable(['photo', 'known age', 'daa-wasm', 'face-api tiny + AgeGenderNet', 'face-api SSD + AgeGenderNet'], rows),
  '',
  `Time per photo, ms (median of ${rounds} interleaved rounds, one thread; decoding excluded), and face-api's time over ours (paired per round):`,
  '',
  mdTable(['photo', 'size', 'daa-wasm estimateAll', 'face-api tiny', 'face-api SSD', 'tiny / ours', 'SSD / ours'], timeRows),
  '',
].join('\n');
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/photos.md', md);
console.log('wrote bench/results/photos.md');
