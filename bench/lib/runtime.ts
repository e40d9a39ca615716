/**
 * Bench-only access to the runtime below the public API: the kernel builds, a plan built from a
 * weight file exactly as Estimator.create builds it (fp32 path), and a "head only" switch.
 *
 * Head only: the plan is built over a thin wrapper of the kernel exports. With the gate closed, every
 * kernel call is skipped until the first f32_channel_stats, which is where the DAA head starts (the
 * encoders never call it); from there the calls go through. So plan.run() then times exactly the
 * runtime's own head code (stats, normalise, decoder convs, f32_daa_head or the naive loop) on the
 * features E left by a full run before, and nothing of it is re-implemented here.
 */
import { Arena } from '../../src/arena.ts';
import { dequantize, readWeightFile } from '../../src/format.ts';
import { buildPlan, type Plan } from '../../src/graph.ts';
import { instantiateKernels, type Kernels } from '../../src/kernels.ts';
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
  plan: Plan;
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
  let gated = false;
  let open = false;
  let calls = 0;
  const wrapped: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(kernels as unknown as Record<string, unknown>)) {
    if (typeof f !== 'function') {
      wrapped[name] = f;
      continue;
    }
    const fn = f as (...a: number[]) => unknown;
    wrapped[name] =
      name === 'f32_channel_stats'
        ? (...a: number[]) => {
            open = true;
            calls++;
            return fn(...a);
          }
        : (...a: number[]) => {
            if (gated && !open) return undefined;
            calls++;
            return fn(...a);
          };
  }
  const plan = buildPlan(wrapped as unknown as Kernels, arena, wf.config, weights);
  plan.setHead(mode);
  // a deterministic input image, already preprocessed (X in [0, 1])
  const S = wf.config.inputSize;
  const x = arena.f32(plan.x, S * S * 3);
  for (let i = 0; i < x.length; i++) x[i] = ((Math.imul(i, 2654435761) >>> 24) & 0xff) / 255;
  return {
    plan,
    cfg: wf.config,
    full() {
      gated = false;
      plan.run();
    },
    head() {
      gated = true;
      open = false;
      calls = 0;
      plan.run();
      gated = false;
      if (!open) throw new Error('head-only timing: the plan never called f32_channel_stats (the head changed shape?)');
    },
    headCalls: () => calls,
    setInterval: (k: number) => plan.setInterval(k),
    perTemplate: () => arena.f32(plan.perTemplate, plan.templates()).slice(),
  };
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
