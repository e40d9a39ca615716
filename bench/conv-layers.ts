/**
 * Kernel micro-benchmark (not a test): GFLOP/s of every distinct conv layer of ResNet18-DAA 128 px
 * (width 64) and C3AE-DAA 96 px, f32_conv2d and qs8_conv2d, on each kernel build this engine runs,
 * all in one process. 1 MAC = 2 FLOP; the int8 figure counts the same FLOPs (int ops).
 *   npx tsx bench/conv-layers.ts [--builds simd,scalar] [--ms 150]
 *   node --experimental-wasm-relaxed-simd --no-liftoff --import tsx bench/conv-layers.ts   (adds relaxed on Node 20)
 */
import { DEFAULT_CONFIG, encoderGraph, type ModelConfig } from '../src/arch.ts';
import { relaxedSupported } from '../src/kernels.ts';
import { packF32Weights } from '../src/pack-f32.ts';
import { codeStride, packQ8Weights } from '../src/quant.ts';
import { Harness, type Build } from '../test/util/wasm.ts';

const arg = (k: string, d: string) => {
  const i = process.argv.indexOf(k);
  return i > 0 ? process.argv[i + 1] : d;
};
const builds = arg('--builds', ['simd', 'scalar', ...(relaxedSupported() ? ['relaxed'] : [])].join(',')).split(',') as Build[];
const budget = Number(arg('--ms', '150'));
const models: Array<[string, ModelConfig]> = [
  ['ResNet18-128', { ...DEFAULT_CONFIG, encoder: 'resnet18', inputSize: 128, width: 64 }],
  ['C3AE-96', { ...DEFAULT_CONFIG }],
];

/** Best (minimum) time of one call over a `budget` ms window: robust to a shared, busy machine. */
function time(fn: () => void): number {
  fn();
  const t0 = performance.now();
  let best = Infinity, n = 0;
  while (performance.now() - t0 < budget || n < 3) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
    n++;
  }
  return best;
}

const rows: string[] = ['| model | layer | shape | GMAC | ' + builds.flatMap((b) => [`f32 HWIO ${b}`, `f32 packed ${b}`, `int8 ${b}`]).join(' | ') + ' |'];
rows.push('|' + '---|'.repeat(4 + 3 * builds.length));
for (const [label, cfg] of models) {
  const g = encoderGraph(cfg);
  const seen = new Set<string>();
  for (const op of g.ops) {
    // symmetric-padding convs only (the models here have no TF "SAME" conv)
    if (op.kind !== 'conv' || op.pad === 'same') continue;
    const pad = op.pad;
    const [H, W, Cin] = g.shapes[op.src];
    const [OH, OW, Cout] = g.shapes[op.dst];
    const key = `${H}x${W}x${Cin}>${Cout} k${op.k}s${op.stride}p${pad}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const macs = OH * OW * Cout * op.k * op.k * Cin;
    const cells: string[] = [];
    for (const b of builds) {
      const h = await Harness.create(b, 256);
      const x = h.f32(Float32Array.from({ length: H * W * Cin }, (_, i) => ((i * 7919) % 1000) / 1000));
      const wf = h.f32(Float32Array.from({ length: op.k * op.k * Cin * Cout }, (_, i) => ((i * 104729) % 2001) / 1000 - 1));
      const bias = h.f32(new Float32Array(Cout));
      const y = h.f32out(OH * OW * Cout);
      const tf = time(() => h.k.f32_conv2d(x, H, W, Cin, wf, bias, y, Cout, op.k, op.stride, pad, 1, 0));
      const wpk = h.f32(packF32Weights(h.read(wf, op.k * op.k * Cin * Cout), op.k, Cin, Cout));
      const tp = time(() => h.k.f32_conv2d_packed(x, H, W, Cin, wpk, bias, y, Cout, op.k, op.stride, pad, 1, 0));
      // int8: codes stored with a zero border of `pad`, output codes for a border-1 consumer
      const Cs = codeStride(Cin), pitch = W + 2 * pad;
      const xq = h.alloc((H + 2 * pad) * pitch * Cs, 0, 0);
      const m = new Uint8Array(h.memory.buffer);
      for (let i = 0; i < H * W; i++) for (let c = 0; c < Cin; c++) m[xq + (((Math.floor(i / W) + pad) * pitch) + (i % W) + pad) * Cs + c] = (i * 31 + c) % 128;
      const codes = Int8Array.from({ length: op.k * op.k * Cin * Cout }, (_, i) => ((i * 104729) % 255) - 127);
      const packed = packQ8Weights(codes, op.k, Cin, Cout);
      const wq = h.alloc(packed.length);
      new Int8Array(h.memory.buffer, wq, packed.length).set(packed);
      const ms = h.f32(new Float32Array(Cout).fill(1e-4));
      const yCs = codeStride(Cout), yPitch = OW + 2;
      const yq = h.alloc((OH + 2) * yPitch * yCs, 0, 0);
      const yo = yq + (yPitch + 1) * yCs;
      const tq = time(() => h.k.qs8_conv2d(xq, H + 2 * pad, W + 2 * pad, pitch, Cs, wq, Cout, op.k, op.stride, ms, bias, 1, 0, 0, yo, yPitch, yCs, 20, 0));
      cells.push(...[tf, tp, tq].map((t) => ((2 * macs) / t / 1e6).toFixed(1)));
    }
    rows.push(`| ${label} | ${op.name} | ${key} | ${(macs / 1e9).toFixed(3)} | ${cells.join(' | ')} |`);
    console.error(rows[rows.length - 1]);
  }
}
console.log(`\nGFLOP/s per layer (Node ${process.version}; f32 HWIO = f32_conv2d, f32 packed = f32_conv2d_packed, int8 = qs8_conv2d incl. requantised output; best of a 'budget' window)\n`);
console.log(rows.join('\n'));
