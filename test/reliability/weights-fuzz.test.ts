/**
 * Seeded fuzzing of the weight-file reader (issue "Hostile input and long runs"): real weight files
 * of every encoder and DAA variant, fp32 and int8, are mutated (bit flips, byte sets, u32 field
 * overwrites at header and table offsets, splices, insertions/deletions, truncations, extensions,
 * table-entry copies, JSON-level config edits) 100,000 times as they are (the CRC rejects most) and
 * 100,000 times re-sealed (size and CRC fixed after the edit, so the deeper checks are reached).
 * Only WeightFormatError may escape; no case may take long; the rejection codes are counted; a
 * sample of the re-sealed mutants that the reader accepts must go through Estimator.create and an
 * estimate with no error other than a DaaError; afterwards the good file still loads and estimates
 * bit for bit as before. DAA_LONG=1: 1,000,000 cases per mode. DAA_FUZZ_SEED overrides the seed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DaaError, WeightFormatError } from '../../src/errors.ts';
import { Estimator } from '../../src/estimator.ts';
import { modelCost, readWeightFile } from '../../src/format.ts';
import { makeWeights } from './determinism-fixture.ts';
import { corpusEntry, mutate, rand, type Corpus } from './mutate.ts';
import { C3AE64, LONG, reseal, rgba, SMALL_CONFIGS, weightFile } from './util.ts';

const CASES = Number(process.env.DAA_FUZZ_CASES ?? (LONG ? 1_000_000 : 100_000));
const SEED = Number(process.env.DAA_FUZZ_SEED ?? 0xda4f022);
/** wall-clock budget of one mode; the count is fixed, so running out of it fails the test */
const BUDGET_MS = LONG ? 1_800_000 : 60_000;
/** no single case may take this long (the largest corpus file is 221 KB: ~1 ms to read; the slack is for GC pauses on a loaded machine) */
const CASE_LIMIT_MS = 1000;

const corpus: Corpus[] = [];
for (const [name, cfg] of SMALL_CONFIGS)
  for (const p of ['fp32', 'int8'] as const) corpus.push(corpusEntry(`${name}-${p}`, weightFile(cfg, p, corpus.length + 1)));
const big = [corpusEntry('c3ae64-fp32', makeWeights()), corpusEntry('c3ae64-int8', weightFile(C3AE64, 'int8', 99))];

const good = makeWeights();
const img = rgba(72, 80, 3);
let before = 0;

interface Tally {
  codes: Map<string, number>;
  /** the rejection messages with numbers and tensor names blanked: which checks fired */
  reasons: Map<string, number>;
  ops: Map<string, number>;
  /** accepted mutants, up to 50 per kind of mutation */
  accepted: Map<string, Uint8Array[]>;
  acceptedCount: number;
  maxCaseMs: number;
  ms: number;
}

function run(mode: 'raw' | 'resealed', seed: number): Tally {
  const r = rand(seed);
  const t: Tally = { codes: new Map(), reasons: new Map(), ops: new Map(), accepted: new Map(), acceptedCount: 0, maxCaseMs: 0, ms: 0 };
  const t0 = performance.now();
  for (let i = 0; i < CASES; i++) {
    const c = r() < 0.03 ? r.pick(big) : r.pick(corpus);
    const { bytes, op } = mutate(r, c, corpus);
    if (mode === 'resealed' && !op.startsWith('config')) reseal(bytes, r() < 0.9);
    t.ops.set(op.split('@')[0].split('.')[0], (t.ops.get(op.split('@')[0].split('.')[0]) ?? 0) + 1);
    const s = performance.now();
    let code = 'accepted';
    try {
      readWeightFile(bytes);
      t.acceptedCount++;
      const kind = op.split('@')[0];
      const list = t.accepted.get(kind) ?? [];
      if (list.length < 50) t.accepted.set(kind, [...list, bytes]);
    } catch (e) {
      if (!(e instanceof WeightFormatError))
        assert.unreachable(`case ${i} (seed ${seed}, ${mode}, ${c.name}, ${op}): ${(e as Error)?.stack ?? String(e)}`);
      code = (e as WeightFormatError).code;
      const why = `${code} ${reason((e as Error).message)}`;
      t.reasons.set(why, (t.reasons.get(why) ?? 0) + 1);
    }
    const dt = performance.now() - s;
    if (dt > t.maxCaseMs) t.maxCaseMs = dt;
    if (dt > CASE_LIMIT_MS) assert.unreachable(`case ${i} (${mode}, ${c.name}, ${op}) took ${dt.toFixed(1)} ms`);
    t.codes.set(code, (t.codes.get(code) ?? 0) + 1);
    if ((i & 1023) === 0 && performance.now() - t0 > BUDGET_MS) assert.unreachable(`${mode}: budget of ${BUDGET_MS} ms spent after ${i} cases`);
  }
  t.ms = performance.now() - t0;
  return t;
}

/** every check of src/format.ts, by the wording of its message: which checks the fuzz reached */
const CHECKS: Array<[RegExp, string]> = [
  [/bad magic/, 'magic'],
  [/format version/, 'version'],
  [/declared size \d+ exceeds/, 'file size limit'],
  [/declared size/, 'declared size != byte count'],
  [/shorter than the/, 'shorter than the header'],
  [/config of \d+ bytes/, 'config length'],
  [/tensor count/, 'tensor count'],
  [/table offset/, 'table offset'],
  [/data offset \d+ is not/, 'data offset'],
  [/data offset \d+ past/, 'data offset past the end'],
  [/checksum/, 'checksum'],
  [/padding after the config/, 'config padding'],
  [/padding after the tensor table/, 'table padding'],
  [/UTF-8 JSON/, 'JSON syntax / UTF-8'],
  [/not a JSON object/, 'JSON not an object'],
  [/invalid model config: (binary codes|input)/, 'config: architecture'],
  [/invalid model config: (\w+)/, 'config: $1'],
  [/is too small for/, 'config: input too small for the encoder'],
  [/: precision /, 'precision'],
  [/model memory/, 'model memory limit'],
  [/multiply-adds/, 'compute limit'],
  [/invalid tensor name/, 'tensor name'],
  [/after the name/, 'name padding'],
  [/duplicate tensor/, 'duplicate tensor'],
  [/unknown dtype/, 'dtype'],
  [/rank \d+ outside/, 'rank'],
  [/reserved bytes/, 'reserved bytes'],
  [/past rank/, 'dims past the rank'],
  [/dimension \d+ is/, 'dimension range'],
  [/elements is absurd/, 'tensor element limit'],
  [/unexpected tensor/, 'unexpected tensor'],
  [/but the config needs/, 'shape'],
  [/is not allowed in/, 'dtype vs precision'],
  [/bytes for \d+ elements/, 'byte count'],
  [/not 16-byte aligned/, 'alignment'],
  [/outside the data section/, 'range'],
  [/with a scale offset/, 'f32 with a scale offset'],
  [/missing tensor/, 'missing tensor'],
  [/overlapping/, 'overlap'],
  [/between tensors/, 'data gap padding'],
  [/after the last tensor/, 'trailing data'],
  [/element \d+ is/, 'non-finite weight'],
  [/scale \d+ is/, 'bad int8 scale'],
];
const reason = (m: string) => {
  for (const [re, label] of CHECKS) {
    const x = re.exec(m);
    if (x) return label.replace('$1', x[1] ?? '');
  }
  return `other: ${m.slice(0, 80)}`;
};

function show(mode: string, t: Tally): string[] {
  const codes = [...t.codes].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  const ops = [...t.ops].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`  fuzz ${mode}: ${CASES} cases in ${(t.ms / 1000).toFixed(1)} s (max ${t.maxCaseMs.toFixed(2)} ms per case)\n    codes: ${codes}\n    ops: ${ops}`);
  const missed = CHECKS.map(([, l]) => l).filter((l) => !l.includes('$1') && ![...t.reasons.keys()].some((k) => k.endsWith(` ${l}`)));
  console.log(
    `    ${t.reasons.size} distinct checks fired; never fired: ${missed.join(', ') || 'none'}` +
      (process.env.DAA_FUZZ_REASONS ? ':\n      ' + [...t.reasons].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${v}  ${k}`).join('\n      ') : ' (DAA_FUZZ_REASONS=1 lists them)'),
  );
  return missed;
}

test('the good file estimates before the fuzz', async () => {
  const est = await Estimator.create({ crop: 'chip', model: good });
  before = est.estimate(img).age;
  assert.ok(Number.isFinite(before));
  est.dispose();
});

test(`fuzz: ${CASES} raw mutants: only WeightFormatError, bounded time`, () => {
  const t = run('raw', SEED);
  show('raw', t);
  assert.ok((t.codes.get('WEIGHTS_CHECKSUM') ?? 0) > CASES / 3, 'the CRC catches most raw mutants');
});

let sealed: Tally;
let sealedMissed: string[] = [];
test(`fuzz: ${CASES} re-sealed mutants reach the deeper checks`, () => {
  sealed = run('resealed', SEED + 1);
  sealedMissed = show('resealed', sealed);
  // every layer of checks is exercised
  for (const code of ['WEIGHTS_MAGIC', 'WEIGHTS_VERSION', 'WEIGHTS_SIZE', 'WEIGHTS_TRUNCATED', 'WEIGHTS_CONFIG', 'WEIGHTS_TABLE', 'WEIGHTS_TENSOR'])
    assert.ok((sealed.codes.get(code) ?? 0) > 0, `no re-sealed mutant reached ${code}`);
  assert.ok((sealed.codes.get('WEIGHTS_CHECKSUM') ?? 0) < CASES / 20, 're-sealing works');
  // and nearly every individual check (a table of 96-byte entries never needs padding; a JSON header
  // that is not an object is a directed case in weights-hostile.test.ts)
  const expectedMisses = new Set(['checksum', 'table padding', 'JSON not an object']);
  assert.equal(sealedMissed.filter((m) => !expectedMisses.has(m)), [], 'checks the re-sealed fuzz never reached');
});

test('re-sealed mutants the reader accepts load and estimate, or fail with a DaaError', async () => {
  const limit = LONG ? 400 : 60;
  let created = 0;
  let skipped = 0;
  const outcomes = new Map<string, number>();
  // round-robin over the kinds of mutation, so config edits (inputSize, featDim...) are among them
  const lists = [...sealed.accepted.values()];
  const sample: Uint8Array[] = [];
  for (let i = 0; sample.length < limit && lists.some((l) => i < l.length); i++) for (const l of lists) if (i < l.length && sample.length < limit) sample.push(l[i]);
  console.log(`  accepted kinds: ${[...sealed.accepted].map(([k, v]) => `${k} ${v.length}`).join(', ')}`);
  for (const bytes of sample) {
    const f = readWeightFile(bytes);
    const cost = modelCost(f.config);
    // CI keeps to models of CI size; the long mode loads them all (each is within the documented limits)
    if (!LONG && (cost.memoryBytes > 32 * 1048576 || cost.macs > 2e8)) {
      skipped++;
      continue;
    }
    let outcome = 'ok';
    try {
      const est = await Estimator.create({ crop: 'chip', model: bytes });
      const r = est.estimate(img);
      if (!Number.isFinite(r.age)) outcome = 'non-finite age';
      est.estimate({ data: new Uint8Array(9), width: 3, height: 3 });
      est.dispose();
      created++;
    } catch (e) {
      if (!(e instanceof DaaError)) assert.unreachable(`accepted mutant failed in Estimator.create/estimate: ${(e as Error)?.stack ?? String(e)}`);
      outcome = (e as DaaError).code;
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  console.log(
    `  accepted re-sealed mutants: ${sealed.acceptedCount}; loaded ${created} of a sample of ${sample.length} (skipped ${skipped} over the CI size): ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}`,
  );
  assert.ok(created > 0);
});

test('after the fuzz the good file still loads and estimates bit for bit', async () => {
  const est = await Estimator.create({ crop: 'chip', model: good });
  assert.is(est.estimate(img).age, before);
  est.dispose();
});

test.run();
