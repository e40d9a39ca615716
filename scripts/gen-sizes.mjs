// Writes the package sizes into README.md and docs/runtimes.md from the build, between markers
//   <!-- sizes:NAME -->...<!-- /sizes:NAME -->
// (dist/sizes.json from scripts/bundle.mjs, the example edge worker bundled by examples/worker/build.mjs,
// and the tarball from `npm pack --dry-run`). Run after `npm run bundle`:
//   node scripts/gen-sizes.mjs           rewrite the files
//   node scripts/gen-sizes.mjs --check   exit 1 (and say which) if a file is out of date
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
if (!existsSync(join(root, 'dist/sizes.json'))) throw new Error('dist/sizes.json is missing: run `npm run bundle` first');
const { entries } = JSON.parse(readFileSync(join(root, 'dist/sizes.json'), 'utf8'));
const kb = (n) => `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KiB`;
// the tarball ships docs/, so its size moves with every doc edit, this file's own figures included:
// it is given to 0.1 MiB, which such edits do not move
const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;
const entry = (name) => entries.find((e) => e.entry === name) ?? { bytes: NaN, gzip: NaN };

// the example edge worker, bundled as its README does, against this build's dist/: a scratch project
// whose node_modules/daa-wasm links to this checkout (examples/worker/node_modules need not be installed)
const out = mkdtempSync(join(tmpdir(), 'daa-sizes-'));
let worker;
try {
  const project = join(out, 'project');
  mkdirSync(join(project, 'node_modules'), { recursive: true });
  symlinkSync(root, join(project, 'node_modules/daa-wasm'), 'dir');
  copyFileSync(join(root, 'examples/worker/worker.js'), join(project, 'worker.js'));
  execFileSync(process.execPath, [join(root, 'examples/worker/build.mjs'), out, join(project, 'worker.js')], { cwd: project, stdio: 'pipe' });
  const js = readFileSync(join(out, 'worker.js'));
  const wasm = readFileSync(join(out, 'daa.simd.wasm'));
  worker = { bytes: js.length + wasm.length, gzip: gzipSync(js, { level: 9 }).length + gzipSync(wasm, { level: 9 }).length };
} finally {
  rmSync(out, { recursive: true, force: true });
}
const pack = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))[0];

const rows = [
  ['browser: `daa-wasm`', 'browser: daa-wasm'],
  ['browser: `daa-wasm` + `daa-wasm/decode`', 'browser: daa-wasm + daa-wasm/decode'],
  ['browser, first estimate (relaxed-SIMD engine): code + its kernel build', 'browser: first estimate, relaxed-SIMD engines: code + kernels'],
  ['browser, first estimate (SIMD engine): code + its kernel build', 'browser: first estimate, SIMD engines: code + kernels'],
  ['browser, first estimate: the default\'s embedded weights (int8)', 'browser: first estimate: + the default weights'],
  ['browser, first estimate: the face detector\'s weights (not with crop \'chip\')', 'browser: first estimate: + the face detector weights'],
  ['Web Worker: `daa-wasm/worker-script` (all it loads)', 'Web Worker: daa-wasm/worker-script (all)'],
  ['page side: `daa-wasm/worker`', 'page side: daa-wasm/worker (up front)'],
  ['workerd: `daa-wasm` + `daa-wasm/decode` + `daa.simd.wasm`', 'workerd: daa-wasm (+ daa.simd.wasm)'],
  ['node: `daa-wasm`', 'node: daa-wasm'],
];
const browser = entry('browser: daa-wasm');
const first = entry('browser: first estimate, relaxed-SIMD engines: code + kernels');
const weights = entry('browser: first estimate: + the default weights');
const detector = entry('browser: first estimate: + the face detector weights');
const regions = {
  'bundle': `the library loads ${kb(browser.bytes)} (${kb(browser.gzip)} gzip) up front; the first estimate then fetches ${kb(first.gzip - browser.gzip)} gzip of the kernel build it uses, ${kb(weights.gzip)} gzip of the default's int8 weights and, unless the estimator is created with crop 'chip', ${kb(detector.gzip)} gzip of the face detector's weights`,
  'worker': `${kb(worker.gzip)} gzip`,
  'page': `${kb(entry('page side: daa-wasm/worker (up front)').gzip)} gzip`,
  'tarball': `${mib(pack.size)} (${pack.entryCount} files, ${mib(pack.unpackedSize)} unpacked)`,
  'table': [
    '',
    '| what a user\'s bundle loads (esbuild, minified) | bytes | gzip |',
    '|---|---|---|',
    ...rows.map(([label, name]) => `| ${label} | ${kb(entry(name).bytes)} | ${kb(entry(name).gzip)} |`),
    `| the example edge worker (\`examples/worker\`, bundled by \`build.mjs\`) | ${kb(worker.bytes)} | ${kb(worker.gzip)} (limit 3 MiB) |`,
    `| the npm tarball | ${mib(pack.size)} | ${mib(pack.unpackedSize)} unpacked |`,
    '',
  ].join('\n'),
};

let stale = [];
for (const file of ['README.md', 'docs/runtimes.md']) {
  const path = join(root, file);
  const text = readFileSync(path, 'utf8');
  const next = text.replace(/<!-- sizes:([a-z]+) -->[\s\S]*?<!-- \/sizes:\1 -->/g, (m, name) => {
    if (!(name in regions)) throw new Error(`${file}: unknown sizes region '${name}'`);
    return `<!-- sizes:${name} -->${regions[name]}<!-- /sizes:${name} -->`;
  });
  if (next === text) continue;
  if (check) stale.push(file);
  else writeFileSync(path, next);
}
if (check && stale.length) {
  console.error(`sizes out of date in ${stale.join(', ')}: run \`npm run bundle && npm run sizes\``);
  process.exit(1);
}
console.log(check ? 'sizes in README.md and docs/runtimes.md match the build' : `sizes written: browser bundle ${kb(browser.gzip)} gzip, example worker ${kb(worker.gzip)} gzip, tarball ${kb(pack.size)}`);
