// Bundles worker.js for workerd / Cloudflare without wrangler: node build.mjs [outdir]
// Writes <outdir>/worker.js (daa-wasm and its decoder inlined) and <outdir>/daa.simd.wasm (kept as a
// separate wasm module: workerd cannot compile wasm from bytes). Uses esbuild (npm i -D esbuild);
// wrangler does the same on its own (`wrangler deploy`), with the wasm import as a CompiledWasm module.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = resolve(process.argv[2] ?? join(here, 'dist'));
const entry = resolve(process.argv[3] ?? join(here, 'worker.js'));
mkdirSync(outdir, { recursive: true });
const require = createRequire(entry);
const wasmFiles = [];
await build({
  entryPoints: [entry],
  outfile: join(outdir, 'worker.js'),
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  conditions: ['workerd', 'worker', 'browser'],
  mainFields: ['browser', 'module', 'main'],
  target: 'es2022',
  minify: true,
  legalComments: 'inline',
  logLevel: 'warning',
  plugins: [
    {
      name: 'wasm-module',
      setup(b) {
        // `import m from './x.wasm'` (daa-wasm's workerd entry) or 'pkg/x.wasm' stays an import of
        // './x.wasm' next to the bundle, declared as a wasm module in config.capnp
        b.onResolve({ filter: /\.wasm$/ }, (args) => {
          const file = args.path.startsWith('.') ? resolve(args.resolveDir, args.path) : require.resolve(args.path, { paths: [args.resolveDir] });
          if (!wasmFiles.includes(file)) wasmFiles.push(file);
          return { path: `./${basename(file)}`, external: true };
        });
      },
    },
  ],
});
for (const f of wasmFiles) copyFileSync(f, join(outdir, basename(f)));
console.log(`wrote ${join(outdir, 'worker.js')} and ${wasmFiles.map((f) => basename(f)).join(', ')}`);
