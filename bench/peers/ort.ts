/**
 * onnxruntime-web (wasm execution provider, 1 thread, SIMD build) on the ONNX export of a DAA model.
 * In Node the package's `node` entry (dist/ort.node.min.mjs) loads its wasm from node_modules.
 */
import { buildOnnx, type OnnxOptions } from './onnx.ts';
import type { ModelConfig } from '../../src/arch.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Ort = any;
let ortP: Promise<Ort> | null = null;

export function loadOrt(): Promise<Ort> {
  if (!ortP)
    ortP = (async () => {
      const ort: Ort = await import('onnxruntime-web');
      const mod = ort.default ?? ort;
      mod.env.wasm.numThreads = 1;
      mod.env.wasm.proxy = false;
      mod.env.logLevel = 'error';
      return mod;
    })();
  return ortP;
}

export interface OrtRunner {
  /** run on an RGBA image; returns the outputs */
  run(img: { data: Uint8Array | Uint8ClampedArray; width: number; height: number }): Promise<Record<string, Float32Array>>;
  bytes: number;
  version: string;
  release(): Promise<void>;
}

export async function ortSession(cfg: ModelConfig, weights: Map<string, Float32Array>, opts: OnnxOptions): Promise<OrtRunner> {
  const ort = await loadOrt();
  const model = buildOnnx(cfg, weights, opts);
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  return {
    bytes: model.length,
    version: String(ort.env.versions?.web ?? ort.env.versions?.common ?? '?'),
    async run(img) {
      const data = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength);
      const feeds = { image: new ort.Tensor('uint8', data, [1, img.height, img.width, 4]) };
      const out = await session.run(feeds);
      const r: Record<string, Float32Array> = {};
      for (const [k, v] of Object.entries(out)) r[k] = (v as { data: Float32Array }).data;
      return r;
    },
    release: () => session.release(),
  };
}
