/**
 * The package as users get it: the npm pack tarball (contents, offline install), the exports map per
 * runtime condition, no Node built-in reachable from the browser/edge entries (bundled as a user's
 * bundler would), and the public types: a consumer type-checks with --strict against the packed
 * .d.ts, and no tfjs or Node types leak into them.
 */
import { build } from 'esbuild';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { must, packed, run, ROOT } from './util.ts';

test('tarball: built JS, types and wasm; no sources, tests, training code or build dir', async () => {
  const { tgz, pkgDir } = await packed();
  const r = must(await run('tar', ['tzf', tgz]), 'tar tzf');
  const files = r.stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
  for (const f of ['package.json', 'README.md', 'dist/node.js', 'dist/browser.js', 'dist/worker.js', 'dist/worker-script.js', 'dist/decode.js', 'dist/workerd.js', 'dist/cli.js', 'dist/daa.simd.wasm', 'dist/daa.scalar.wasm', 'dist/types/index.d.ts', 'dist/types/worker.d.ts', 'dist/types/platform/decode.d.ts'])
    assert.ok(files.includes(f), `${f} missing from the tarball`);
  for (const f of files) assert.not.match(f, /^(src|train|test|bench|build|assembly|scripts|examples)\//, `${f} should not be shipped`);
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  assert.is(pkg.dependencies, undefined, 'no runtime dependencies');
  assert.ok(statSync(join(pkgDir, 'dist/cli.js')).mode & 0o111, 'the CLI is executable');
  assert.ok(readFileSync(join(pkgDir, 'dist/cli.js'), 'utf8').startsWith('#!/usr/bin/env node'));
  console.log(`  tarball ${(statSync(tgz).size / 1024).toFixed(1)} KiB, ${files.length} files`);
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

test('exports map resolves per runtime: node and bun get dist/node.js, deno too', async () => {
  const { project } = await packed();
  const script = "console.log(import.meta.resolve('daa-wasm'), import.meta.resolve('daa-wasm/worker'), import.meta.resolve('daa-wasm/daa.simd.wasm'))";
  writeFileSync(join(project, 'resolve.mjs'), script);
  const node = must(await run(process.execPath, ['resolve.mjs'], { cwd: project, timeoutMs: 30_000 }), 'node resolve');
  assert.match(node.stdout, /daa-wasm\/dist\/node\.js .*dist\/worker\.js .*dist\/daa\.simd\.wasm/);
  const bun = must(await run(join(ROOT, 'node_modules/.bin/bun'), ['resolve.mjs'], { cwd: project, timeoutMs: 30_000 }), 'bun resolve');
  assert.match(bun.stdout, /daa-wasm\/dist\/node\.js/);
  const deno = must(await run(join(ROOT, 'node_modules/.bin/deno'), ['run', '--quiet', '--allow-read', '--allow-env', 'resolve.mjs'], { cwd: project, timeoutMs: 30_000 }), 'deno resolve');
  assert.match(deno.stdout, /daa-wasm\/dist\/node\.js/);
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
  assert.ok(dts.length > 5);
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
