/**
 * Step 1 of packing the train split for the PyTorch trainer (train/gpu/train_daa.py): resizes every
 * train image to S x S exactly as the tfjs trainer and the runtime do (train/data.ts: bilinear,
 * half-pixel centres, rounded to u8; this fills the u8 cache in train/cache/) and writes
 * `<out>.json` with the ages, the validation indices (the tfjs trainer's own `splitValidation`, same
 * seed, so both trainers validate on the same images) and the cache file that holds the pixels.
 * Step 2, `python3 train/gpu/pack.py <out>.json`, turns those pixels into JPEG mosaics small enough
 * for the 64 MiB a GPU machine is sent.
 *
 * `--teacher FILE` (train/teacher.ts) adds `targets`: (1 - W) x label + W x the teacher's age for every
 * training image (`--teacher-weight W`, default 0.5; the validation images keep their labels), which
 * train_daa.py trains on instead of `ages`, as `npm run train -- --teacher` does.
 *
 * Usage: npx tsx train/gpu/pack.ts [--size 96] [--out .gpu/utk-train-96] [--teacher FILE --teacher-weight 0.5]
 * The output is derived from UTKFace (non-commercial research use only): keep it out of git.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CACHE_DIR, DEFAULT_DATA_DIR, loadDataset, splitValidation, teacherTargets } from '../data.ts';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const { values: a } = parseArgs({
  options: {
    data: { type: 'string', default: DEFAULT_DATA_DIR },
    size: { type: 'string', default: '96' },
    seed: { type: 'string', default: '1' },
    'val-fraction': { type: 'string', default: '0.1' },
    out: { type: 'string' },
    teacher: { type: 'string' },
    'teacher-weight': { type: 'string', default: '0.5' },
  },
});
const size = Number(a.size);
const seed = Number(a.seed);
const valFraction = Number(a['val-fraction']);
const out = resolve(a.out ?? `.gpu/utk-train-${size}`);

const ds = loadDataset(a.data!, { size, split: 'train' });
const { train, val } = splitValidation(ds.ages.length, valFraction, seed);
// the cache file loadDataset just read or wrote (one per data folder, split and size)
const caches = readdirSync(DEFAULT_CACHE_DIR).filter((f) => f.startsWith(`utkface-train-${size}-`) && f.endsWith('.u8'));
if (caches.length !== 1) throw new Error(`expected one train cache at ${size}px in ${DEFAULT_CACHE_DIR}, found ${caches.length}`);
mkdirSync(dirname(out), { recursive: true });
// --teacher: the training images' targets (the validation images keep their labels)
const teacherWeight = Number(a['teacher-weight']);
const targets = a.teacher ? Array.from(teacherTargets(ds.ages, ds.files, train, a.teacher, teacherWeight)) : null;
writeFileSync(
  `${out}.json`,
  JSON.stringify({
    size, count: ds.ages.length, seed, valFraction, pixels: join(DEFAULT_CACHE_DIR, caches[0]), ages: Array.from(ds.ages), val: Array.from(val),
    ...(targets ? { teacher: { file: a.teacher, weight: teacherWeight }, targets } : {}),
  }),
);
console.log(`${out}.json: ${ds.ages.length} train images at ${size}px, ${val.length} in validation`);
