/**
 * Prints a model's plan, and with --profile times each of its steps as the runtime runs them.
 *   npm run plan -- [--model name|file] [--precision fp32|int8] [--backend relaxed|simd|scalar]
 *                   [--head factorised|naive] [--interval k] [--args] [--profile] [--runs 30]
 *   npm run plan -- --detector [--window HxW] [--backend ...] [--args] [--profile]    the face detector's
 *                   plan instead (--window: its run on an H x W pass-1 window, e.g. 384x512)
 * The plan: every step of one estimate (name, kernel, shapes, bytes of the weights it reads, MACs),
 * the load-time setup steps and the memory plan; --args adds each step's arguments by name, resolved
 * to this estimator's byte offsets. --profile: median time of each step over --runs
 * estimates of a seeded image (the estimator's own bound calls, timed one by one), and the whole.
 */
import { parseArgs } from 'node:util';
import { bind, describeCall, formatMemory, formatSteps, type Program } from '../src/engine/plan.ts';
import type { Kernels } from '../src/kernels.ts';
import { Estimator, type EstimatorOptions } from '../src/estimator.ts';
import type { DaaModel, HeadMode } from '../src/models/daa/index.ts';
import type { FaceDetector } from '../src/detect/detector.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    precision: { type: 'string' },
    backend: { type: 'string' },
    head: { type: 'string' },
    interval: { type: 'string', default: '1' },
    profile: { type: 'boolean', default: false },
    args: { type: 'boolean', default: false },
    runs: { type: 'string', default: '30' },
    detector: { type: 'boolean', default: false },
    window: { type: 'string' },
  },
});
const opts: EstimatorOptions = {
  ...(values.model ? { model: values.model } : {}),
  ...(values.precision ? { precision: values.precision as 'fp32' | 'int8' } : {}),
  ...(values.backend ? { backend: values.backend as 'simd' } : {}),
  ...(values.head ? { head: values.head as HeadMode } : {}),
};
const est = await Estimator.create(opts);
if (values.detector) {
  printDetector((est as unknown as { faceDetector(): FaceDetector }).faceDetector());
  est.dispose();
  process.exit(0);
}
// the estimator's placed model (a private field: this tool reads the runtime's own plan and calls)
const model = (est as unknown as { model: DaaModel; head: HeadMode }).model;
const run = { interval: Number(values.interval), head: (est as unknown as { main: { head: HeadMode } }).main.head };
const [encoder, head] = model.programs(run);
const cfg = est.config;
console.log(`${cfg.encoder} ${cfg.inputSize} px, width ${cfg.width}, daa ${cfg.daa}; ${est.precision}, ${est.backend} build; head ${run.head}, interval ${run.interval}\n`);
console.log(formatSteps('steps of one estimate (after the image resize):', [...encoder.steps, ...head.steps]));
if (values.args) console.log('\n' + [...encoder.steps, ...head.steps].map((s, i) => `${i} ${s.name}: ${s.kernel}(${describeCall(s, model.at)})`).join('\n'));
if (model.plan.head) console.log('\n' + formatSteps('setup (once, at load):', model.plan.head.setup));
console.log('\n' + formatMemory(model.plan.builder.buffers));
for (const m of est.ensemble) console.log(`\nensemble: every age also runs a ${m.config.encoder} ${m.config.inputSize} px model (${m.precision}, weight ${m.weight}); its plan: \`npm run plan -- --model <its name or file>\``);

if (values.profile) {
  const S = 128;
  const img = { data: new Uint8ClampedArray(S * S * 4).map((_, i) => (Math.imul(i + 1, 2654435761) >>> 24) & 0xff), width: S, height: S };
  const runs = Number(values.runs);
  // warm-up, and past the relaxed build's int8 kernel choice (the image is no face: read it as a chip)
  for (let i = 0; i < 14; i++) est.estimate(img, { crop: 'chip', ensemble: false });
  const programs: Program[] = [encoder, head];
  const steps = programs.flatMap((p) => [...p.steps]);
  const times = steps.map(() => [] as number[]);
  const whole: number[] = [];
  for (let r = 0; r < runs; r++) {
    let k = 0;
    model.writeTemplates(run.interval);
    for (const p of programs)
      for (const call of p.calls) {
        const t = performance.now();
        call();
        times[k++].push(performance.now() - t);
      }
    model.finish(run);
    const t = performance.now();
    est.estimate(img, { interval: run.interval, crop: 'chip', ensemble: false });
    whole.push(performance.now() - t);
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
  const rows = steps.map((s, i) => {
    const ms = median(times[i]);
    return `${String(i).padStart(3)}  ${s.name.padEnd(28)} ${s.kernel.padEnd(22)} ${ms.toFixed(4).padStart(9)} ms ${s.macs ? ((s.macs / ms) / 1e6).toFixed(1).padStart(7) + ' GMAC/s' : ''}`;
  });
  const sum = times.reduce((a, t) => a + median(t), 0);
  console.log(`\nprofile: median of ${runs} runs per step (Node ${process.version}${est.precision === 'int8' && est.backend === 'relaxed' ? '; the relaxed build times its two int8 3x3 kernels and keeps one, these are the Winograd steps' : ''})`);
  console.log(rows.join('\n'));
  console.log(`sum of step medians ${sum.toFixed(3)} ms; whole estimate (resize included) median ${median(whole).toFixed(3)} ms`);
}
est.dispose();

/**
 * The detector's plan (one run on a ready input, after the warp; `--window HxW`: the run on an H x W
 * pass-1 window instead), its memory plan (buffers for the largest window), and with --profile each
 * step's time.
 */
function printDetector(det: FaceDetector): void {
  const cfg = det.plan.config;
  const [H, W] = values.window ? values.window.split('x').map(Number) : [cfg.inputSize, cfg.inputSize];
  const { steps, anchors } = det.plan.stepsFor(H, W);
  const program = H === cfg.inputSize && W === cfg.inputSize ? det.program : bind(steps, kernelsOf(det), det.at);
  console.log(`face detector (${cfg.family}, ${H} x ${W} input, ${anchors} anchors; buffers for windows of up to ${det.plan.maxPixels} pixels); ${est.backend} build\n`);
  console.log(formatSteps(`steps of one detector run on ${H} x ${W} (after the warp into its input):`, steps));
  if (values.args) console.log('\n' + steps.map((s, i) => `${i} ${s.name}: ${s.kernel}(${describeCall(s, det.at)})`).join('\n'));
  console.log('\n' + formatMemory(det.plan.builder.buffers));
  if (!values.profile) return;
  const runs = Number(values.runs);
  const x = det.at.arena.f32(det.input, H * W * 3);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37);
  for (let i = 0; i < 5; i++) program.run();
  const times = program.calls.map(() => [] as number[]);
  for (let r = 0; r < runs; r++)
    program.calls.forEach((call, i) => {
      const t = performance.now();
      call();
      times[i].push(performance.now() - t);
    });
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
  console.log(`\nprofile: median of ${runs} runs per step (Node ${process.version})`);
  steps.forEach((s, i) => console.log(`${String(i).padStart(3)}  ${s.name.padEnd(14)} ${s.kernel.padEnd(20)} ${median(times[i]).toFixed(4).padStart(9)} ms`));
  const sum = times.reduce((a, t) => a + median(t), 0);
  console.log(`sum of step medians ${sum.toFixed(3)} ms (${((sum * cfg.inputSize * cfg.inputSize) / (H * W)).toFixed(3)} ms per ${cfg.inputSize} x ${cfg.inputSize} of input)`);
}

/** The kernel instance the detector was bound to (a private field: this tool binds another run on it). */
function kernelsOf(det: FaceDetector): Kernels {
  return (det as unknown as { kernels: Kernels }).kernels;
}
