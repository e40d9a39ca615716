// Builds the package as users get it, into dist/ (run after `npm run build`; `npm pack` runs both via
// prepack):
//   dist/node.js          Node, Deno, Bun ("node", "deno", "bun" conditions): file paths via node:fs
//   dist/browser.js       browsers and other edge runtimes ("browser", "worker", "default"):
//                         no Node built-in reachable (checked below)
//   dist/workerd.js       workerd / Cloudflare ("workerd"): the browser entry with the SIMD kernels
//                         imported as a wasm module (./daa.simd.wasm), since workerd cannot compile bytes
//   dist/worker.js        daa-wasm/worker: createWorkerEstimator (page) + exposeEstimator (Web Worker)
//   dist/worker-script.js daa-wasm/worker-script: a ready-made module Web Worker
//   dist/decode.js        daa-wasm/decode: JPEG/PNG bytes -> RGBA on any runtime
//   dist/decode.node.js, dist/worker.node.js   the same two for the node/deno/bun conditions
//   dist/cli.js           the `daa-wasm` command (jpeg-js bundled in: the package has no runtime deps)
//   dist/cli-worker.js    one worker thread of `daa-wasm --jobs <n>` (cli.js starts it from the file next to it)
// Each condition's entries come from one esbuild run, so they share one chunk of src/errors.ts: an
// error thrown by daa-wasm/decode is `instanceof` the classes exported by daa-wasm (test/runtimes/
// package.test.ts checks every class across every entry and condition).
//   dist/daa.{simd,scalar,relaxed}.wasm   the kernels as files, for hosts that must import a wasm module (workerd)
//   dist/types/{index,worker,decode}.d.ts   the public declarations, one self-contained file per entry
// The kernels and the default weights are also inlined (base64) in the JS: see docs/runtimes.md. Each
// kernel build and weight file is its own chunk (dist/chunks/kernel.*, model.*), imported when first
// used, so a browser fetches the one build and precision an estimator uses. A bundle made without code
// splitting (examples/worker/build.mjs: one file for workerd) inlines those chunks again.
// Usage: node scripts/bundle.mjs [--quiet]
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const quiet = process.argv.includes('--quiet');
const log = (...a) => quiet || console.log(...a);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

for (const f of ['src/generated/assets.ts', 'build/daa.simd.wasm', 'build/daa.scalar.wasm'])
  if (!existsSync(join(root, f))) throw new Error(`${f} is missing: run \`npm run build\` first`);

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const JPEG_NOTICE =
  '/*! daa-wasm (MIT). Bundles jpeg-js (BSD-3-Clause, (c) Eugene Ware and contributors; decoder (c) 2011 notmasteryet, Apache-2.0; encoder, in the CLI only, (c) 2008 Adobe Systems Incorporated, BSD-3-Clause). */';

/** browser/edge builds: platform/node.ts (node:fs) is replaced by platform/no-fs.ts */
const noFs = {
  name: 'no-fs',
  setup(b) {
    b.onResolve({ filter: /^\.\/node\.ts$/ }, (args) =>
      args.importer.endsWith(join('platform', 'fetch.ts')) ? { path: join(root, 'src/platform/no-fs.ts') } : undefined,
    );
  },
};

/** dist/workerd.js: the kernels' wasm import stays an import of the file next to it (./daa.simd.wasm) */
const wasmImport = {
  name: 'wasm-import',
  setup(b) {
    b.onResolve({ filter: /\.wasm$/ }, (args) => ({ path: `./${args.path.split('/').pop()}`, external: true }));
  },
};

const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'esm',
  splitting: true,
  outdir: dist,
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'inline',
  define: { __VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
  metafile: true,
};

const web = await build({
  ...common,
  platform: 'browser',
  target: ['es2022', 'chrome100', 'firefox100', 'safari16'],
  // one build for these entries: they share chunks, so daa-wasm/decode throws the same DaaError class
  entryPoints: { browser: 'src/index.ts', workerd: 'src/platform/workerd.ts', worker: 'src/worker.ts', decode: 'src/platform/decode.ts' },
  plugins: [noFs, wasmImport],
  banner: { js: JPEG_NOTICE.replace('Bundles', 'May bundle') },
});
const node = await build({
  ...common,
  platform: 'node',
  target: 'node20',
  entryPoints: { node: 'src/index.ts', cli: 'src/cli.ts', 'cli-worker': 'src/cli-worker.ts', 'decode.node': 'src/platform/decode.ts', 'worker.node': 'src/worker.ts' },
});
writeFileSync(
  join(dist, 'worker-script.js'),
  "// A module Web Worker serving an estimator: new Worker(new URL('daa-wasm/worker-script', import.meta.url), { type: 'module' })\n" +
    "import { exposeEstimator } from './worker.js';\nexposeEstimator();\n",
);
// the release kernel builds (simd, scalar, relaxed when built); not the .debug or training builds
for (const f of readdirSync(join(root, 'build')))
  if (/^daa\.[a-z]+\.wasm$/.test(f) && f !== 'daa.train.wasm') copyFileSync(join(root, 'build', f), join(dist, f));

// one copy of the error classes per condition
for (const [name, meta] of [['web', web.metafile], ['node', node.metafile]]) {
  const holders = Object.entries(meta.outputs).filter(([, o]) => Object.keys(o.inputs).some((i) => i.endsWith('src/errors.ts'))).map(([f]) => f);
  if (holders.length !== 1) throw new Error(`the ${name} build has ${holders.length} copies of src/errors.ts (${holders.join(', ')}); want 1`);
}

// no Node built-in may be reachable from the browser/edge outputs
const webFiles = Object.keys(web.metafile.outputs).filter((f) => f.endsWith('.js'));
for (const f of webFiles) {
  const out = web.metafile.outputs[f];
  const bad = (out.imports ?? []).filter((i) => (i.external && !/^\.\/daa\.[a-z]+\.wasm$/.test(i.path)) || /^node:/.test(i.path));
  const text = readFileSync(join(root, f), 'utf8');
  const m = /\bfrom\s*["']node:|\bimport\(\s*["']node:|\brequire\(\s*["'](node:|fs|path|zlib|stream|buffer)["']/.exec(text);
  if (bad.length || m) throw new Error(`${f} reaches a Node built-in: ${bad.map((i) => i.path).join(', ') || m[0]}`);
}

// declarations: tsc emits one .d.ts per module into a scratch folder; dts-bundle-generator then
// writes one self-contained file per entry with only what the API reaches (the estimator's options and
// results, the errors, the decoder), so that no internal module (arena, kernels, graph, quant, wasm)
// is published
const typesDir = join(dist, 'types');
const scratch = join(root, 'build', 'types-full');
rmSync(scratch, { recursive: true, force: true });
const tsc = join(root, 'node_modules/typescript/bin/tsc');
execFileSync(process.execPath, [
  tsc, 'src/index.ts', 'src/worker.ts', 'src/platform/decode.ts', 'src/platform/jpeg-js.d.ts', 'src/platform/wasm-module.d.ts',
  '--declaration', '--emitDeclarationOnly', '--outDir', scratch, '--rootDir', 'src',
  '--allowImportingTsExtensions', '--target', 'ES2022', '--module', 'ESNext', '--moduleResolution', 'Bundler',
  '--lib', 'ES2022,DOM', '--strict', '--skipLibCheck', '--types', 'node', '--isolatedModules',
], { cwd: root, stdio: 'inherit' });
const walk = (d) => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
for (const f of walk(scratch)) {
  if (!f.endsWith('.d.ts')) continue;
  const t = readFileSync(f, 'utf8').replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+?)\.ts\2/g, '$1$2$3.js$2');
  writeFileSync(f, t);
}
const PUBLIC_TYPES = { 'index.d.ts': 'index.d.ts', 'worker.d.ts': 'worker.d.ts', 'platform/decode.d.ts': 'decode.d.ts' };
writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify({
  compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], strict: true, noEmit: true, skipLibCheck: true, types: [] },
  files: Object.keys(PUBLIC_TYPES),
}));
writeFileSync(join(scratch, 'dts-bundle.json'), JSON.stringify({
  compilationOptions: { preferredConfigPath: join(scratch, 'tsconfig.json') },
  entries: Object.entries(PUBLIC_TYPES).map(([from, to]) => ({ filePath: join(scratch, from), outFile: join(typesDir, to), noCheck: true, output: { noBanner: true } })),
}));
execFileSync(process.execPath, [join(root, 'node_modules/dts-bundle-generator/dist/bin/dts-bundle-generator.js'), '--silent', '--config', join(scratch, 'dts-bundle.json')], { cwd: root, stdio: 'inherit' });
for (const to of Object.values(PUBLIC_TYPES)) {
  const f = join(typesDir, to);
  writeFileSync(f, `// Generated by scripts/bundle.mjs (tsc declarations of src/, bundled by dts-bundle-generator); do not edit.\n${readFileSync(f, 'utf8')}`);
}

// sizes: the files, and what each entry weighs once a user's bundler has pulled in its chunks
// (esbuild, minified; the wasm files the workerd entry imports counted separately)
const rows = [];
for (const f of walk(dist).sort()) {
  if (f.includes(`${join('dist', 'types')}`)) continue;
  const buf = readFileSync(f);
  rows.push({ file: relative(root, f), bytes: buf.length, gzip: gzipSync(buf, { level: 9 }).length });
}
const entries = [];
for (const [name, file, platform, extra] of [
  ['browser: daa-wasm', 'browser.js', 'browser', ''],
  ['browser: daa-wasm + daa-wasm/decode', 'browser.js', 'browser', 'decode.js'],
  ['Web Worker: daa-wasm/worker-script (all)', 'worker-script.js', 'browser', ''],
  ['page side: daa-wasm/worker (up front)', 'worker.js', 'browser', ''],
  ['workerd: daa-wasm (+ daa.simd.wasm)', 'workerd.js', 'browser', 'decode.js'],
  ['node: daa-wasm', 'node.js', 'node', ''],
]) {
  const contents = `export * from ${JSON.stringify('./' + file)};` + (extra ? `export * as d from ${JSON.stringify('./' + extra)};` : '');
  // code split as a bundler would; count what loads up front (the entry and its static imports;
  // for the worker script also what it imports on its first message)
  const r = await build({
    stdin: { contents, resolveDir: dist, loader: 'js', sourcefile: 'entry.js' },
    bundle: true, write: false, minify: true, format: 'esm', platform, external: ['*.wasm'], logLevel: 'silent',
    splitting: true, outdir: join(root, 'tmp-sizes'), metafile: true, entryNames: 'entry',
  });
  const outs = new Map(r.outputFiles.map((o) => [relative(root, o.path).replace(/\\/g, '/'), o.contents]));
  const seen = new Set();
  const visit = (o) => {
    if (seen.has(o)) return;
    seen.add(o);
    for (const i of r.metafile.outputs[o]?.imports ?? [])
      if (!i.external && (i.kind === 'import-statement' || (i.kind === 'dynamic-import' && file === 'worker-script.js'))) visit(i.path);
  };
  // the stdin entry (dynamically imported files are entry points of their own chunks too)
  visit(Object.keys(r.metafile.outputs).find((o) => /(^|\/)entry\.js$/.test(o)));
  const js = Buffer.concat([...seen].map((o) => outs.get(o)));
  let bytes = js.length;
  let gzip = gzipSync(js, { level: 9 }).length;
  if (file === 'workerd.js') {
    const w = readFileSync(join(dist, 'daa.simd.wasm'));
    bytes += w.length;
    gzip += gzipSync(w, { level: 9 }).length;
  }
  entries.push({ entry: name, bytes, gzip });
  if (file === 'browser.js' && !extra) {
    // what the first default estimate() fetches on top: the kernel build it picks (relaxed where the
    // engine has it, else simd) and the default's embedded weights (int8 for the shipped default), each its
    // own chunk; an int8 default also loads the int8-only code chunks (ops-int8, quant, timing), not counted here
    for (const [build, note] of [['relaxed', 'relaxed-SIMD engines'], ['simd', 'SIMD engines']]) {
      const chunkOf = (re) => Object.keys(r.metafile.outputs).filter((o) => re.test(o)).map((o) => outs.get(o));
      const kernels = Buffer.concat(chunkOf(new RegExp(`kernel\\.${build}-`)));
      const weights = Buffer.concat(chunkOf(/model\.[a-z0-9-]+\.(fp32|int8)-/));
      const code = Buffer.concat([js, kernels]);
      entries.push({ entry: `browser: first estimate, ${note}: code + kernels`, bytes: code.length, gzip: gzipSync(code, { level: 9 }).length });
      if (build === 'relaxed') {
        entries.push({ entry: 'browser: first estimate: + the default weights', bytes: weights.length, gzip: gzipSync(weights, { level: 9 }).length });
        // an estimator that detects faces (the default crop 'auto') also loads the detector's weights
        const detector = Buffer.concat(chunkOf(/detector\.[a-z_]+-/));
        entries.push({ entry: 'browser: first estimate: + the face detector weights', bytes: detector.length, gzip: gzipSync(detector, { level: 9 }).length });
      }
    }
  }
}
writeFileSync(join(dist, 'sizes.json'), JSON.stringify({ files: rows, entries }, null, 2) + '\n');
if (!quiet) {
  for (const r of rows) console.log(`${r.file.padEnd(40)} ${String(r.bytes).padStart(9)} B  ${String(r.gzip).padStart(9)} B gzip`);
  console.log('\nbundled, minified:');
  for (const r of entries) console.log(`${r.entry.padEnd(40)} ${String(r.bytes).padStart(9)} B  ${String(r.gzip).padStart(9)} B gzip`);
}
log(`bundle: dist/ written (${webFiles.length} web outputs checked free of Node built-ins)`);
