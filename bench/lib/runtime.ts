/**
 * Bench-only access to the runtime below the public API: the kernel builds, and a DAA model built
 * from a weight file exactly as Estimator.create builds it (fp32 path). The plan is data, so "head
 * only" runs the head's own steps (stats, normalise, decoder convs, f32_daa_head or the naive loop)
 * on the features E of the last full run: nothing of the head is re-implemented here.
 */
import { Arena } from '../../src/arena.ts';
import { dequantize, readWeightFile } from '../../src/format.ts';
import { instantiateKernels, type Kernels } from '../../src/kernels.ts';
import { DaaModel, planDaa, type DaaRunOptions } from '../../src/models/daa/index.ts';
import type { Program } from '../../src/engine/plan.ts';
import { compileBackend } from '../../src/wasm.ts';
import type { ModelConfig } from '../../src/arch.ts';

export type BackendName = 'simd' | 'scalar' | 'relaxed';

const MAX = 1024 * 1024 * 1024;

export async function kernelsFor(backend: BackendName): Promise<{ kernels: Kernels; arena: Arena; memory: WebAssembly.Memory }> {
  // compileBackend's parameter type grows with the runtime's backends; the bench passes names through
  const module = await (compileBackend as (b: string) => Promise<WebAssembly.Module>)(backend);
  const memory = new WebAssembly.Memory({ initial: 32, maximum: MAX / 65536 });
  const kernels = await instantiateKernels(module, memory);
  return { kernels, arena: new Arena(memory, kernels.heap_base(), MAX), memory };
}

export interface HeadPlan {
  model: DaaModel;
  cfg: ModelConfig;
  /** run the full plan once (encoder + head) so that E holds real features */
  full(): void;
  /** run the head only (on the E of the last full run) */
  head(): void;
  /** kernel calls the last head() made */
  headCalls(): number;
  setInterval(k: number): void;
  perTemplate(): Float32Array;
}

export async function headPlan(file: Uint8Array, backend: BackendName, mode: 'factorised' | 'naive'): Promise<HeadPlan> {
  const wf = readWeightFile(file);
  const weights = new Map<string, Float32Array>();
  for (const [name, t] of wf.tensors) weights.set(name, dequantize(t));
  const { kernels, arena } = await kernelsFor(backend);
  const model = new DaaModel(planDaa(wf.config, weights, { winograd: backend !== 'scalar' }), kernels, arena, weights);
  // a deterministic input image, already preprocessed (X in [0, 1])
  const S = wf.config.inputSize;
  const x = arena.f32(model.input, S * S * 3);
  for (let i = 0; i < x.length; i++) x[i] = ((Math.imul(i, 2654435761) >>> 24) & 0xff) / 255;
  let run: DaaRunOptions = { interval: 1, head: mode };
  let head: Program = model.programs(run)[1];
  return {
    model,
    cfg: wf.config,
    full() {
      model.run(run);
    },
    head() {
      model.writeTemplates(run.interval);
      head.run();
      model.finish(run);
    },
    headCalls: () => head.calls.length,
    setInterval(k: number) {
      run = { interval: k, head: mode };
      head = model.programs(run)[1];
    },
    perTemplate: () => {
      const { ptr, count } = model.output(run);
      return arena.f32(ptr, count).slice();
    },
  };
}

/** One op's steps of the runtime's plan, bound: what the per-layer bench times. */
export interface Layer {
  name: string;
  kernels: string;
  shapes: string;
  macs: number;
  run(): void;
}

/** The encoder of a weight file's model as the runtime runs it, grouped by op (steps `op/part` join `op`); E holds real features. */
export async function daaLayers(file: Uint8Array, backend: BackendName): Promise<Layer[]> {
  const hp = await headPlan(file, backend, 'factorised');
  hp.full();
  const encoder = hp.model.programs({ interval: 1, head: 'factorised' })[0];
  const layers = new Map<string, Layer & { calls: Array<() => void> }>();
  encoder.steps.forEach((s, i) => {
    const op = s.name.split('/')[0];
    let l = layers.get(op);
    if (!l) {
      const calls: Array<() => void> = [];
      layers.set(op, (l = { name: op, kernels: '', shapes: s.shapes, macs: 0, calls, run: () => calls.forEach((c) => c()) }));
    }
    l.kernels = l.kernels ? `${l.kernels} + ${s.kernel}` : s.kernel;
    if (s.macs > l.macs) l.shapes = s.shapes;
    l.macs += s.macs;
    l.calls.push(encoder.calls[i]);
  });
  return [...layers.values()];
}

/** Does the runtime accept a kernel build name (e.g. 'relaxed') and run it here? */
export async function backendWorks(backend: string): Promise<boolean> {
  try {
    await (compileBackend as (b: string) => Promise<WebAssembly.Module>)(backend);
    return true;
  } catch {
    return false;
  }
}
