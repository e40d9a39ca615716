/**
 * The benchmark suite (issue "Fast"). Entry: bench/index.ts (sets engine flags first).
 *   npx tsx bench/index.ts [--quick] [--only head,e2e,cold,layers,mae] [--no-relaxed]
 * Prints every table, then PASS/FAIL lines for the targets; writes bench/results/bench.{json,md}
 * (bench.quick.* in --quick mode), bench/results/head.svg and bench/results/e2e.svg. docs/bench.md
 * describes each benchmark.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { INTERVALS } from '../src/arch.ts';
import { createEstimator } from '../src/index.ts';
import { benchImage, makeModel } from './lib/models.ts';
import type { BackendName } from './lib/runtime.ts';
import { fmt } from './lib/stats.ts';
import { barChart, lineChart, type Bar } from './lib/svg.ts';
import type { Ctx, SectionResult, Target } from './sections/context.ts';
import { benchHead, type HeadRow } from './sections/head.ts';
import { benchE2E, type E2ERow } from './sections/e2e.ts';
import { benchCold } from './sections/cold.ts';
import { benchLayers } from './sections/layers.ts';
import { benchInt8Mae } from './sections/mae.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'no-relaxed': { type: 'boolean', default: false },
  },
});
const quick = values.quick!;
const only = values.only ? new Set(values.only.split(',')) : null;
const want = (k: string) => !only || only.has(k);
const t0 = performance.now();
const log = (msg: string) => console.error(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${msg}`);

const cpuModel = (() => {
  try {
    return /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? '?';
  } catch {
    return cpus()[0]?.model ?? '?';
  }
})();
const machine = {
  cpu: cpuModel,
  cores: cpus().length,
  node: process.version,
  v8: process.versions.v8,
  loadavgStart: loadavg().map((x) => +x.toFixed(2)),
  flags: (globalThis as { __benchFlags?: string[] }).__benchFlags ?? [],
  date: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
};
log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load ${machine.loadavgStart.join(' ')}`);

await tf.setBackend('cpu');
log('making the models (random weights, fp32 + int8 files)');
const models = { c3ae: await makeModel('c3ae'), resnet18: await makeModel('resnet18') };
const img = benchImage(128);

// which kernel builds run here: simd and scalar always; relaxed when the runtime has it and it
// agrees with the simd build on this engine
const backends: BackendName[] = ['simd'];
const notes: string[] = [];
if (!values['no-relaxed']) {
  try {
    const a = await createEstimator({ crop: 'chip', model: models.c3ae.files.fp32, backend: 'simd' });
    const b = await createEstimator({ crop: 'chip', model: models.c3ae.files.fp32, backend: 'relaxed' as 'simd' });
    const d = Math.abs(a.estimate(img).age - b.estimate(img).age);
    if (b.backend !== ('relaxed' as string)) notes.push(`backend 'relaxed' requested, runtime chose ${b.backend}: not timed`);
    else if (d > 1e-3) notes.push(`backend 'relaxed' disagrees with simd by ${d} years here: not timed`);
    else backends.push('relaxed');
    a.dispose();
    b.dispose();
  } catch (e) {
    notes.push(`backend 'relaxed' not available: ${(e as Error).message}`);
  }
}
backends.push('scalar');
log(`kernel builds: ${backends.join(', ')}${notes.length ? ` (${notes.join('; ')})` : ''}`);
const ctx: Ctx = { quick, backends, models, img, log };

const sections: SectionResult[] = [];
if (want('head')) sections.push(await benchHead(ctx));
let estimators: Array<{ model: string; precision: string; backend: string; memoryBytes: number }> = [];
if (want('e2e')) {
  const e = await benchE2E(ctx);
  sections.push(...e.sections);
  estimators = e.estimators;
}
if (want('cold')) sections.push(await benchCold(ctx, estimators));
if (want('layers')) sections.push(await benchLayers(ctx));
if (want('mae')) sections.push(await benchInt8Mae(ctx));

// ---- report
const allTargets: Target[] = sections.flatMap((s) => s.targets ?? []);
const targets = [...allTargets.filter((t) => !t.name.startsWith('(informative)')), ...allTargets.filter((t) => t.name.startsWith('(informative)'))];
const targetLine = (t: Target) => {
  const v = t.value === null ? 'n/a' : t.goal.includes('%') ? `${fmt(t.value, 1)} %` : t.goal.includes('years') ? `${fmt(t.value, 3)} years` : `${fmt(t.value, 2)}x`;
  const tag = t.pass === null ? 'PENDING' : t.pass ? 'PASS' : 'FAIL';
  return `${tag.padEnd(7)} ${t.name}: ${v} (target ${t.goal})${t.note ? ` — ${t.note}` : ''}`;
};
machine.flags = (globalThis as { __benchFlags?: string[] }).__benchFlags ?? [];
const endLoad = loadavg().map((x) => +x.toFixed(2));
const header = [
  `# daa-wasm benchmarks (${machine.mode})`,
  '',
  `Machine: ${machine.cpu}, ${machine.cores} cores (shared with other work: numbers are noisy; contenders are interleaved and compared per round), Node ${machine.node} (V8 ${machine.v8})${machine.flags.length ? `, V8 flags ${machine.flags.join(' ')}` : ''}. Load average ${machine.loadavgStart.join(' ')} at start, ${endLoad.join(' ')} at the end. ${machine.date}. Single thread everywhere, batch 1, random weights (speed does not depend on their values).`,
  '',
  `Kernel builds timed: ${backends.join(', ')}.${notes.length ? ` ${notes.join('; ')}.` : ''} Times are medians with (p10–p90) over rounds; ratios are medians of per-round paired ratios.`,
  '',
  '## Targets',
  '',
  '```',
  ...targets.map(targetLine),
  '```',
  '',
];
const md = [...header, ...sections.flatMap((s) => [`## ${s.title}`, '', s.md, ''])].join('\n');
console.log(md);
mkdirSync('bench/results', { recursive: true });
// a subset (--only) never overwrites the full report
const suffix = `${only ? `.only-${[...only].join('-')}` : ''}${quick ? '.quick' : ''}`;
writeFileSync(`bench/results/bench${suffix}.md`, md);
writeFileSync(`bench/results/bench${suffix}.json`, JSON.stringify({ machine: { ...machine, loadavgEnd: endLoad }, backends, notes, targets, sections: Object.fromEntries(sections.map((s) => [s.key, s.json])) }, null, 1));

// charts
const head = sections.find((s) => s.key === 'head');
if (head) {
  const rows = (head.json as { rows: HeadRow[] }).rows;
  const panels = [...new Set(rows.map((x) => x.model))].map((model) => ({
    title: `${model}`,
    series: (['factorised', 'naive'] as const).map((h) => ({
      name: `${h} head`,
      points: rows.filter((x) => x.model === model).map((x) => ({ x: x.interval, y: x[h].median, lo: x[h].p10, hi: x[h].p90 })),
    })),
  }));
  writeFileSync(`bench/results/head${suffix}.svg`, lineChart(`DAA head (mapping + DAA + AgeDecoder) latency vs interval — daa-wasm SIMD, ${machine.cpu}`, panels, [...INTERVALS], 'ms per estimate (log)'));
}
const e2e = sections.find((s) => s.key === 'e2e');
const users = sections.find((s) => s.key === 'users');
if (e2e || users) {
  const bars: Bar[] = [];
  const add = (rows: E2ERow[], group: (x: E2ERow) => string) =>
    rows.forEach((x) => bars.push({ group: group(x), label: x.contender, median: x.summary.median, p10: x.summary.p10, p90: x.summary.p90, ours: x.contender.startsWith('daa-wasm') }));
  if (e2e) add((e2e.json as { rows: E2ERow[] }).rows, (x) => `${x.model}: ${x.group === 'estimate' ? 'estimate() end to end' : 'encoder only'}`);
  if (users) add((users.json as { rows: E2ERow[] }).rows, () => 'age models users run today (tfjs-backend-wasm, forward only)');
  writeFileSync(`bench/results/e2e${suffix}.svg`, barChart(`Latency per image, 1 thread — ${machine.cpu}`, bars, 'ms (log scale), bar = median, whisker = p10–p90'));
}
log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s (${(performance.now() / 1000).toFixed(0)} s since the process started); wrote bench/results/bench${suffix}.{md,json}${head ? `, head${suffix}.svg` : ''}${e2e || users ? `, e2e${suffix}.svg` : ''}`);
for (const m of Object.values(models)) {
  m.ref.dispose();
  m.encRef.dispose();
}
process.exit(0);
