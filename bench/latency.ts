/**
 * First-look latency of the WebAssembly runtime: model load, first estimate, and the median of later
 * estimates, for both encoders (random weights: speed does not depend on their values), fp32 and
 * int8 files, SIMD and scalar builds, factorised and naive DAA heads.
 * `npx tsx bench/latency.ts` — prints a markdown table and writes bench/results/latency.{json,md}.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_CONFIG, type ModelConfig } from '../src/arch.ts';
import { createEstimator } from '../src/index.ts';
import { exportWeights } from '../train/export.ts';
import { DaaModel } from '../train/model.ts';

await tf.setBackend('cpu');
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const models: Array<[string, ModelConfig]> = [
  ['C3AE-DAA 96px', { ...DEFAULT_CONFIG }],
  ['C3AE-DAA 64px', { ...DEFAULT_CONFIG, inputSize: 64 }],
  ['ResNet18-DAA 128px', { ...DEFAULT_CONFIG, encoder: 'resnet18', inputSize: 128, width: 64 }],
];
const img = { data: new Uint8ClampedArray(128 * 128 * 4).map((_, i) => (i * 2654435761) >>> 24), width: 128, height: 128 };
const rows: Array<Record<string, string | number>> = [];
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const [label, cfg] of models) {
  const m = new DaaModel(cfg, 1);
  const files = { fp32: exportWeights(m, 'fp32'), int8: exportWeights(m, 'int8') };
  m.dispose();
  for (const precision of ['fp32', 'int8'] as const)
    for (const backend of ['simd', 'scalar'] as const)
      for (const head of ['factorised', 'naive'] as const) {
        if (head === 'naive' && (precision === 'int8' || backend === 'scalar')) continue;
        const t0 = performance.now();
        const est = await createEstimator({ crop: 'chip', model: files[precision], backend, head });
        const load = performance.now() - t0;
        const t1 = performance.now();
        est.estimate(img);
        const first = performance.now() - t1;
        const times: number[] = [];
        const runs = cfg.encoder === 'resnet18' && backend === 'scalar' ? 5 : RUNS;
        for (let i = 0; i < runs; i++) {
          const t = performance.now();
          est.estimate(img);
          times.push(performance.now() - t);
        }
        const row = { model: label, precision, backend, head, loadMs: +load.toFixed(2), firstMs: +first.toFixed(2), medianMs: +median(times).toFixed(3), runs, memoryMiB: +(est.memoryBytes() / 2 ** 20).toFixed(1) };
        rows.push(row);
        console.error(JSON.stringify(row));
        est.dispose();
      }
}
const cols = ['model', 'precision', 'backend', 'head', 'loadMs', 'firstMs', 'medianMs', 'runs', 'memoryMiB'];
const md = [
  `| ${cols.join(' | ')} |`,
  `|${cols.map(() => '---').join('|')}|`,
  ...rows.map((r) => `| ${cols.map((c) => r[c]).join(' | ')} |`),
].join('\n');
console.log(md);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/latency.json', JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 1));
writeFileSync('bench/results/latency.md', `# Latency (Node ${process.version}, single thread, batch 1)\n\n${md}\n`);
