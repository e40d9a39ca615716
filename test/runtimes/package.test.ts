/**
 * The package as users get it: the npm pack tarball (contents, offline install), the exports map per
 * runtime condition, no Node built-in reachable from the browser/edge entries (bundled as a user's
 * bundler would), and the public types: a consumer type-checks with --strict against the packed
 * .d.ts, and no tfjs or Node types leak into them.
 */
import { build } from 'esbuild';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN, must, packed, run, ROOT } from './util.ts';

test('tarball: built JS, types and wasm; no sources, tests, training code or build dir', async () => {
  const { tgz, pkgDir } = await packed();
  const r = must(await run('tar', ['tzf', tgz]), 'tar tzf');
  const files = r.stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
  for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/node.js', 'dist/browser.js', 'dist/worker.js', 'dist/worker.node.js', 'dist/worker-script.js', 'dist/decode.js', 'dist/decode.node.js', 'dist/workerd.js', 'dist/cli.js', 'dist/cli-worker.js', 'dist/daa.simd.wasm', 'dist/daa.scalar.wasm', 'dist/types/index.d.ts', 'dist/types/worker.d.ts', 'dist/types/decode.d.ts', 'weights/models.json', 'weights/detector/LICENSE', 'weights/detector/NOTICE'])
    assert.ok(files.includes(f), `${f} missing from the tarball`);
  for (const f of files) assert.not.match(f, /^(src|train|test|bench|build|assembly|scripts|examples)\//, `${f} should not be shipped`);
  // exactly the package's "files" (README "What the package ships"): nothing else slips in
  const shipped = /^(package\.json|README\.md|LICENSE|dist\/[a-z-]+(\.node)?\.js|dist\/daa\.[a-z]+\.wasm|dist\/chunks\/[A-Za-z0-9_.-]+\.js|dist\/types\/(index|worker|decode)\.d\.ts|weights\/([a-z0-9-]+\.(fp32|int8)\.daaw|[a-z0-9-]+\.NOTICE|models\.json|README\.md|detector\/(LICENSE|NOTICE))|docs\/.+)$/;
  for (const f of files) assert.match(f, shipped, `${f} is not one of the shipped kinds of file`);
  // only the API's declarations: no internal module (arena, kernels, graph, quant, wasm, ...)
  assert.equal(files.filter((f) => f.endsWith('.d.ts')).sort(), ['dist/types/decode.d.ts', 'dist/types/index.d.ts', 'dist/types/worker.d.ts']);
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  assert.is(pkg.dependencies, undefined, 'no runtime dependencies');
  assert.ok(statSync(join(pkgDir, 'dist/cli.js')).mode & 0o111, 'the CLI is executable');
  assert.ok(readFileSync(join(pkgDir, 'dist/cli.js'), 'utf8').startsWith('#!/usr/bin/env node'));
  console.log(`  tarball ${(statSync(tgz).size / 1024).toFixed(1)} KiB, ${files.length} files`);
});

test('the sizes in README.md and docs/runtimes.md are the build\'s (scripts/gen-sizes.mjs --check)', async () => {
  await packed(); // dist/ built from the current sources
  const r = await run(process.execPath, ['scripts/gen-sizes.mjs', '--check'], { timeoutMs: 120_000 });
  assert.is(r.code, 0, r.stderr + r.stdout);
});

/** Bundles `code` from the consumer project as a user's bundler would; returns the inputs and output. */
async function bundle(project: string, code: string, platform: 'browser' | 'node' | 'neutral', conditions: string[] = []) {
  const r = await build({
    stdin: { contents: code, resolveDir: project, loader: 'js' },
    absWorkingDir: project,
    bundle: true,
    write: false,
    format: 'esm',
    platform,
    conditions,
    mainFields: platform === 'neutral' ? ['module', 'main'] : undefined,
    metafile: true,
    external: ['*.wasm'],
    logLevel: 'silent',
  });
  const inputs = Object.keys(r.metafile.inputs).map((p) => p.replace(/\\/g, '/'));
  return { inputs, text: r.outputFiles[0].text, imports: r.metafile.outputs[Object.keys(r.metafile.outputs)[0]].imports };
}

const ALL = "export * from 'daa-wasm'; export * from 'daa-wasm/worker'; export * from 'daa-wasm/decode';";

test('browser and edge bundles (platform browser; conditions workerd/worker) reach no Node built-in', async () => {
  const { project } = await packed();
  for (const [platform, conditions, entry] of [['browser', [], 'browser'], ['browser', ['worker'], 'browser'], ['browser', ['workerd', 'worker'], 'workerd'], ['neutral', ['workerd', 'worker', 'browser'], 'workerd']] as const) {
    const b = await bundle(project, ALL, platform, [...conditions]);
    assert.ok(b.inputs.some((p) => p.endsWith(`daa-wasm/dist/${entry}.js`)), `${platform}/${conditions}: resolves dist/${entry}.js`);
    if (entry === 'workerd') assert.ok(b.imports.some((i) => /daa\.simd\.wasm$/.test(i.path)), 'the workerd entry imports the kernels as a wasm module');
    assert.not.ok(b.inputs.some((p) => p.endsWith('daa-wasm/dist/node.js')));
    const nodeish = [...b.imports.map((i) => i.path), ...b.inputs].filter((p) => /^node:|^(fs|path|zlib|stream|buffer|url|util)$/.test(p));
    assert.equal(nodeish, [], `${platform}: Node built-ins reachable: ${nodeish.join(', ')}`);
    assert.not.match(b.text, /["']node:[a-z/]+["']/, 'no node: specifier in the bundled text');
  }
  const n = await bundle(project, "export * from 'daa-wasm';", 'node');
  assert.ok(n.inputs.some((p) => p.endsWith('daa-wasm/dist/node.js')), 'platform node resolves dist/node.js');
});

test('exports map resolves per runtime: node and bun get dist/node.js (and worker.node.js), deno too', async () => {
  const { project } = await packed();
  const script = "console.log(import.meta.resolve('daa-wasm'), import.meta.resolve('daa-wasm/worker'), import.meta.resolve('daa-wasm/daa.simd.wasm'))";
  writeFileSync(join(project, 'resolve.mjs'), script);
  const node = must(await run(process.execPath, ['resolve.mjs'], { cwd: project, timeoutMs: 30_000 }), 'node resolve');
  assert.match(node.stdout, /daa-wasm\/dist\/node\.js .*dist\/worker\.node\.js .*dist\/daa\.simd\.wasm/);
  const bun = must(await run(join(ROOT, 'node_modules/.bin/bun'), ['resolve.mjs'], { cwd: project, timeoutMs: 30_000 }), 'bun resolve');
  assert.match(bun.stdout, /daa-wasm\/dist\/node\.js/);
  const deno = must(await run(join(ROOT, 'node_modules/.bin/deno'), ['run', '--quiet', '--allow-read', '--allow-env', 'resolve.mjs'], { cwd: project, timeoutMs: 30_000 }), 'deno resolve');
  assert.match(deno.stdout, /daa-wasm\/dist\/node\.js/);
});

test('one set of error classes: every DaaError class thrown through every entry point is instanceof daa-wasm\'s, on every runtime and condition', async () => {
  const { project } = await packed();
  copyFileSync(join(ROOT, 'test/runtimes/fixtures/errors.mjs'), join(project, 'errors.mjs'));
  const env = { DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' };
  for (const [label, cmd, args, entry] of [
    ['node', process.execPath, ['errors.mjs'], 'node'],
    ['node -C browser', process.execPath, ['-C', 'browser', 'errors.mjs'], 'browser'],
    ['node -C worker', process.execPath, ['-C', 'worker', 'errors.mjs'], 'browser'],
    ['deno', join(BIN, 'deno'), ['run', '--quiet', '-A', 'errors.mjs'], 'node'],
    ['bun', join(BIN, 'bun'), ['errors.mjs'], 'node'],
  ] as const) {
    const r = must(await run(cmd, [...args], { cwd: project, timeoutMs: 60_000, env }), `${label} errors.mjs`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { entries: Record<string, string>; checked: number; failures: string[] };
    assert.match(out.entries.main, new RegExp(`dist/${entry}\\.js$`), `${label}: daa-wasm resolves to dist/${entry}.js`);
    assert.equal(out.failures, [], `${label}:\n${out.failures.join('\n')}`);
    console.log(`  ${label}: ${out.checked} errors through daa-wasm, /decode, /worker (${Object.values(out.entries).map((e) => e.split('/dist/')[1]).join(', ')}): all instanceof daa-wasm's classes`);
  }
  // workerd (no Node here to run it): bundled as wrangler would, the three entries carry one DaaError class
  for (const conditions of [['workerd', 'worker', 'browser'], ['worker'], ['browser'], ['node']]) {
    const b = await bundle(project, ALL, conditions[0] === 'node' ? 'node' : 'neutral', conditions);
    const copies = (b.text.match(/\bDaaError = class extends Error|class DaaError extends Error/g) ?? []).length;
    assert.is(copies, 1, `conditions ${conditions.join(',')}: ${copies} copies of class DaaError in the bundle`);
  }
});

const CONSUMER = `
import { estimate, createEstimator, DaaError, ModelNotFoundError, type Estimate, type EstimatorOptions, type ImageInput, type DaaErrorCode, type ModelConfig } from 'daa-wasm';
import { decodeImage, type DecodedImage } from 'daa-wasm/decode';

export async function ageOf(bytes: Uint8Array): Promise<number> {
  const img: DecodedImage = await decodeImage(bytes);
  const input: ImageInput = img;
  const r: Estimate = await estimate(input, { interval: 5, crop: 'chip' });
  const first: number = r.perTemplate[0];
  return r.age + r.spread * 0 + first * 0;
}

export async function many(images: ImageInput[], model: Uint8Array): Promise<number[]> {
  const opts: EstimatorOptions = { model, precision: 'fp32', interval: 2, backend: 'simd', head: 'factorised', crop: 'chip' };
  const est = await createEstimator(opts);
  const cfg: ModelConfig = est.config;
  try {
    return images.map((im) => est.estimate(im).age + cfg.inputSize * 0);
  } catch (e) {
    if (e instanceof DaaError) {
      const c: DaaErrorCode = e.code;
      throw new Error(c);
    }
    throw e;
  } finally {
    est.dispose();
  }
}
// @ts-expect-error precision is 'fp32' | 'int8'
createEstimator({ precision: 'fp16' });
// @ts-expect-error an image needs width and height
estimate({ data: new Uint8Array(4) });
export const isNoModel = (e: unknown) => e instanceof ModelNotFoundError;
`;

const WORKER_CONSUMER = `
import { createWorkerEstimator, exposeEstimator, type WorkerEstimate } from 'daa-wasm/worker';
export async function page(file: File): Promise<number> {
  const est = await createWorkerEstimator(new Worker(new URL('daa-wasm/worker-script', import.meta.url), { type: 'module' }), { interval: 5 });
  const r: WorkerEstimate = await est.estimate(file);
  est.dispose();
  return r.age + r.ms * 0;
}
export const serve = () => exposeEstimator();
`;

test('types: a consumer type-checks with --strict against the packed .d.ts (DOM, and Node-only without DOM)', async () => {
  const { project } = await packed();
  writeFileSync(join(project, 'consumer.ts'), CONSUMER);
  writeFileSync(join(project, 'worker-consumer.ts'), WORKER_CONSUMER);
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const base = { noEmit: true, strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', skipLibCheck: false };
  // a browser project: DOM, no Node types
  writeFileSync(join(project, 'tsconfig.dom.json'), JSON.stringify({ compilerOptions: { ...base, lib: ['ES2022', 'DOM'], types: [] }, files: ['consumer.ts', 'worker-consumer.ts'] }));
  const dom = await run(process.execPath, [tsc, '-p', 'tsconfig.dom.json'], { cwd: project, timeoutMs: 90_000 });
  assert.is(dom.code, 0, `browser consumer:\n${dom.stdout}${dom.stderr}`);
  // the moduleResolution settings that work (README "Types"): TypeScript 5 (tsc) and 7 (tsgo, the native port)
  const tsgo = join(ROOT, 'node_modules/.bin/tsgo');
  const matrix: [string, string, string, string][] = [
    ['5', tsc, 'NodeNext', 'NodeNext'], ['5', tsc, 'Node16', 'Node16'], ['5', tsc, 'ESNext', 'Bundler'], ['5', tsc, 'ESNext', 'Node10'],
    ['7', tsgo, 'NodeNext', 'NodeNext'], ['7', tsgo, 'Node16', 'Node16'], ['7', tsgo, 'ESNext', 'Bundler'],
  ];
  const works: string[] = [];
  for (const [ver, bin, module, moduleResolution] of matrix) {
    const name = `tsconfig.ts${ver}-${moduleResolution}.json`;
    const extra = {};
    writeFileSync(join(project, name), JSON.stringify({ compilerOptions: { ...base, module, moduleResolution, ...extra, lib: ['ES2022', 'DOM'], types: [] }, files: ['consumer.ts', 'worker-consumer.ts'] }));
    const r = ver === '5' ? await run(process.execPath, [bin, '-p', name], { cwd: project, timeoutMs: 90_000 }) : await run(bin, ['-p', name], { cwd: project, timeoutMs: 90_000 });
    assert.is(r.code, 0, `TypeScript ${ver}, moduleResolution ${moduleResolution}:\n${r.stdout}${r.stderr}`);
    works.push(`TS ${ver} ${moduleResolution}`);
  }
  console.log(`  the packed types check with: ${works.join(', ')}`);
  // a Node project: no DOM lib, Node types only. TypeScript declares the WebAssembly namespace only in
  // its DOM/webworker libs (@types/node 20 has none), so such a project checks with skipLibCheck (the
  // tsc --init default); its own code is still checked strictly against our types.
  writeFileSync(join(project, 'tsconfig.node.json'), JSON.stringify({ compilerOptions: { ...base, skipLibCheck: true, lib: ['ES2022'], types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')] }, files: ['consumer.ts'] }));
  const nodeOnly = await run(process.execPath, [tsc, '-p', 'tsconfig.node.json'], { cwd: project, timeoutMs: 90_000 });
  assert.is(nodeOnly.code, 0, `node consumer:\n${nodeOnly.stdout}${nodeOnly.stderr}`);
});

test('types: no tfjs or Node types in the public .d.ts', async () => {
  const { pkgDir } = await packed();
  const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
  const dts = walk(join(pkgDir, 'dist/types')).filter((f) => f.endsWith('.d.ts'));
  assert.is(dts.length, 3, 'index, worker and decode declarations');
  for (const f of dts) {
    const t = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/(?!\/).*$/gm, '');
    const name = relative(pkgDir, f);
    assert.not.match(t, /@tensorflow|tfjs|from ['"]tf['"]/, `${name} mentions tfjs`);
    assert.not.match(t, /['"]node:|NodeJS\.|\bBuffer\b|reference types=["']node["']|from ['"](fs|path|url|util)['"]/, `${name} uses Node types`);
    assert.not.match(t, /from ['"]\.[^'"]*\.ts['"]/, `${name} imports a .ts path`);
    for (const m of t.matchAll(/from ['"](\.[^'"]+)['"]/g)) {
      const target = join(f, '..', m[1].replace(/\.js$/, '.d.ts'));
      assert.ok(existsSync(target), `${name} imports ${m[1]}, which is not shipped`);
    }
  }
});

test.run();
