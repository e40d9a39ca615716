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
 *   const { faces } = await est.estimateAll(file);       // every face: box, keypoints, score, age, spread
 *   const tracker = await est.createTracker();           // video: the tracker runs in the worker too
 *   const { faces: tracked } = await tracker.update(await createImageBitmap(video)); // transferred
 *
 * Files are decoded inside the worker, so the page thread only posts a message: JPEG and PNG with
 * daa-wasm/decode (EXIF orientation applied; the same pixels, hence the same age, as on Node), other
 * formats with createImageBitmap + OffscreenCanvas. Errors come back as the worker's DaaError subclass, with its `code`.
 */
import { DaaError, OptionsError, reviveError } from './errors.ts';
import type { DetectFacesOptions, Estimate, EstimateOptions, EstimatorOptions, Face, FaceEstimate, ImageInput, Estimator, Tracker, TrackerOptions, TrackerStats, TrackedFace } from './index.ts';
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

/** The faces of one image from the worker (estimateAll, detectFaces), with the time taken inside the worker. */
export interface WorkerFaces<T> {
  faces: T[];
  /** milliseconds spent in the worker on this image (decode + detection + estimates) */
  ms: number;
  /** of `ms`, the milliseconds spent turning the posted image into pixels (decoding, or drawing a bitmap) */
  readMs: number;
  /** size of the decoded image */
  width: number;
  height: number;
}

/** Options of a tracker that runs in the worker: the tracker's own, without functions (the worker's estimator detects, follows and estimates). */
export type WorkerTrackerOptions = Omit<TrackerOptions, 'estimator' | 'detect' | 'estimate' | 'refine' | 'scan'>;

/** The tracker options that are functions (or hold them): they cannot cross to the worker, whose estimator fills them. */
const FUNCTION_TRACKER_OPTIONS = ['estimator', 'detect', 'estimate', 'refine', 'scan'] as const;

function checkWorkerTrackerOptions(opts: object): void {
  for (const k of FUNCTION_TRACKER_OPTIONS)
    if (k in opts) throw new OptionsError(`a worker tracker uses the worker's estimator: option ${k} cannot be given`);
}

/** One frame's result from a tracker in the worker. */
export interface WorkerTrackedFrame extends WorkerFaces<TrackedFace> {
  /** the tracker's counters after this frame */
  stats: TrackerStats;
}

/** A video tracker (createTracker) running in the worker, on the worker's estimator. */
export interface WorkerTracker {
  /** one video frame (an ImageBitmap is transferred, not copied): the faces seen in it, largest first */
  update(frame: WorkerImage): Promise<WorkerTrackedFrame>;
  /** forget every track (ids keep counting up) */
  reset(): Promise<void>;
  /** free the tracker in the worker */
  dispose(): Promise<void>;
}

export interface WorkerEstimator {
  readonly info: WorkerModelInfo;
  estimate(image: WorkerImage, options?: EstimateOptions): Promise<WorkerEstimate>;
  /** every face with its age, largest first (an empty list when there is none) */
  estimateAll(image: WorkerImage, options?: EstimateOptions): Promise<WorkerFaces<FaceEstimate>>;
  /** the faces without ages */
  detectFaces(image: WorkerImage, options?: DetectFacesOptions): Promise<WorkerFaces<Face>>;
  /** a tracker in the worker for the frames of one video (see createTracker) */
  createTracker(options?: WorkerTrackerOptions): Promise<WorkerTracker>;
  /** dispose the model in the worker and terminate the worker */
  dispose(): void;
}

type Request =
  | { id: number; type: 'load'; options: EstimatorOptions }
  | { id: number; type: 'estimate'; image: WorkerImage; options?: EstimateOptions }
  | { id: number; type: 'estimateAll'; image: WorkerImage; options?: EstimateOptions }
  | { id: number; type: 'detectFaces'; image: WorkerImage; options?: DetectFacesOptions }
  | { id: number; type: 'trackerCreate'; options?: WorkerTrackerOptions }
  | { id: number; type: 'trackerUpdate'; tracker: number; image: WorkerImage }
  | { id: number; type: 'trackerReset'; tracker: number }
  | { id: number; type: 'trackerDispose'; tracker: number }
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

/**
 * RGBA buffers for VideoFrames read with copyTo, reused from frame to frame (a 640 x 480 frame is
 * 1.2 MB: one per frame would churn the page's worker heap at 30 fps). A buffer is lent from take()
 * until release(): requests can interleave across the await of copyTo, so each holds its own.
 */
class FrameBuffers {
  private readonly free: Uint8ClampedArray[] = [];
  private readonly lent = new Set<Uint8ClampedArray>();

  take(bytes: number): Uint8ClampedArray {
    const i = this.free.findIndex((b) => b.length === bytes);
    const buf = i >= 0 ? this.free.splice(i, 1)[0] : new Uint8ClampedArray(bytes);
    this.lent.add(buf);
    return buf;
  }

  /** Gives back `data` when it is a lent buffer (else nothing happens); at most two are kept. */
  release(data: ImageInput['data'] | undefined): void {
    if (!(data instanceof Uint8ClampedArray) || !this.lent.delete(data)) return;
    if (this.free.length < 2) this.free.push(data);
  }
}

async function toPixels(image: WorkerImage, buffers: FrameBuffers): Promise<ImageInput> {
  if (typeof VideoFrame !== 'undefined' && image instanceof VideoFrame) {
    // a transferred VideoFrame belongs to this worker now: read it, then close it (frames hold
    // capture or decoder memory). copyTo converts to RGBA on the CPU without a canvas round trip;
    // where it cannot (an older engine, an odd pixel format), the frame is drawn like a bitmap
    const frame = image;
    try {
      const rect = frame.visibleRect;
      const width = rect?.width ?? frame.displayWidth, height = rect?.height ?? frame.displayHeight;
      try {
        const data = buffers.take(width * height * 4);
        try {
          await frame.copyTo(data, { format: 'RGBA', colorSpace: 'srgb' } as VideoFrameCopyToOptions);
        } catch (e) {
          buffers.release(data);
          throw e;
        }
        return { data, width, height };
      } catch {
        image = await createImageBitmap(frame);
      }
    } finally {
      frame.close();
    }
  }
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
  const buffers = new FrameBuffers();
  // trackers by id; they hold the estimator they were made with and go when it is replaced or disposed
  const trackers = new Map<number, Tracker>();
  let nextTracker = 1;
  const reply = (m: Reply, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
  const loaded = (): Estimator => {
    if (!est) throw new DaaError('DISPOSED', 'no model loaded in this worker');
    return est;
  };
  const tracker = (id: number): Tracker => {
    const t = trackers.get(id);
    if (!t) throw new DaaError('DISPOSED', `tracker ${id} has been disposed (or its model was)`);
    return t;
  };
  scope.addEventListener('message', async (ev: MessageEvent) => {
    const req = ev.data as Request;
    if (!req || typeof req !== 'object' || typeof req.id !== 'number') return;
    try {
      if (req.type === 'load') {
        const t0 = performance.now();
        est?.dispose();
        trackers.clear();
        // loaded here, not at the top: the page side of this module stays small (no kernels, no weights)
        const { createEstimator } = await import('./index.ts');
        est = await createEstimator(req.options ?? {});
        const info: WorkerModelInfo = { config: est.config, precision: est.precision, backend: est.backend, loadMs: performance.now() - t0 };
        reply({ id: req.id, ok: true, result: info });
      } else if (req.type === 'estimate') {
        if (!est) throw new DaaError('DISPOSED', 'no model loaded in this worker');
        const t0 = performance.now();
        const img = await toPixels(req.image, buffers);
        let r: Estimate;
        try {
          r = est.estimate(img, req.options);
        } finally {
          buffers.release(img.data);
        }
        const result: WorkerEstimate = { ...r, ms: performance.now() - t0, width: img.width, height: img.height };
        reply({ id: req.id, ok: true, result }, [r.perTemplate.buffer as ArrayBuffer]);
      } else if (req.type === 'estimateAll' || req.type === 'detectFaces') {
        const e = loaded();
        const t0 = performance.now();
        const img = await toPixels(req.image, buffers);
        const readMs = performance.now() - t0;
        let faces: (Face | FaceEstimate)[];
        try {
          faces = req.type === 'estimateAll' ? e.estimateAll(img, req.options) : e.detectFaces(img, req.options);
        } finally {
          buffers.release(img.data);
        }
        const result: WorkerFaces<Face | FaceEstimate> = { faces, ms: performance.now() - t0, readMs, width: img.width, height: img.height };
        reply({ id: req.id, ok: true, result }, faces.flatMap((f) => ('perTemplate' in f ? [f.perTemplate.buffer as ArrayBuffer] : [])));
      } else if (req.type === 'trackerCreate') {
        const e = loaded();
        const opts = req.options ?? {};
        checkWorkerTrackerOptions(opts);
        const { createTracker } = await import('./index.ts');
        const id = nextTracker++;
        trackers.set(id, createTracker({ ...opts, estimator: e }));
        reply({ id: req.id, ok: true, result: id });
      } else if (req.type === 'trackerUpdate') {
        const t = tracker(req.tracker);
        const t0 = performance.now();
        const img = await toPixels(req.image, buffers);
        const readMs = performance.now() - t0;
        let faces: ReturnType<typeof t.update>;
        try {
          faces = t.update(img);
        } finally {
          buffers.release(img.data);
        }
        const result: WorkerTrackedFrame = { faces, ms: performance.now() - t0, readMs, width: img.width, height: img.height, stats: { ...t.stats } };
        reply({ id: req.id, ok: true, result });
      } else if (req.type === 'trackerReset') {
        tracker(req.tracker).reset();
        reply({ id: req.id, ok: true, result: null });
      } else if (req.type === 'trackerDispose') {
        trackers.delete(req.tracker);
        reply({ id: req.id, ok: true, result: null });
      } else if (req.type === 'dispose') {
        est?.dispose();
        est = null;
        trackers.clear();
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
  const live = () => {
    if (disposed) throw new DaaError('DISPOSED', 'this worker estimator has been disposed');
  };
  // an ImageBitmap (or VideoFrame) is moved to the worker, not copied
  const transferOf = (image: WorkerImage): Transferable[] =>
    (typeof ImageBitmap !== 'undefined' && image instanceof ImageBitmap) || (typeof VideoFrame !== 'undefined' && image instanceof VideoFrame) ? [image as Transferable] : [];
  return {
    info,
    async estimate(image: WorkerImage, opts?: EstimateOptions): Promise<WorkerEstimate> {
      live();
      return (await call({ type: 'estimate', image, options: opts }, transferOf(image))) as WorkerEstimate;
    },
    async estimateAll(image: WorkerImage, opts?: EstimateOptions): Promise<WorkerFaces<FaceEstimate>> {
      live();
      return (await call({ type: 'estimateAll', image, options: opts }, transferOf(image))) as WorkerFaces<FaceEstimate>;
    },
    async detectFaces(image: WorkerImage, opts?: DetectFacesOptions): Promise<WorkerFaces<Face>> {
      live();
      return (await call({ type: 'detectFaces', image, options: opts }, transferOf(image))) as WorkerFaces<Face>;
    },
    async createTracker(opts: WorkerTrackerOptions = {}): Promise<WorkerTracker> {
      live();
      checkWorkerTrackerOptions(opts ?? {});
      const tracker = (await call({ type: 'trackerCreate', options: opts })) as number;
      return {
        async update(frame: WorkerImage): Promise<WorkerTrackedFrame> {
          live();
          return (await call({ type: 'trackerUpdate', tracker, image: frame }, transferOf(frame))) as WorkerTrackedFrame;
        },
        async reset(): Promise<void> {
          live();
          await call({ type: 'trackerReset', tracker });
        },
        async dispose(): Promise<void> {
          if (!disposed) await call({ type: 'trackerDispose', tracker });
        },
      };
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
