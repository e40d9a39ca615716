/**
 * Run the estimator in a Web Worker so that a page never freezes (`daa-wasm/worker`).
 *
 * Worker side (your worker file, or the ready-made `daa-wasm/worker-script`):
 *   import { exposeEstimator } from 'daa-wasm/worker';
 *   exposeEstimator();
 *
 * Page side:
 *   import { createWorkerEstimator } from 'daa-wasm/worker';
 *   const worker = new Worker(new URL('daa-wasm/worker-script', import.meta.url), { type: 'module' });
 *   const est = await createWorkerEstimator(worker, { interval: 5 });
 *   const { age, spread } = await est.estimate(file);   // a File/Blob (JPEG, PNG, anything the
 *                                                        // browser decodes), an ImageBitmap or ImageData
 *
 * Files are decoded inside the worker, so the page thread only posts a message: JPEG and PNG with
 * daa-wasm/decode (EXIF orientation applied; the same pixels, hence the same age, as on Node), other
 * formats with createImageBitmap + OffscreenCanvas. Errors come back as the worker's DaaError subclass, with its `code`.
 */
import { DaaError, reviveError } from './errors.ts';
import type { Estimate, EstimateOptions, EstimatorOptions, ImageInput, Estimator } from './index.ts';
import type { ModelConfig } from './arch.ts';
import type { Precision } from './format.ts';

/** What the page may post as an image: pixels, an encoded file, or a decoded bitmap (transferred). */
export type WorkerImage = ImageInput | Blob | ImageBitmap;

/** Facts about the model the worker loaded. */
export interface WorkerModelInfo {
  config: ModelConfig;
  precision: Precision;
  backend: Estimator['backend'];
  /** milliseconds the worker spent loading the model */
  loadMs: number;
}

/** An Estimate from the worker, with the time the estimate itself took inside the worker. */
export interface WorkerEstimate extends Estimate {
  /** milliseconds spent in the worker on this image (decode + estimate) */
  ms: number;
  /** size of the decoded image */
  width: number;
  height: number;
}

export interface WorkerEstimator {
  readonly info: WorkerModelInfo;
  estimate(image: WorkerImage, options?: EstimateOptions): Promise<WorkerEstimate>;
  /** dispose the model in the worker and terminate the worker */
  dispose(): void;
}

type Request =
  | { id: number; type: 'load'; options: EstimatorOptions }
  | { id: number; type: 'estimate'; image: WorkerImage; options?: EstimateOptions }
  | { id: number; type: 'dispose' };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

type Reply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { name: string; code: string | null; message: string } };

/** The part of a worker global scope that exposeEstimator uses. */
export interface WorkerScopeLike {
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}

async function toPixels(image: WorkerImage): Promise<ImageInput> {
  const isBlob = typeof Blob !== 'undefined' && image instanceof Blob;
  const isBitmap = typeof ImageBitmap !== 'undefined' && image instanceof ImageBitmap;
  if (!isBlob && !isBitmap) return image as ImageInput;
  if (isBlob) {
    // JPEG and PNG: daa-wasm/decode (EXIF orientation applied), the same pixels as on Node and as in
    // training (jpeg-js); other formats go to the browser's decoder
    const bytes = new Uint8Array(await (image as Blob).arrayBuffer());
    const { decodeImage, sniffImage } = await import('./platform/decode.ts');
    if (sniffImage(bytes)) return decodeImage(bytes);
  }
  if (typeof OffscreenCanvas === 'undefined' || typeof createImageBitmap !== 'function')
    throw new DaaError('IMAGE_TYPE', 'this worker cannot decode images (no OffscreenCanvas); post { data, width, height }');
  let bitmap: ImageBitmap;
  try {
    bitmap = isBitmap ? (image as ImageBitmap) : await createImageBitmap(image as Blob);
  } catch (e) {
    throw new DaaError('IMAGE_DATA', `the browser could not decode this image: ${(e as Error).message}`);
  }
  const { width, height } = bitmap;
  const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new DaaError('IMAGE_TYPE', 'no 2D context on OffscreenCanvas');
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const { data } = ctx.getImageData(0, 0, width, height);
  return { data, width, height };
}

/**
 * Serve an estimator to the page from inside a Web Worker: answers 'load', 'estimate' and 'dispose'
 * messages from createWorkerEstimator(). `scope` defaults to the worker's global scope.
 */
export function exposeEstimator(scope: WorkerScopeLike = globalThis as unknown as WorkerScopeLike): void {
  let est: Estimator | null = null;
  const reply = (m: Reply, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
  scope.addEventListener('message', async (ev: MessageEvent) => {
    const req = ev.data as Request;
    if (!req || typeof req !== 'object' || typeof req.id !== 'number') return;
    try {
      if (req.type === 'load') {
        const t0 = performance.now();
        est?.dispose();
        // loaded here, not at the top: the page side of this module stays small (no kernels, no weights)
        const { createEstimator } = await import('./index.ts');
        est = await createEstimator(req.options ?? {});
        const info: WorkerModelInfo = { config: est.config, precision: est.precision, backend: est.backend, loadMs: performance.now() - t0 };
        reply({ id: req.id, ok: true, result: info });
      } else if (req.type === 'estimate') {
        if (!est) throw new DaaError('DISPOSED', 'no model loaded in this worker');
        const t0 = performance.now();
        const img = await toPixels(req.image);
        const r = est.estimate(img, req.options);
        const result: WorkerEstimate = { ...r, ms: performance.now() - t0, width: img.width, height: img.height };
        reply({ id: req.id, ok: true, result }, [r.perTemplate.buffer as ArrayBuffer]);
      } else if (req.type === 'dispose') {
        est?.dispose();
        est = null;
        reply({ id: req.id, ok: true, result: null });
      }
    } catch (e) {
      const err = e as Error & { code?: string };
      reply({ id: req.id, ok: false, error: { name: err?.name ?? 'Error', code: typeof err?.code === 'string' ? err.code : null, message: String(err?.message ?? e) } });
    }
  });
}

/** The part of a Worker that createWorkerEstimator uses. */
export interface WorkerLike {
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
  addEventListener(type: 'error', listener: (ev: ErrorEvent) => void): void;
  postMessage(message: unknown, transfer?: Transferable[]): void;
  terminate(): void;
}

/**
 * Load a model in `worker` (which runs exposeEstimator()) and return an estimator whose calls are
 * messages to it. Rejects with the worker's DaaError if the model cannot be loaded.
 */
export async function createWorkerEstimator(worker: WorkerLike, options: EstimatorOptions = {}): Promise<WorkerEstimator> {
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  worker.addEventListener('message', (ev: MessageEvent) => {
    const m = ev.data as Reply;
    const p = m && pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else {
      p.reject(reviveError(m.error.name, m.error.code, m.error.message));
    }
  });
  worker.addEventListener('error', (ev: ErrorEvent) => {
    const e = new DaaError('WASM', `the worker failed: ${ev.message || 'script error'}`);
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  });
  const call = (msg: DistributiveOmit<Request, 'id'>, transfer: Transferable[] = []) =>
    new Promise<unknown>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...msg, id }, transfer);
    });
  const info = (await call({ type: 'load', options })) as WorkerModelInfo;
  let disposed = false;
  return {
    info,
    async estimate(image: WorkerImage, opts?: EstimateOptions): Promise<WorkerEstimate> {
      if (disposed) throw new DaaError('DISPOSED', 'this worker estimator has been disposed');
      const transfer = typeof ImageBitmap !== 'undefined' && image instanceof ImageBitmap ? [image] : [];
      return (await call({ type: 'estimate', image, options: opts }, transfer)) as WorkerEstimate;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      worker.terminate();
      for (const p of pending.values()) p.reject(new DaaError('DISPOSED', 'this worker estimator has been disposed'));
      pending.clear();
    },
  };
}
