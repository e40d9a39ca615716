/**
 * TF "SAME" convolutions in the op graph (src/engine/ops.ts `sameView`): a conv with `pad: 'same'`
 * runs the packed direct kernel over a view of a symmetric zero-bordered copy. Against a plain
 * reference with SAME's own geometry (out = ceil(n / stride), top / left padding floor(total / 2),
 * the rest bottom / right), for odd and even sides, K 1 and 3, stride 1 and 2, channel tails, with a
 * residual and an activation, on both kernel builds. Seeded; tolerance |got - want| <= 1e-5 (1 + |want|).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Arena } from '../../src/arena.ts';
import { lowerGraph, type OpGraph } from '../../src/engine/ops.ts';
import { bind, PlanBuilder, Placement } from '../../src/engine/plan.ts';
import { ACT, instantiateKernels } from '../../src/kernels.ts';
import { compileBackend } from '../../src/wasm.ts';
import { act } from './reference.ts';
import { Rng } from '../util/rng.ts';

const SEED = 20261207;

function sameRef(x: Float32Array, H: number, W: number, Cin: number, w: Float32Array, b: Float32Array, Cout: number, K: number, s: number, res: Float32Array, actCode: number): Float64Array {
  const OH = Math.ceil(H / s), OW = Math.ceil(W / s);
  const top = Math.max((OH - 1) * s + K - H, 0) >> 1, left = Math.max((OW - 1) * s + K - W, 0) >> 1;
  const y = new Float64Array(OH * OW * Cout);
  for (let oy = 0; oy < OH; oy++)
    for (let ox = 0; ox < OW; ox++)
      for (let co = 0; co < Cout; co++) {
        let a = b[co];
        for (let ky = 0; ky < K; ky++)
          for (let kx = 0; kx < K; kx++) {
            const iy = oy * s - top + ky, ix = ox * s - left + kx;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            for (let ci = 0; ci < Cin; ci++) a += x[(iy * W + ix) * Cin + ci] * w[((ky * K + kx) * Cin + ci) * Cout + co];
          }
        const o = (oy * OW + ox) * Cout + co;
        y[o] = act(a + res[o], actCode);
      }
  return y;
}

for (const build of ['simd', 'scalar'] as const) {
  test(`conv pad 'same' == SAME reference (${build}, seed ${SEED})`, async () => {
    const rng = new Rng(SEED);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4096 });
    const k = await instantiateKernels(await compileBackend(build), memory);
    const arena = new Arena(memory, k.heap_base(), 1 << 26);
    let n = 0;
    for (const [H, W] of [[8, 8], [7, 9], [6, 5], [1, 1], [2, 3], [128, 4]])
      for (const [K, s] of [[3, 2], [3, 1], [1, 2], [1, 1]])
        for (const [Cin, Cout] of [[3, 16], [5, 9], [8, 8]]) {
          const OH = Math.ceil(H / s), OW = Math.ceil(W / s);
          const g: OpGraph = {
            ops: [{ kind: 'conv', name: 'c', src: 'x', dst: 'y', k: K, stride: s, pad: 'same', cin: Cin, cout: Cout, act: 'relu', add: 'r' }],
            shapes: { x: [H, W, Cin], r: [OH, OW, Cout], y: [OH, OW, Cout] },
            out: 'y',
          };
          const rand = (m: number) => Float32Array.from({ length: m }, () => rng.uniform(-1, 1));
          const w = rand(K * K * Cin * Cout), b = rand(Cout), x = rand(H * W * Cin), r = rand(OH * OW * Cout);
          const builder = new PlanBuilder();
          const lowering = lowerGraph(builder, g, new Map([['c.w', w], ['c.b', b]]));
          const at = new Placement(arena, builder.buffers);
          const f32 = (name: string, m: number) => new Float32Array(memory.buffer, at.ptr(lowering.tensor(name)), m);
          f32('x', x.length).set(x);
          f32('r', r.length).set(r);
          bind(lowering.steps, k, at).run();
          const got = f32('y', OH * OW * Cout);
          const want = sameRef(x, H, W, Cin, w, b, Cout, K, s, r, ACT.relu);
          for (let i = 0; i < want.length; i++)
            if (!(Math.abs(got[i] - want[i]) <= 1e-5 * (1 + Math.abs(want[i]))))
              assert.unreachable(`${build} seed ${SEED} case ${n} (${H}x${W}x${Cin} -> ${Cout}, k${K}s${s}) index ${i}: expected ${want[i]}, actual ${got[i]}`);
          n++;
        }
  });
}

test.run();
