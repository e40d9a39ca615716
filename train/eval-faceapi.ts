/**
 * `npx tsx train/eval-faceapi.ts [--data DIR] [--split test|val] [--out docs/eval] [--limit N]`
 * The comparison row for `npm run eval`: face-api's AgeGenderNet (@vladmandic/face-api, the age model
 * most JavaScript users run) on the same UTKFace chips, decoded the same way (train/data.ts), given to
 * face-api as the whole 128x128 chip (its own preprocessing: pad to square, resize to 112, mean
 * subtraction) on tfjs-backend-wasm. Writes <out>/face-api.<split>.json and .md in the format of `npm run eval`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { faceApiCropAge, useTfjsWasm } from '../bench/peers/tfjs.ts';
import { DEFAULT_DATA_DIR, decodeImage, demographics, evalRows, imageDir, readLabels } from './data.ts';
import { ageMetrics, metricsMarkdown } from './metrics.ts';

const { values: a } = parseArgs({
  options: {
    data: { type: 'string', default: DEFAULT_DATA_DIR },
    split: { type: 'string', default: 'test' },
    out: { type: 'string', default: 'docs/eval' },
    limit: { type: 'string' },
  },
});
await useTfjsWasm(); // tfjs-backend-wasm, one thread (as in the bench)
const ageOf = await faceApiCropAge();

const rows = evalRows(readLabels(a.data!), a.split!);
const chosen = a.limit ? rows.slice(0, Number(a.limit)) : rows;
const dir = imageDir(a.data!);
const pred = new Float64Array(chosen.length);
const truth = Float64Array.from(chosen, (r) => r.age);
const t0 = performance.now();
for (let i = 0; i < chosen.length; i++) {
  const img = decodeImage(new Uint8Array(readFileSync(join(dir, chosen[i].file))), chosen[i].file);
  pred[i] = await ageOf(img);
  if ((i + 1) % 200 === 0) process.stderr.write(`\r${i + 1}/${chosen.length}`);
}
process.stderr.write('\n');
const m = ageMetrics(pred, truth, undefined, demographics(chosen));
const text = [`# Evaluation: face-api AgeGenderNet on UTKFace ${a.split} (${chosen.length} images)`, '', `Command: \`npx tsx train/eval-faceapi.ts ${process.argv.slice(2).join(' ')}\``, '', metricsMarkdown(m, 'face-api AgeGenderNet')].join('\n');
console.log(text);
const out = resolve(a.out!);
mkdirSync(out, { recursive: true });
const stem = join(out, `face-api.${a.split}`);
writeFileSync(`${stem}.json`, JSON.stringify({ model: 'face-api AgeGenderNet', split: a.split, n: chosen.length, seconds: (performance.now() - t0) / 1000, results: { 'interval 1': m } }, null, 1));
writeFileSync(`${stem}.md`, text + '\n');
