/**
 * One Estimator per loaded model: its own wasm instance and memory, its weights and buffers placed
 * once, then estimate() many times, then dispose().
 */
import { Arena } from './arena.ts';
import { base64ToBytes } from './base64.ts';
import { DaaError, DisposedError, ModelNotFoundError, OptionsError } from './errors.ts';
import type { Q8Model } from './engine/ops.ts';
import { dequantize, readWeightFile, type Precision, type StoredTensor, type WeightFile } from './format.ts';
import { MODELS, DEFAULT_MODEL, DEFAULT_PRECISION } from './generated/assets.ts';
import type { HeadMode } from './models/daa/head.ts';
import { DaaModel } from './models/daa/model.ts';
import { planDaa } from './models/daa/plan.ts';
import type { TimedChoice } from './timed-choice.ts';
import { checkImage } from './image.ts';
import { instantiateKernels, simdSupported, type Kernels } from './kernels.ts';
import { fetchBytes } from './platform/fetch.ts';
import { compileBackend, defaultBackend, type Backend } from './wasm.ts';
import type { ModelConfig } from './arch.ts';

/** Largest linear memory one estimator may use (ResNet18 at 128x128 needs well under this). */
const MAX_MEMORY_BYTES = 1024 * 1024 * 1024;

export interface EstimatorOptions {
  /** a built-in model name, a URL or file path, or the bytes of a weight file; default: the built-in default */
  model?: string | Uint8Array | ArrayBuffer;
  /** built-in model: which precision to load (default: the embedded one, 'int8' for the shipped default; its other
   * precision ships as the file `daa-wasm/weights/<name>.<precision>.daaw`). For bytes/paths the file decides; a
   * different value is an error. */
  precision?: Precision;
  /** interval sampling: use every k-th template age (1 = all 100) */
  interval?: number;
  /** kernel build; default: 'relaxed' where the engine validates relaxed SIMD, else 'simd' where it validates SIMD, else 'scalar' */
  backend?: Backend;
  /** a compiled kernel module to use instead of the embedded one (e.g. workerd's imported .wasm) */
  wasmModule?: WebAssembly.Module;
  /** DAA head: 'factorised' (default where it applies) or 'naive' (the per-age reference) */
  head?: HeadMode;
}

export interface EstimateOptions {
  interval?: number;
}

export interface Estimate {
  /** estimated age in years: the mean of perTemplate */
  age: number;
  /** per-template estimates y - Delta_y, one per template age in use */
  perTemplate: Float32Array;
  /** standard deviation of perTemplate: a free uncertainty signal */
  spread: number;
}

export interface ImageInput {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

function checkInterval(v: unknown, T: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > T)
    throw new OptionsError(`interval must be an integer in 1..${T}, got ${String(v)}`);
  return v;
}

export async function loadWeightFile(model: EstimatorOptions['model'], precision: Precision | undefined): Promise<WeightFile> {
  if (model === undefined || model === 'default' || (typeof model === 'string' && MODELS[model])) {
    const name = model === undefined || model === 'default' ? DEFAULT_MODEL : model;
    if (!name || !MODELS[name])
      throw new ModelNotFoundError(
        'no trained model is installed in this build of daa-wasm: pass { model } (a weight file path, URL or bytes) to createEstimator()',
      );
    const p = precision ?? DEFAULT_PRECISION;
    const load = MODELS[name][p];
    if (!load)
      throw new ModelNotFoundError(
        `the built-in model ${name} embeds ${Object.keys(MODELS[name]).join(' and ')} weights only; its ${p} weights ship as ` +
          `the file weights/${name}.${p}.daaw in the package: pass that file's path or URL as { model }`,
      );
    // each built-in weight file is its own chunk (src/generated/): only the precision used is fetched
    return readWeightFile(base64ToBytes(await load()));
  }
  let bytes: Uint8Array | ArrayBuffer;
  if (typeof model === 'string') bytes = await fetchBytes(model);
  else if (model instanceof Uint8Array || model instanceof ArrayBuffer) bytes = model;
  else throw new OptionsError(`model must be a name, URL, path, Uint8Array or ArrayBuffer, got ${typeof model}`);
  const file = readWeightFile(bytes);
  if (precision !== undefined && precision !== file.precision)
    throw new OptionsError(`precision '${precision}' requested but the weight file holds ${file.precision} weights`);
  return file;
}

export class Estimator {
  readonly config: ModelConfig;
  readonly precision: Precision;
  readonly backend: Backend;
  readonly meta: Record<string, unknown>;
  private kernels: Kernels | null;
  private arena: Arena | null;
  private model: DaaModel | null;
  private readonly interval: number;
  private readonly head: HeadMode;
  private stage = 0;
  private stageBytes = 0;
  /** relaxed-SIMD int8 plans: Winograd (a) or direct (b) int8 3x3 convs, whichever runs faster here */
  private q8Kernel: TimedChoice | null = null;

  private constructor(file: WeightFile, backend: Backend, kernels: Kernels, arena: Arena, model: DaaModel, interval: number, head: HeadMode, q8Kernel: TimedChoice | null) {
    this.config = file.config;
    this.precision = file.precision;
    this.meta = file.meta;
    this.backend = backend;
    this.kernels = kernels;
    this.arena = arena;
    this.model = model;
    this.interval = interval;
    this.head = head;
    this.q8Kernel = q8Kernel;
  }

  static async create(opts: EstimatorOptions = {}): Promise<Estimator> {
    if (opts === null || typeof opts !== 'object') throw new OptionsError('options must be an object');
    if (opts.precision !== undefined && opts.precision !== 'fp32' && opts.precision !== 'int8')
      throw new OptionsError(`precision must be 'fp32' or 'int8', got ${String(opts.precision)}`);
    if (opts.backend !== undefined && opts.backend !== 'relaxed' && opts.backend !== 'simd' && opts.backend !== 'scalar')
      throw new OptionsError(`backend must be 'relaxed', 'simd' or 'scalar', got ${String(opts.backend)}`);
    if (opts.head !== undefined && opts.head !== 'factorised' && opts.head !== 'naive')
      throw new OptionsError(`head must be 'factorised' or 'naive', got ${String(opts.head)}`);
    const file = await loadWeightFile(opts.model, opts.precision);
    const T = file.config.daa === 'none' ? 1 : file.config.numTemplates;
    const interval = opts.interval === undefined ? 1 : checkInterval(opts.interval, T);
    const backend = opts.backend ?? defaultBackend();
    if (opts.wasmModule !== undefined && !(opts.wasmModule instanceof WebAssembly.Module))
      throw new OptionsError('wasmModule must be a WebAssembly.Module');
    const module = opts.wasmModule ?? (await compileBackend(backend));
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory({ initial: 32, maximum: MAX_MEMORY_BYTES / 65536 });
    } catch (e) {
      throw new DaaError('MEMORY', `could not reserve the estimator's wasm memory (${(e as Error).message})`);
    }
    let kernels: Kernels;
    try {
      kernels = await instantiateKernels(module, memory);
    } catch (e) {
      throw new DaaError('WASM', `could not instantiate the kernel module: ${(e as Error).message}`);
    }
    const arena = new Arena(memory, kernels.heap_base(), MAX_MEMORY_BYTES);
    // dequantised on first use: an int8 file's conv codes are used as they are, so most of its
    // tensors never need an f32 copy (ResNet18: 45 MB of fresh memory spared at load)
    const weights = lazyDequantized(file.tensors);
    let model: DaaModel;
    let head: HeadMode;
    try {
      // int8 files compute the encoder's convs in int8 (src/quant.ts); activation scales from the file or calibrated here
      let q8: Q8Model | undefined;
      if (file.precision === 'int8') {
        // calibrate on the SIMD build wherever it runs, so that every build gets the same scales (and the same codes)
        const calModule = opts.wasmModule || !simdSupported() ? module : await compileBackend('simd');
        // (files that carry their scales skip it: the calibration code is a chunk of its own, loaded only here)
        const calibrate = async () => (await import('./models/daa/calibrate.ts')).calibrate(calModule, file.config, weights);
        const { scalesFromMeta } = await import('./quant.ts');
        const scales = scalesFromMeta(file.meta, file.config) ?? (await calibrate());
        const codes = (n: string) => {
          const t = file.tensors.get(n);
          return t && t.dtype === 'i8' ? { codes: t.data as Int8Array, scales: t.scales! } : null;
        };
        q8 = { codes, scales };
      }
      // the scalar build's Winograd kernel is slower than its direct convolution (docs/kernels.md)
      // relaxed build: the int8 3x3 convs keep both kernels and the estimator times them (src/timed-choice.ts)
      // the int8 conv lowering is a chunk of its own, loaded only for int8 files
      const int8 = q8 ? (await import('./engine/ops-int8.ts')).planInt8 : undefined;
      const plan = planDaa(file.config, weights, { winograd: backend !== 'scalar', q8, int8, q8Switchable: q8 !== undefined && backend === 'relaxed' });
      model = new DaaModel(plan, kernels, arena, weights);
      head = opts.head ?? model.defaultHead;
      model.programs({ interval, head }); // binds the default head now (and rejects a head the model lacks)
    } catch (e) {
      if (e instanceof DaaError) throw e;
      throw new DaaError('MODEL_LOAD', `could not build the model: ${(e as Error).message}`);
    }
    // relaxed-build int8 plans carry both int8 3x3 kernels: time them (src/timed-choice.ts, loaded only here)
    const q8Kernel = model.plan.q8WinogradConvs > 0 && backend === 'relaxed' ? new (await import('./timed-choice.ts')).TimedChoice() : null;
    return new Estimator(file, backend, kernels, arena, model, interval, head, q8Kernel);
  }

  private live(): { arena: Arena; model: DaaModel; kernels: Kernels } {
    if (!this.model || !this.arena || !this.kernels) throw new DisposedError();
    return { arena: this.arena, model: this.model, kernels: this.kernels };
  }

  /** Estimate the age of the face in `image` (a face crop, as the training chips are). */
  estimate(image: ImageInput, opts?: EstimateOptions): Estimate {
    const { arena, model, kernels } = this.live();
    // options first, then the image: no caller code (a getter) runs between the image check and the copy
    if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw new OptionsError('estimate options must be an object');
    const T = this.config.daa === 'none' ? 1 : this.config.numTemplates;
    let requested: unknown;
    try {
      requested = opts?.interval;
    } catch (e) {
      throw new OptionsError(`reading estimate options threw: ${(e as Error)?.message ?? String(e)}`);
    }
    const interval = requested === undefined ? this.interval : checkInterval(requested, T);
    const img = checkImage(image);
    // stage the bytes in wasm memory; the staging area is the arena's last allocation and only grows
    // (a failure to grow is a DaaError('MEMORY') and leaves the estimator as it was)
    const bytes = img.bytes;
    if (!this.stage) {
      this.stage = arena.alloc(bytes);
      this.stageBytes = bytes;
    } else if (bytes > this.stageBytes) {
      arena.growLast(this.stage, bytes);
      this.stageBytes = bytes;
    }
    arena.u8(this.stage, bytes).set(img.data);
    const S = this.config.inputSize;
    let out: { ptr: number; count: number };
    try {
      kernels.f32_resize_bilinear_u8(this.stage, img.width, img.height, img.channels, model.input, S, S);
      const run = { interval, head: this.head };
      if (this.q8Kernel) this.q8Kernel.run((winograd) => (out = model.run({ ...run, alt: !winograd })));
      else out = model.run(run);
    } catch (e) {
      if (e instanceof DaaError) throw e;
      throw new DaaError('WASM', `kernel failure: ${(e as Error)?.message ?? String(e)}`);
    }
    return this.result(arena, out!);
  }

  private result(arena: Arena, out: { ptr: number; count: number }): Estimate {
    const T = out.count;
    const perTemplate = arena.f32(out.ptr, T).slice();
    let sum = 0;
    for (const v of perTemplate) sum += v;
    const age = sum / T;
    let ss = 0;
    for (const v of perTemplate) ss += (v - age) * (v - age);
    return { age, perTemplate, spread: Math.sqrt(ss / T) };
  }

  /** Encoder features E of the last estimate (h x w x C, channels-last); for tests and tools. */
  lastFeatures(): Float32Array {
    const { arena, model } = this.live();
    const { ptr, shape: [h, w, c] } = model.features();
    return arena.f32(ptr, h * w * c).slice();
  }

  /** Bytes of linear memory this estimator holds. */
  memoryBytes(): number {
    return this.live().arena.memory.buffer.byteLength;
  }

  get disposed(): boolean {
    return this.model === null;
  }

  /**
   * Release the wasm instance and its memory: the estimator keeps no reference to either (they are
   * freed with the next garbage collection). Idempotent. Using the estimator afterwards (estimate,
   * lastFeatures, memoryBytes) throws DisposedError.
   */
  dispose(): void {
    this.model = null;
    this.arena = null;
    this.kernels = null;
    this.q8Kernel = null;
    this.stage = 0;
    this.stageBytes = 0;
  }
}

/** A name -> f32 weights map over a file's tensors that dequantises each on first `get` (only `get` and
 *  `has` are meaningful: the planner and calibrate use nothing else). */
function lazyDequantized(tensors: Map<string, StoredTensor>): Map<string, Float32Array> {
  const done = new Map<string, Float32Array>();
  return new (class extends Map<string, Float32Array> {
    override get(name: string): Float32Array | undefined {
      let v = done.get(name);
      if (v === undefined) {
        const t = tensors.get(name);
        if (t === undefined) return undefined;
        done.set(name, (v = dequantize(t)));
      }
      return v;
    }
    override has(name: string): boolean {
      return tensors.has(name);
    }
  })();
}
