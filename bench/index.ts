/**
 * `npm run bench` entry: `tsx bench/index.ts [--quick] [--only head,e2e,cold,layers,mae] [--no-relaxed]`.
 *
 * Before any WebAssembly is compiled it sets two V8 flags so that the runtime's relaxed-SIMD build can
 * be measured on Node 20 (relaxed SIMD is on by default from Node 22 / Chrome 114):
 * --experimental-wasm-relaxed-simd, and --no-liftoff (V8 11.3's baseline compiler mis-compiles
 * i32x4.relaxed_dot_i8x16_i7x16_add_s; see src/kernels.ts relaxedSupported). --no-liftoff only means
 * every module (ours and the peers') is compiled by the optimising tier at once, which is where all
 * of them end up after warm-up anyway. `--no-relaxed` leaves the engine as it is.
 * Cold-start children (section 5) always run with Node's defaults.
 */
import v8 from 'node:v8';

const flags: string[] = [];
if (!process.argv.includes('--no-relaxed') && Number(process.versions.node.split('.')[0]) < 22) {
  flags.push('--experimental-wasm-relaxed-simd', '--no-liftoff');
  for (const f of flags) v8.setFlagsFromString(f);
}
(globalThis as { __benchFlags?: string[] }).__benchFlags = flags;
await import('./main.ts');
