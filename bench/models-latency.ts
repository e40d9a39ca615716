/**
 * Model latency micro-benchmark (not a test): median estimate() time of C3AE-DAA 96 px and
 * ResNet18-DAA 128 px (width 64), fp32 and int8 files, every kernel build this engine runs, in one
 * process. With BASE=/path/to/an/older/checkout the same table is measured for that checkout's
 * runtime too (same process, same random weights), for before/after comparisons.
 *   npx tsx bench/models-latency.ts            (Node 20: add --experimental-wasm-relaxed-simd --no-liftoff for relaxed)
 */
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_CONFIG, type ModelConfig } from '../src/arch.ts';
import { Estimator } from '../src/estimator.ts';
import { relaxedSupported } from '../src/kernels.ts';
import { exportWeights } from '../train/export.ts';
import { DaaModel } from '../train/model.ts';

await tf.setBackend('cpu');
type Est = { estimate(i: unknown): { age: number }; dispose(): void };
type Create = (o: Record<string, unknown>) => Promise<Est>;
const impls: Array<[string, Create]> = [['new', (o) => Estimator.create(o) as Promise<Est>]];
if (process.env.BASE) {
  const old = await import(`${process.env.BASE}/src/estimator.ts`);
  impls.unshift(['base', (o) => old.Estimator.create(o)]);
}
const runs = Number(process.env.BENCH_RUNS ?? 15);
const models: Array<[string, ModelConfig]> = [
  ['C3AE-DAA 96px', { ...DEFAULT_CONFIG }],
  ['ResNet18-DAA 128px', { ...DEFAULT_CONFIG, encoder: 'resnet18', inputSize: 128, width: 64 }],
];
const img = { data: new Uint8ClampedArray(128 * 128 * 4).map((_, i) => (i * 2654435761) >>> 24), width: 128, height: 128 };
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
const rows = ['| model | precision | backend | runtime | load ms | median ms | min ms | age |', '|---|---|---|---|---|---|---|---|'];
for (const [label, cfg] of models) {
  const m = new DaaModel(cfg, 1);
  m.randomizeBatchNorm(2);
  const files = { fp32: exportWeights(m, 'fp32'), int8: exportWeights(m, 'int8') };
  m.dispose();
  for (const precision of ['fp32', 'int8'] as const)
    for (const backend of ['relaxed', 'simd', 'scalar'] as const) {
      if (backend === 'relaxed' && !relaxedSupported()) continue;
      for (const [name, create] of impls) {
        if (name === 'base' && backend === 'relaxed') continue;
        const t0 = performance.now();
        const est = await create({ crop: 'chip', model: files[precision], backend });
        const load = performance.now() - t0;
        let age = est.estimate(img).age;
        const n = cfg.encoder === 'resnet18' && backend === 'scalar' ? 3 : runs;
        const times: number[] = [];
        for (let i = 0; i < n; i++) {
          const t = performance.now();
          age = est.estimate(img).age;
          times.push(performance.now() - t);
        }
        est.dispose();
        rows.push(`| ${label} | ${precision} | ${backend} | ${name} | ${load.toFixed(0)} | ${median(times).toFixed(2)} | ${Math.min(...times).toFixed(2)} | ${age.toFixed(4)} |`);
        console.error(rows[rows.length - 1]);
      }
    }
}
console.log(`\nLatency (Node ${process.version}, one thread, batch 1; ${runs} runs, ResNet18 scalar 3)\n`);
console.log(rows.join('\n'));
