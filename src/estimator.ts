/**
 * One Estimator per loaded model: its own wasm instance and memory, its weights and buffers placed
 * once, then estimate() many times, then dispose().
 */
import { Arena } from './arena.ts';
import { base64ToBytes } from './base64.ts';
import { DaaError, DisposedError, ModelNotFoundError, NoFaceError, OptionsError } from './errors.ts';
import type { Q8Model } from './engine/ops.ts';
import { dequantize, readWeightFile, type Precision, type StoredTensor, type WeightFile } from './format.ts';
import { MODELS, DEFAULT_MODEL, DEFAULT_PRECISION, DEFAULT_ENSEMBLE, DETECTOR_B64 } from './generated/assets.ts';
import { FaceDetector, MIN_CUT_SIDE, prefilterFor, type StagedImage } from './detect/detector.ts';
import { DETECTOR_WINDOW_PIXELS } from './detect/plan.ts';
import { readDetectorWeights, type DetectorWeights } from './detect/weights.ts';
import { affineScale, chipTransform, type Affine } from './detect/align.ts';
import type { HeadMode } from './models/daa/head.ts';
import { DaaModel } from './models/daa/model.ts';
import { planDaa } from './models/daa/plan.ts';
import type { TimedChoice } from './timed-choice.ts';
import { checkImage, MAX_SIDE } from './image.ts';
import { toPixels, type SyncImageSource } from './input.ts';
import { checkNumberOption, checkOptionNames } from './options.ts';
import { instantiateKernels, simdSupported, type Kernels } from './kernels.ts';
import { fetchBytes } from './platform/fetch.ts';
import { compileBackend, defaultBackend, type Backend } from './wasm.ts';
import type { ModelConfig } from './arch.ts';

/** Largest EstimatorOptions.detectorWindow, in pixels (1024 x 1024: 84.1 MiB of detector buffers). */
const MAX_DETECTOR_WINDOW = 1024 * 1024;

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
  /**
   * the default of EstimateOptions.crop for this estimator: 'auto' (default), 'chip' (every image is
   * an aligned face crop) or 'detect'. A 'chip' estimator does not load the face detector at all.
   */
  crop?: CropMode;
  /**
   * Age models mixed into every age, one or a list: age = (1 - w_1 - ... - w_n) x this model's +
   * w_1 x the first partner's + ... (perTemplate likewise; every model must have this model's
   * template ages; the weights sum below 1). Default: the built-in partners of the built-in model
   * (weights/models.json `ensemble`, in the precision of the main model; Estimator.ensemble lists
   * them), none for a model you pass. `false` (or an empty list): this model alone.
   * Per call, EstimateOptions.ensemble: false skips them.
   */
  ensemble?: false | EnsembleOptions | readonly EnsembleOptions[];
  /**
   * The largest window of the whole-image search, in pixels (width x height). The face detector's
   * buffers are sized for it and placed at load. Default 196,608 (512 x 384, a 640 x 480 frame's
   * finest level in one run: 16.1 MiB). Smaller saves memory at the cost of speed, since the levels
   * are then cut into more windows that overlap: 57,600 (240 x 240) is the least, 5.0 MiB.
   * Larger only helps frames larger than 640 x 480. At most 1,048,576. docs/detect.md, "The largest window and the memory".
   */
  detectorWindow?: number;
}

/** One partner model of an ensemble (EstimatorOptions.ensemble). */
export interface EnsembleOptions {
  /** a built-in model name, a URL or file path, or the bytes of a weight file */
  model: string | Uint8Array | ArrayBuffer;
  /** its share of the age, in (0, 1) */
  weight: number;
}

/** How estimate() finds the face: see EstimateOptions.crop. */
export type CropMode = 'auto' | 'chip' | 'detect';

/**
 * Default smallest detector score of a face. Measured on 240 canvases (40 UTKFace test chips x 6 sizes,
 * scripts/eval-detect.ts canvases --limit 40, 2026-12-04): 0.5 (MediaPipe's) found 97.5 % at 32 px and
 * made 31 other detections; 0.65 found 100 % at every size and made 5.
 */
export const DEFAULT_MIN_SCORE = 0.65;
/** Default smallest face side (pixels) that detection searches for. */
export const DEFAULT_MIN_FACE_SIZE = 32;

export interface DetectFacesOptions {
  /** smallest detector score (0..1) of a face that counts; default DEFAULT_MIN_SCORE (0.65) */
  minScore?: number;
  /**
   * smallest face side (pixels) searched for; default 32. Faces from about a fifth of the image's
   * longer side up are found in one detector run; smaller ones need finer pyramid levels (more
   * pixels, more time: a 640 x 480 frame's 32 px level is one 512 x 384 run, 12 times the whole-image one).
   */
  minFaceSize?: number;
}

export interface EstimateOptions extends DetectFacesOptions {
  /** interval sampling: use every k-th template age (1 = all 100) */
  interval?: number;
  /**
   * 'auto' (default): detect faces and answer for the most prominent one (largest box), aligned to
   * the model's framing; when that face is already framed like a training chip (the image is an
   * aligned crop), the whole image is used as it is, exactly as 'chip' does. 'chip': the image is an
   * aligned face crop (UTKFace-like); no detection. 'detect': always detect and align.
   * With 'auto' and 'detect', an image with no face throws NoFaceError.
   */
  crop?: CropMode;
  /**
   * Test-time flip: each face is also estimated mirrored (left-right) and the two are averaged
   * (age and perTemplate the mean, spread the root mean square of the two spreads). Twice the cost
   * of the age model. UTKFace test split, default model fp32: MAE 5.106 -> 5.023
   * (docs/eval/resnet18w16-daa/). Default false.
   */
  flip?: boolean;
  /**
   * With an estimator that has ensemble partners (EstimatorOptions.ensemble; the built-in default
   * has them): false estimates with the main model alone (cheaper, less accurate). Default true;
   * true on an estimator without partners is an OptionsError.
   */
  ensemble?: boolean;
}

/** Options of Estimator.scanFaces: one part of the whole-image search, for video. */
export interface ScanFacesOptions extends DetectFacesOptions {
  /** the first window of this part (an integer, taken modulo the number of windows; default 0) */
  from?: number;
  /** how many windows this part runs (default 4; each is one detector run, about 2.5 ms) */
  count?: number;
  /** boxes of faces already known (followed by a tracker): what is found there is skipped */
  known?: readonly Face['box'][];
}

/** What one part of the search found, and how many windows the whole search has (to cycle through them). */
export interface FaceScan {
  faces: Face[];
  windows: number;
}

/** A face found by the detector, in image pixels. */
export interface Face {
  /** top-left corner and size */
  box: { x: number; y: number; width: number; height: number };
  /** the subject's right eye, left eye, nose tip, mouth centre, right ear, left ear */
  keypoints: Array<{ x: number; y: number }>;
  /** detector confidence in 0..1 */
  score: number;
}

/** One face of estimateAll(): where it is and its age. */
export interface FaceEstimate extends Face, Estimate {}

/** Options of refineFace(). */
export interface RefineFaceOptions extends Pick<DetectFacesOptions, 'minScore'>, Pick<EstimateOptions, 'interval' | 'flip' | 'ensemble'> {
  /**
   * true: the face found comes with its age (a FaceEstimate), aligned at its keypoints as
   * estimateFace would align it, from the same copy of the image: what the video tracker reads
   * between detections, one staging of the frame instead of two
   */
  age?: boolean;
  /**
   * boxes of other faces in this image (a video tracker's other followed faces, where it predicts
   * them): when one of them is within the look's window, the look runs at the detector's full input
   * (128 x 128) instead of the faster 96 x 96, so that two faces close together are told apart
   */
  others?: readonly Face['box'][];
}

/** The option names each call knows (src/options.ts: any other name is an OptionsError). */
const ESTIMATOR_OPTIONS = ['model', 'precision', 'interval', 'backend', 'wasmModule', 'head', 'crop', 'ensemble', 'detectorWindow'] as const satisfies readonly (keyof EstimatorOptions)[];
const ESTIMATE_OPTIONS = ['interval', 'crop', 'minScore', 'minFaceSize', 'flip', 'ensemble'] as const satisfies readonly (keyof EstimateOptions)[];
const DETECT_OPTIONS = ['minScore', 'minFaceSize'] as const satisfies readonly (keyof DetectFacesOptions)[];
const SCAN_OPTIONS = ['minScore', 'minFaceSize', 'from', 'count', 'known'] as const satisfies readonly (keyof ScanFacesOptions)[];

/** Sort order of every face list: the largest box first. */
const largestFirst = (a: { box: Face['box'] }, b: { box: Face['box'] }) => b.box.width * b.box.height - a.box.width * a.box.height;

/** `known` of scanFaces, `others` of refineFace: an array of boxes with finite numbers and a positive size, else OptionsError. */
function checkBoxes(v: unknown, name: string): Face['box'][] {
  if (!Array.isArray(v)) throw new OptionsError(`${name} must be an array of { x, y, width, height }, got ${typeof v}`);
  return v.map((b, i) => {
    const ok = b && typeof b === 'object' && [b.x, b.y, b.width, b.height].every((n) => typeof n === 'number' && Number.isFinite(n)) && b.width > 0 && b.height > 0;
    if (!ok) throw new OptionsError(`${name}[${i}] must be { x, y, width, height } with finite numbers and a positive size`);
    return { x: b.x, y: b.y, width: b.width, height: b.height };
  });
}

export interface Estimate {
  /** estimated age in years: the mean of perTemplate; a regression output, not clamped (a little below 0 is possible for babies) */
  age: number;
  /** per-template estimates y - Delta_y, one per template age in use */
  perTemplate: Float32Array;
  /** standard deviation of perTemplate (with an ensemble, of every model's per-template estimates, weighted): a free uncertainty signal */
  spread: number;
  /**
   * with an ensemble (EstimatorOptions.ensemble), each model's own age: the main model's first, then
   * the partners' in Estimator.ensemble's order (`age` is their weighted mean; with `flip`, each
   * model's mean of the two views); absent when the main model ran alone
   */
  models?: number[];
  /** the face the age is for, when estimate() detected it (absent for crop 'chip' and chip-framed images) */
  face?: Face;
}

export interface ImageInput {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

/** Parsed detector weights, shared by every estimator of the process (read-only); the weight file is a chunk of its own. */
let detectorWeights: Promise<DetectorWeights> | null = null;
function builtinDetector(): Promise<DetectorWeights> {
  if (!detectorWeights) {
    detectorWeights = DETECTOR_B64().then((b64) => readDetectorWeights(base64ToBytes(b64)));
    detectorWeights.catch(() => (detectorWeights = null));
  }
  return detectorWeights;
}

/**
 * Whether a chip transform (model input pixels -> image pixels) frames the image itself, i.e. the
 * image is already an aligned face crop: scale within FRAMING.scale, rotation within FRAMING.angle
 * degrees and offset within FRAMING.offset of the image side of the whole-image resize. The limits
 * are the 99th percentiles on 2000 UTKFace training chips (`npx tsx scripts/detect-template.ts
 * --n 2000`, 2026-12-04: |scale - 1| 0.132, |angle| 6.5 degrees, |offset| 0.093 / 0.090).
 */
export const FRAMING = { scale: 0.132, angle: 6.5, offset: 0.093 };

/** Detector score accepted in crop 'auto' for a face that frames the whole image like a training chip. */
export const CHIP_MIN_SCORE = 0.1;
/**
 * Value (0..255) of chip pixels that fall outside the image: mid-grey. Measured on 500 UTKFace test
 * chips through crop 'detect' (scripts/eval-detect.ts chips --limit 500, 2026-12-04, with the detector
 * before its second look was added): MAE 6.00 with a black border, 5.68 grey.
 */
export const CHIP_BORDER = 128;
export function framesWholeImage(m: Affine, width: number, height: number, S: number): boolean {
  const sx = width / S, sy = height / S;
  if (Math.abs(sx / sy - 1) > FRAMING.scale) return false;
  const scale = Math.hypot(m[0], m[3]);
  const angle = Math.atan2(m[3], m[0]);
  return Math.abs(scale / Math.sqrt(sx * sy) - 1) <= FRAMING.scale && Math.abs(angle) <= (FRAMING.angle * Math.PI) / 180
    && Math.abs(m[2]) <= FRAMING.offset * width && Math.abs(m[5]) <= FRAMING.offset * height;
}

/**
 * Runs `f`, which calls kernels: a wasm trap or any other non-DaaError it throws becomes
 * DaaError('WASM') (the estimator stays usable: every buffer is placed at load, nothing half-grown).
 */
/** Mirrors an image left-right in place (row by row, whole pixels of `channels` bytes). */
function mirrorRows(px: Uint8Array, width: number, height: number, channels: number): void {
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let l = 0, r = width - 1; l < r; l++, r--)
      for (let c = 0; c < channels; c++) {
        const i = row + l * channels + c, j = row + r * channels + c;
        const t = px[i];
        px[i] = px[j];
        px[j] = t;
      }
  }
}

function inKernels<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DaaError) throw e;
    throw new DaaError('WASM', `kernel failure: ${(e as Error)?.message ?? String(e)}`);
  }
}

function checkCrop(v: unknown): CropMode | undefined {
  if (v !== undefined && v !== 'auto' && v !== 'chip' && v !== 'detect') throw new OptionsError(`crop must be 'auto', 'chip' or 'detect', got ${String(v)}`);
  return v;
}

/** The six keypoints of a face (eyes and mouth are used), finite numbers; an OptionsError otherwise. */
function checkKeypoints(face: unknown): Array<{ x: number; y: number }> {
  // (a copy: the caller's array is read once, here)
  const kp = (face as { keypoints?: unknown } | null)?.keypoints;
  if (!Array.isArray(kp) || kp.length < 4 || !kp.slice(0, 4).every((p) => p && Number.isFinite(p.x) && Number.isFinite(p.y)))
    throw new OptionsError('face.keypoints must hold at least the right eye, left eye, nose and mouth as { x, y } pixel positions');
  return kp.map((p: { x: number; y: number }) => ({ x: p.x, y: p.y }));
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

/** Where refineFace() looks: a face's box and keypoints (e.g. its predicted place in a video frame). */
type RefineSeed = { box: Face['box']; keypoints: readonly { x: number; y: number }[]; score?: number };

/** One age model placed in an estimator's arena, and what runs it. */
interface AgeModel {
  model: DaaModel;
  config: ModelConfig;
  precision: Precision;
  head: HeadMode;
  /** relaxed-SIMD int8 plans: Winograd (a) or direct (b) int8 3x3 convs, whichever runs faster here */
  q8Kernel: TimedChoice | null;
}

/**
 * The ensemble partners of an estimator (EstimatorOptions.ensemble): the options' ones, the built-in
 * partners of the built-in model (in the main file's precision; none unless every one of them is
 * embedded in it, since their weights were chosen together), or none. Their template ages must be
 * the main model's, so that the perTemplate lists mix entry by entry; their weights sum below 1.
 */
async function loadEnsemble(opts: EstimatorOptions, main: WeightFile): Promise<{ file: WeightFile; weight: number }[]> {
  const e = opts.ensemble;
  if (e === false) return [];
  let members: { model: EnsembleOptions['model']; weight: number }[];
  let precision: Precision | undefined;
  if (e === undefined) {
    const builtin = opts.model === undefined || opts.model === 'default' || opts.model === DEFAULT_MODEL;
    if (!builtin || !DEFAULT_ENSEMBLE.every((m) => MODELS[m.model]?.[main.precision])) return [];
    members = DEFAULT_ENSEMBLE.map((m) => ({ ...m }));
    precision = main.precision;
  } else {
    if (e === null || typeof e !== 'object') throw new OptionsError('ensemble must be false, { model, weight } or a list of them');
    const list = Array.isArray(e);
    let entries: unknown[];
    try {
      entries = list ? Array.from(e as readonly unknown[]) : [e];
    } catch (err) {
      throw new OptionsError(`reading the ensemble list threw: ${(err as Error)?.message ?? String(err)}`);
    }
    members = entries.map((m, i) => {
      const name = list ? `ensemble[${i}]` : 'ensemble';
      if (m === null || typeof m !== 'object') throw new OptionsError(`${name} must be { model, weight }, got ${String(m)}`);
      checkOptionNames(m, ['model', 'weight'], `${name} options`);
      let model: unknown, weight: unknown;
      try {
        ({ model, weight } = m as EnsembleOptions);
      } catch (err) {
        throw new OptionsError(`reading ${name} options threw: ${(err as Error)?.message ?? String(err)}`);
      }
      if (typeof weight !== 'number' || !(weight > 0 && weight < 1)) throw new OptionsError(`${name}.weight must be a number in (0, 1), got ${String(weight)}`);
      if (model === undefined) throw new OptionsError(`${name}.model is required (a built-in model name, a URL or path, or weight file bytes)`);
      return { model: model as EnsembleOptions['model'], weight };
    });
    const sum = members.reduce((t, m) => t + m.weight, 0);
    if (!(sum < 1)) throw new OptionsError(`the ensemble weights must sum below 1 (the main model keeps the rest), got ${members.map((m) => m.weight).join(' + ')} = ${sum}`);
  }
  const templates = (c: ModelConfig) => (c.daa === 'none' ? 1 : c.numTemplates);
  const out: { file: WeightFile; weight: number }[] = [];
  for (const m of members) {
    const file = await loadWeightFile(m.model, precision);
    if (main.config.daa === 'none' || file.config.daa === 'none' || templates(file.config) !== templates(main.config))
      throw new OptionsError(`an ensemble model must have the main model's template ages: ${templates(main.config)} templates (daa '${main.config.daa}') against ${templates(file.config)} (daa '${file.config.daa}')`);
    out.push({ file, weight: m.weight });
  }
  return out;
}

/** Plans one age model of `file` into `arena` and binds it to `kernels` (MODEL_LOAD errors name `what`). */
async function buildAgeModel(file: WeightFile, backend: Backend, module: WebAssembly.Module, opts: EstimatorOptions, kernels: Kernels, arena: Arena, interval: number, what: string): Promise<AgeModel> {
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
    throw new DaaError('MODEL_LOAD', `could not build the ${what}: ${(e as Error).message}`);
  }
  // relaxed-build int8 plans carry both int8 3x3 kernels: time them (src/timed-choice.ts, loaded only here)
  const q8Kernel = model.plan.q8WinogradConvs > 0 && backend === 'relaxed' ? new (await import('./timed-choice.ts')).TimedChoice() : null;
  return { model, config: file.config, precision: file.precision, head, q8Kernel };
}

/**
 * One run of an age model on the staged image: the whole image resized to its input (m null) or the
 * chip that `m` (input pixels -> image pixels) maps, then the encoder and the head. Returns where the
 * per-template ages are.
 */
function runAgeModel(kernels: Kernels, age: AgeModel, img: StagedImage, m: Affine | null, interval: number): { ptr: number; count: number } {
  const { model } = age;
  const S = age.config.inputSize;
  if (m === null) kernels.f32_resize_bilinear_u8(img.ptr, img.width, img.height, img.channels, model.input, S, S);
  else
    kernels.f32_warp_affine_u8(img.ptr, img.width, img.height, img.channels, model.input, S, S,
      m[0], m[1], m[2], m[3], m[4], m[5], prefilterFor(affineScale(m)), 1 / 255, 0, CHIP_BORDER);
  const run = { interval, head: age.head };
  let r: { ptr: number; count: number } | undefined;
  if (age.q8Kernel) age.q8Kernel.run((winograd) => (r = model.run({ ...run, alt: !winograd })));
  else r = model.run(run);
  return r!;
}

export class Estimator {
  readonly config: ModelConfig;
  readonly precision: Precision;
  readonly backend: Backend;
  readonly meta: Record<string, unknown>;
  private kernels: Kernels | null;
  private arena: Arena | null;
  private readonly interval: number;
  private stage = 0;
  private stageBytes = 0;
  /** the main model with what runs it (its head, its int8 kernel choice); null once disposed */
  private main: AgeModel | null;
  /** the main model's DaaModel (the int8 tests read its plan) */
  private get model(): DaaModel | null {
    return this.main?.model ?? null;
  }
  /** the ensemble's partner models (EstimatorOptions.ensemble), in the same arena and kernel instance */
  private partners: (AgeModel & { weight: number })[];
  /** the partner models mixed into this estimator's ages and their shares of the age, in mixing order; empty for the main model alone (EstimatorOptions.ensemble) */
  readonly ensemble: readonly { config: ModelConfig; precision: Precision; weight: number }[];
  /** the face detector, in this estimator's arena and kernel instance (null for a 'chip' estimator) */
  private detector: FaceDetector | null = null;
  private readonly crop: CropMode;
  /** arena bytes the face detector holds (0 for a 'chip' estimator) */
  readonly detectorMemoryBytes: number = 0;

  private constructor(file: WeightFile, backend: Backend, kernels: Kernels, arena: Arena, main: AgeModel, partners: (AgeModel & { weight: number })[], interval: number, crop: CropMode, detector: DetectorWeights | null, detectorWindow: number) {
    this.config = file.config;
    this.precision = file.precision;
    this.meta = file.meta;
    this.backend = backend;
    this.kernels = kernels;
    this.arena = arena;
    this.interval = interval;
    this.main = main;
    this.partners = partners;
    this.ensemble = Object.freeze(partners.map((p) => Object.freeze({ config: p.config, precision: p.precision, weight: p.weight })));
    this.crop = crop;
    if (detector) {
      const before = arena.used;
      try {
        this.detector = new FaceDetector(kernels, arena, detector, detectorWindow);
      } catch (e) {
        if (e instanceof DaaError) throw e;
        throw new DaaError('MODEL_LOAD', `could not build the face detector: ${(e as Error).message}`);
      }
      this.detectorMemoryBytes = arena.used - before;
    }
  }

  static async create(opts: EstimatorOptions = {}): Promise<Estimator> {
    if (opts === null || typeof opts !== 'object') throw new OptionsError('options must be an object');
    checkOptionNames(opts, ESTIMATOR_OPTIONS, 'createEstimator options');
    if (opts.precision !== undefined && opts.precision !== 'fp32' && opts.precision !== 'int8')
      throw new OptionsError(`precision must be 'fp32' or 'int8', got ${String(opts.precision)}`);
    if (opts.backend !== undefined && opts.backend !== 'relaxed' && opts.backend !== 'simd' && opts.backend !== 'scalar')
      throw new OptionsError(`backend must be 'relaxed', 'simd' or 'scalar', got ${String(opts.backend)}`);
    if (opts.head !== undefined && opts.head !== 'factorised' && opts.head !== 'naive')
      throw new OptionsError(`head must be 'factorised' or 'naive', got ${String(opts.head)}`);
    const crop = checkCrop(opts.crop) ?? 'auto';
    let detectorWindow = DETECTOR_WINDOW_PIXELS;
    if (opts.detectorWindow !== undefined) {
      if (crop === 'chip') throw new OptionsError("detectorWindow sizes the face detector, which an estimator with crop 'chip' does not load");
      detectorWindow = checkNumberOption(opts.detectorWindow, 'detectorWindow', MIN_CUT_SIDE * MIN_CUT_SIDE, MAX_DETECTOR_WINDOW, true);
    }
    const file = await loadWeightFile(opts.model, opts.precision);
    const ensemble = await loadEnsemble(opts, file);
    // an estimator that detects faces places its detector at load (the whole path's memory is allocated
    // here); a 'chip' estimator never loads the detector's weights
    const detector = crop === 'chip' ? null : await builtinDetector();
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
    const main = await buildAgeModel(file, backend, module, opts, kernels, arena, interval, 'model');
    const partners: (AgeModel & { weight: number })[] = [];
    for (const [i, p] of ensemble.entries()) partners.push({ ...(await buildAgeModel(p.file, backend, module, opts, kernels, arena, interval, ensemble.length > 1 ? `ensemble model ${i}` : 'ensemble model')), weight: p.weight });
    return new Estimator(file, backend, kernels, arena, main, partners, interval, crop, detector, detectorWindow);
  }

  private live(): { arena: Arena; model: DaaModel; kernels: Kernels } {
    if (!this.main || !this.arena || !this.kernels) throw new DisposedError();
    return { arena: this.arena, model: this.main.model, kernels: this.kernels };
  }

  /** Reads every option once (a getter runs at most once, before the image is read), checks them. */
  private readOptions(opts: (EstimateOptions & Pick<RefineFaceOptions, 'age'>) | undefined, names: readonly string[], what: string): { interval: number; crop: CropMode; minScore: number; minFaceSize: number; age: boolean; flip: boolean; ensemble: boolean } {
    if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw new OptionsError(`${what} must be an object`);
    checkOptionNames(opts, names, what);
    const T = this.config.daa === 'none' ? 1 : this.config.numTemplates;
    let interval: unknown, crop: unknown, minScore: unknown, minFaceSize: unknown, age: unknown, flip: unknown, ensemble: unknown;
    try {
      interval = opts?.interval;
      crop = opts?.crop;
      minScore = opts?.minScore;
      minFaceSize = opts?.minFaceSize;
      age = opts?.age;
      flip = opts?.flip;
      ensemble = opts?.ensemble;
    } catch (e) {
      throw new OptionsError(`reading ${what} threw: ${(e as Error)?.message ?? String(e)}`);
    }
    if (minScore !== undefined && !(typeof minScore === 'number' && minScore >= 0 && minScore <= 1))
      throw new OptionsError(`minScore must be a number in 0..1, got ${String(minScore)}`);
    if (minFaceSize !== undefined && !(typeof minFaceSize === 'number' && minFaceSize >= 8 && minFaceSize <= MAX_SIDE))
      throw new OptionsError(`minFaceSize must be a number of pixels in 8..${MAX_SIDE}, got ${String(minFaceSize)}`);
    if (age !== undefined && typeof age !== 'boolean') throw new OptionsError(`age must be true or false, got ${String(age)}`);
    if (flip !== undefined && typeof flip !== 'boolean') throw new OptionsError(`flip must be true or false, got ${String(flip)}`);
    if (ensemble !== undefined && typeof ensemble !== 'boolean') throw new OptionsError(`ensemble must be true or false, got ${String(ensemble)}`);
    if (ensemble === true && !this.partners.length) throw new OptionsError('ensemble: true needs an estimator with ensemble partners (createEstimator({ ensemble: { model, weight } }))');
    return {
      age: age === true,
      flip: flip === true,
      ensemble: ensemble !== false && this.partners.length > 0,
      interval: interval === undefined ? this.interval : checkInterval(interval, T),
      crop: checkCrop(crop) ?? this.crop,
      minScore: (minScore as number | undefined) ?? DEFAULT_MIN_SCORE,
      minFaceSize: (minFaceSize as number | undefined) ?? DEFAULT_MIN_FACE_SIZE,
    };
  }

  /** The detector, or an OptionsError for an estimator created with crop 'chip' (it has none). */
  private faceDetector(): FaceDetector {
    this.live();
    if (!this.detector)
      throw new OptionsError("this estimator was created with crop 'chip' and has no face detector: create one without crop 'chip' to detect faces");
    return this.detector;
  }

  /** Checks the image and copies it into the staging area (the arena's last allocation, grown in place). */
  private stageImage(image: SyncImageSource): StagedImage {
    const { arena } = this.live();
    const img = checkImage(toPixels(image));
    // a failure to grow is a DaaError('MEMORY') and leaves the estimator as it was
    const bytes = img.bytes;
    if (!this.stage) {
      this.stage = arena.alloc(bytes);
      this.stageBytes = bytes;
    } else if (bytes > this.stageBytes) {
      arena.growLast(this.stage, bytes);
      this.stageBytes = bytes;
    }
    arena.u8(this.stage, bytes).set(img.data);
    return { ptr: this.stage, width: img.width, height: img.height, channels: img.channels };
  }

  /** Faces of the staged image, largest box first. */
  private findFaces(img: StagedImage, o: { minScore: number; minFaceSize: number }, largestOnly: boolean): Face[] {
    const detector = this.faceDetector();
    const faces = inKernels(() => detector.detect(img, { minScore: o.minScore, iouThreshold: 0.3, minFaceSize: o.minFaceSize, largestOnly }));
    return faces.sort(largestFirst);
  }

  /**
   * Age of the staged image: the whole image resized (m null) or the chip that `m` maps to it (m is
   * the main model's chip of side inputSize). With `flip`, also of its mirror image (the staged pixels
   * mirrored in place for m null, else the chip warp mirrored: X -> S - X), averaged. With `ensemble`,
   * each view's age mixes the partners' (ageOfView).
   */
  private ageOf(img: StagedImage, m: Affine | null, o: { interval: number; flip: boolean; ensemble: boolean }): Estimate {
    const a = this.ageOfView(img, m, o.interval, o.ensemble);
    if (!o.flip) return a;
    const S = this.config.inputSize;
    if (m === null) mirrorRows(this.live().arena.u8(img.ptr, img.width * img.height * img.channels), img.width, img.height, img.channels);
    const b = this.ageOfView(img, m && [-m[0], m[1], m[0] * S + m[2], -m[3], m[4], m[3] * S + m[5]], o.interval, o.ensemble);
    const perTemplate = a.perTemplate.map((v, k) => (v + b.perTemplate[k]) / 2);
    const both: Estimate = { age: (a.age + b.age) / 2, perTemplate, spread: Math.sqrt((a.spread * a.spread + b.spread * b.spread) / 2) };
    if (a.models && b.models) both.models = a.models.map((v, i) => (v + b.models![i]) / 2);
    return both;
  }

  /**
   * One view's age: the main model's, or with `ensemble` w_0 x the main model's + w_1 x the first
   * partner's + ... (w_0 = 1 - the partners' weights), entry by entry over perTemplate (the same
   * template ages), age its mean. The spread is the standard deviation of every model's per-template
   * estimates together, weighted w_0, w_1, ..., around that age: it grows when the models disagree
   * (UTKFace, default pair with the stage 1 weights: its correlation with the absolute error 0.284 on
   * the validation part and 0.298 on the test split, against 0.202 / 0.248 for the deviation of the
   * mixed list alone; docs/eval/resnet18w16-daa-stage1/ensemble/). A partner's chip is the same
   * region of the image at its own input side S2: `m` with its linear part scaled by S / S2. With
   * one partner of weight w this is (1 - w) x a + w x b, operation for operation.
   */
  private ageOfView(img: StagedImage, m: Affine | null, interval: number, ensemble: boolean): Estimate {
    const { arena, kernels } = this.live();
    const S = this.config.inputSize;
    const main = this.main!;
    const a = this.result(arena, inKernels(() => runAgeModel(kernels, main, img, m, interval)));
    if (!ensemble || !this.partners.length) return a;
    const runs = [a];
    const weights = [0];
    for (const p of this.partners) {
      const k = S / p.config.inputSize;
      const mp: Affine | null = m && [m[0] * k, m[1] * k, m[2], m[3] * k, m[4] * k, m[5]];
      runs.push(this.result(arena, inKernels(() => runAgeModel(kernels, p, img, mp, interval))));
      weights.push(p.weight);
    }
    weights[0] = 1 - weights.reduce((t, w) => t + w, 0);
    let age = 0;
    for (let i = 0; i < runs.length; i++) age += weights[i] * runs[i].age;
    const T = a.perTemplate.length;
    const perTemplate = new Float32Array(T);
    let ss = 0;
    for (let i = 0; i < runs.length; i++) {
      let si = 0;
      for (const v of runs[i].perTemplate) si += (v - age) * (v - age);
      ss += weights[i] * si;
    }
    for (let t = 0; t < T; t++) {
      let v = 0;
      for (let i = 0; i < runs.length; i++) v += weights[i] * runs[i].perTemplate[t];
      perTemplate[t] = v;
    }
    return { age, perTemplate, spread: Math.sqrt(ss / T), models: runs.map((r) => r.age) };
  }

  /**
   * Estimate the age of the face in `image` (raw pixels, JPEG/PNG bytes or a drawable, src/input.ts;
   * Blobs, Responses and paths go through readImage()): by default the most prominent face of a whole
   * image (photo, webcam frame), or an aligned face crop as it is (see EstimateOptions.crop). Throws
   * NoFaceError when no face is found (crop 'auto' or 'detect').
   */
  estimate(image: SyncImageSource, opts?: EstimateOptions): Estimate {
    this.live();
    // options first, then the image: no caller code (a getter) runs between the image check and the copy
    const o = this.readOptions(opts, ESTIMATE_OPTIONS, 'estimate options');
    if (o.crop !== 'chip') this.faceDetector();
    const img = this.stageImage(image);
    if (o.crop === 'chip') return this.ageOf(img, null, o);
    const S = this.config.inputSize;
    const faces = this.findFaces(img, o, true);
    if (!faces.length && o.crop === 'auto') {
      // an aligned crop the detector is unsure of: accept a weaker detection whose keypoints frame
      // the whole image the way the training chips are framed (strong geometric evidence of a face)
      const detector = this.faceDetector();
      const weak = detector.runWindow(img, detector.letterbox(img.width, img.height), Math.min(o.minScore, CHIP_MIN_SCORE), 0.3);
      if (weak.length && framesWholeImage(chipTransform(weak[0].keypoints, S), img.width, img.height, S)) return this.ageOf(img, null, o);
    }
    if (!faces.length) throw new NoFaceError(`no face found in the ${img.width}x${img.height} image (minScore ${o.minScore})`);
    const face = faces[0];
    const m = chipTransform(face.keypoints, S);
    if (o.crop === 'auto' && framesWholeImage(m, img.width, img.height, S)) return this.ageOf(img, null, o);
    return { ...this.ageOf(img, m, o), face };
  }

  /** Every face of `image` with its age, largest first; an empty list when there is none. */
  estimateAll(image: SyncImageSource, opts?: EstimateOptions): FaceEstimate[] {
    this.live();
    const o = this.readOptions(opts, ESTIMATE_OPTIONS, 'estimate options');
    this.faceDetector();
    const img = this.stageImage(image);
    const S = this.config.inputSize;
    return this.findFaces(img, o, false).map((face) => ({ ...face, ...this.ageOf(img, chipTransform(face.keypoints, S), o) }));
  }

  /**
   * The age of one given face of `image` (its six keypoints, as detectFaces returns them): the face is
   * aligned from its eyes and mouth and estimated, without detection. The video tracker's per-face
   * step for faces it follows between detections.
   */
  estimateFace(image: SyncImageSource, face: { keypoints: readonly { x: number; y: number }[] }, opts?: Pick<EstimateOptions, 'interval' | 'flip' | 'ensemble'>): Estimate {
    this.live();
    const o = this.readOptions(opts, ['interval', 'flip', 'ensemble'], 'estimateFace options');
    const kp = checkKeypoints(face);
    const img = this.stageImage(image);
    return this.ageOf(img, chipTransform(kp, this.config.inputSize), o);
  }

  /**
   * The face near `seed` (a box and keypoints, e.g. where a followed face is predicted in this frame):
   * one detector run in an upright window around it instead of a whole-image search; null when no
   * face scores minScore there. With `{ age: true }` the face comes with its age (a FaceEstimate:
   * what estimateFace returns for it, from the same copy of the image).
   */
  refineFace(image: SyncImageSource, seed: RefineSeed, opts: RefineFaceOptions & { age: true }): FaceEstimate | null;
  refineFace(image: SyncImageSource, seed: RefineSeed, opts?: RefineFaceOptions): Face | null;
  refineFace(image: SyncImageSource, seed: RefineSeed, opts?: RefineFaceOptions): Face | FaceEstimate | null {
    this.live();
    const o = this.readOptions(opts, ['minScore', 'interval', 'age', 'flip', 'ensemble', 'others'], 'refineFace options');
    const detector = this.faceDetector();
    const kp = checkKeypoints(seed);
    const b = seed?.box;
    if (!b || ![b.x, b.y, b.width, b.height].every(Number.isFinite) || !(b.width > 0 && b.height > 0))
      throw new OptionsError('seed.box must be { x, y, width, height } with finite numbers and a positive size');
    let others: unknown;
    try {
      others = opts?.others;
    } catch (e) {
      throw new OptionsError(`reading refineFace options threw: ${(e as Error)?.message ?? String(e)}`);
    }
    const near = others === undefined ? [] : checkBoxes(others, 'others');
    const img = this.stageImage(image);
    const face = inKernels(() => detector.trackLook(img, { box: b, keypoints: kp, score: seed.score ?? 1 }, { minScore: o.minScore, iouThreshold: 0.3 }, near));
    return face && o.age ? { ...face, ...this.ageOf(img, chipTransform(face.keypoints, this.config.inputSize), o) } : face;
  }

  /** The faces of `image` (boxes, keypoints, scores in image pixels), largest first; no ages. */
  detectFaces(image: SyncImageSource, opts?: DetectFacesOptions): Face[] {
    this.live();
    const o = this.readOptions(opts, DETECT_OPTIONS, 'detectFaces options');
    this.faceDetector();
    return this.findFaces(this.stageImage(image), o, false);
  }

  /**
   * One part of a whole-image search in 128 x 128 windows (the whole image letterboxed, then tiles
   * down to minFaceSize; detectFaces covers the same faces with a few larger windows): windows
   * `from` .. `from + count - 1`, faces overlapping a `known` box skipped. A video tracker calls it
   * once a frame with `from` moving on by `count`, so that the search is spread over frames at a
   * steady cost instead of a whole search every few frames; faces are largest first.
   */
  scanFaces(image: SyncImageSource, opts?: ScanFacesOptions): FaceScan {
    this.live();
    const o = this.readOptions(opts, SCAN_OPTIONS, 'scanFaces options');
    let from: unknown, count: unknown, known: unknown;
    try {
      ({ from, count, known } = opts ?? {});
    } catch (e) {
      throw new OptionsError(`reading scanFaces options threw: ${(e as Error)?.message ?? String(e)}`);
    }
    const first = from === undefined ? 0 : checkNumberOption(from, 'from', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
    const n = count === undefined ? 4 : checkNumberOption(count, 'count', 1, 1000, true);
    const boxes = known === undefined ? [] : checkBoxes(known, 'known');
    const detector = this.faceDetector();
    const img = this.stageImage(image);
    const r = inKernels(() => detector.scan(img, { minScore: o.minScore, iouThreshold: 0.3, minFaceSize: o.minFaceSize }, first, n, boxes));
    return { faces: r.faces.sort(largestFirst), windows: r.windows };
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

  /**
   * Encoder features E of the last age model run (h x w x C, channels-last); for tests and tools.
   * With `flip: true` the last run is the mirror view's, and with several faces the last face's.
   */
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
    return this.main === null;
  }

  /**
   * Release the wasm instance and its memory: the estimator keeps no reference to either (they are
   * freed with the next garbage collection). Idempotent. Using the estimator afterwards (estimate,
   * lastFeatures, memoryBytes) throws DisposedError.
   */
  dispose(): void {
    this.arena = null;
    this.kernels = null;
    this.main = null;
    this.partners = [];
    this.detector = null;
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
