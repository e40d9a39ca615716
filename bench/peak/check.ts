/**
 * Checks bench/peak/peak.ts's hand-encoded binaries against binaryen's assembly of the same text
 * (same result for the same iteration count) and prints each variant's GFLOP/s once.
 * `npx tsx bench/peak/check.ts` (run without --no-liftoff: binaryen's own wasm is big).
 */
import binaryen from 'binaryen';
import { peakBinary, peakWat } from './peak.ts';

for (const fma of [false, true])
  for (const [mx, ny] of [[2, 5], [3, 4], [2, 6], [4, 3]] as const) {
    const ours = peakBinary(mx, ny, fma);
    const m = binaryen.parseText(peakWat(mx, ny, fma));
    m.setFeatures(binaryen.Features.All);
    const ref = new Uint8Array(m.emitBinary());
    m.dispose();
    if (!WebAssembly.validate(ours)) {
      console.log(`${fma ? 'fma' : 'mul+add'} ${mx}x${ny}: not validated by this engine${WebAssembly.validate(ref) ? ' (binaryen build is: ENCODING BUG)' : ' (nor the binaryen build: feature off)'}`);
      continue;
    }
    const run = (b: Uint8Array<ArrayBuffer>) => {
      const ex = new WebAssembly.Instance(new WebAssembly.Module(b), {}).exports;
      const f = new Float32Array((ex.memory as WebAssembly.Memory).buffer, 0, 64);
      for (let i = 0; i < 64; i++) f[i] = 1e-3 * ((i * 7) % 13);
      return ex.run as (n: number) => number;
    };
    const a = run(ours);
    const r = run(ref);
    const n = 200000;
    const t = performance.now();
    const va = a(n);
    const ms = performance.now() - t;
    const vr = r(n);
    console.log(`${fma ? 'fma' : 'mul+add'} ${mx}x${ny}: ${ours.length} bytes (binaryen ${ref.length}), result ${va} vs ${vr} ${Object.is(va, vr) ? 'same' : 'DIFFERENT'}, ${((n * 2 * mx * ny * 8) / ms / 1e6).toFixed(1)} GFLOP/s`);
  }
