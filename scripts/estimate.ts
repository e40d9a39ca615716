/**
 * `npm run estimate -- [--model M] [--precision fp32|int8] [--interval K] <image.jpg|png ...>`
 * Estimates each face crop with the embedded default model (or --model) and prints one JSON line per
 * file: { file, age, spread, ms }. Without a file argument it uses the first UTKFace test chip from
 * ../shared/data/utkface (the data is never shipped).
 */
import { readFileSync, existsSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEstimator, DaaError, type Precision } from '../src/index.ts';
import { decodeImageSync } from '../src/platform/decode.ts';
import { readLabels, DEFAULT_DATA_DIR, imageDir } from '../train/data.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { model: { type: 'string' }, precision: { type: 'string' }, interval: { type: 'string' } },
});
let files = positionals;
if (files.length === 0) {
  if (!existsSync(join(DEFAULT_DATA_DIR, 'labels.csv'))) {
    console.error(`usage: npm run estimate -- <image...>  (no image given and no UTKFace data at ${DEFAULT_DATA_DIR})`);
    process.exit(2);
  }
  const first = readLabels(DEFAULT_DATA_DIR).find((r) => r.split === 'test')!;
  files = [join(imageDir(DEFAULT_DATA_DIR), first.file)];
  console.error(`no image given: using UTKFace test chip ${first.file} (labelled age ${first.age})`);
}
try {
  const t0 = performance.now();
  const est = await createEstimator({
    model: values.model,
    precision: values.precision as Precision | undefined,
    interval: values.interval ? Number(values.interval) : undefined,
  });
  console.error(`model loaded in ${(performance.now() - t0).toFixed(1)} ms (${est.config.encoder}-${est.config.daa}, ${est.precision}, ${est.backend})`);
  for (const f of files) {
    try {
      // daa-wasm/decode, as the package decodes: a phone photo's EXIF orientation is applied
      const img = decodeImageSync(new Uint8Array(readFileSync(resolve(f))));
      const t = performance.now();
      const r = est.estimate(img);
      const ms = performance.now() - t;
      console.log(JSON.stringify({ file: f, age: +r.age.toFixed(2), spread: +r.spread.toFixed(2), ms: +ms.toFixed(2) }));
    } catch (e) {
      console.error(`${f}: ${(e as Error).message}`);
      process.exitCode = 1;
    }
  }
  est.dispose();
} catch (e) {
  console.error(e instanceof DaaError ? `${e.code}: ${e.message}` : e);
  process.exit(1);
}
