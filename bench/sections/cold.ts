/**
 * (5) Cold start in a fresh child process (the package bundled with esbuild, as an app would ship
 * it: import, createEstimator from a weight file path = read + parse + compile the embedded wasm +
 * instantiate + place the weights, first estimate), sizes of the wasm binaries and the weight files
 * (raw and gzip -9 via node:zlib), and the wasm linear memory each estimator holds.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { summarize, fmt, mdTable, type Summary } from '../lib/stats.ts';
import { r, type Ctx, type SectionResult } from './context.ts';

const gz = (b: Uint8Array) => gzipSync(b, { level: 9 }).length;
const kib = (n: number) => (n / 1024).toFixed(1);

export async function benchCold(ctx: Ctx, estimators: Array<{ model: string; precision: string; backend: string; memoryBytes: number }>): Promise<SectionResult> {
  const dir = mkdtempSync(join(tmpdir(), 'daa-bench-'));
  try {
    // bundle the package once (esbuild, ESM, node platform)
    const esbuild = await import('esbuild');
    const bundle = join(dir, 'daa.bundle.mjs');
    await esbuild.build({ entryPoints: [resolve('src/index.ts')], bundle: true, format: 'esm', platform: 'node', outfile: bundle, logLevel: 'silent', minify: true });
    const bundleBytes = readFileSync(bundle);
    const files: Array<{ key: string; model: string; precision: string; path: string; bytes: Uint8Array }> = [];
    for (const m of [ctx.models.c3ae, ctx.models.resnet18])
      for (const p of ['fp32', 'int8'] as const) {
        const path = join(dir, `${m.key}.${p}.daaw`);
        writeFileSync(path, m.files[p]);
        files.push({ key: `${m.key} ${p}`, model: m.label, precision: p, path, bytes: m.files[p] });
      }
    const runs = r(ctx.quick, 5, 1);
    const samples = new Map<string, Array<Record<string, number>>>();
    const wall = new Map<string, number[]>();
    ctx.log(`cold: ${files.length} weight files x ${runs} fresh processes`);
    for (let i = 0; i < runs; i++)
      for (const f of files) {
        const t0 = performance.now();
        const out = execFileSync(process.execPath, [resolve('bench/cold-child.mjs'), bundle, f.path, 'default'], { encoding: 'utf8' });
        const w = performance.now() - t0;
        const j = JSON.parse(out.trim().split('\n').pop()!);
        (samples.get(f.key) ?? samples.set(f.key, []).get(f.key)!).push(j);
        (wall.get(f.key) ?? wall.set(f.key, []).get(f.key)!).push(w);
      }
    const coldRows = files.map((f) => {
      const s = samples.get(f.key)!;
      const pick = (fn: (x: Record<string, number>) => number) => summarize(s.map(fn));
      return {
        model: f.model,
        precision: f.precision,
        backend: String((s[0] as unknown as { backend: string }).backend),
        import: pick((x) => x.imported - x.scriptStart),
        create: pick((x) => x.created - x.imported),
        first: pick((x) => x.first - x.created),
        coldToFirst: pick((x) => x.first - x.imported),
        second: pick((x) => x.second - x.first),
        processWall: summarize(wall.get(f.key)!),
      };
    });
    const ms = (s: Summary) => `${fmt(s.median, 1)} (${fmt(s.p10, 1)}–${fmt(s.p90, 1)})`;
    const coldMd = mdTable(
      ['model', 'file', 'build', 'import bundle ms', 'createEstimator ms', 'first estimate ms', 'create + first ms', 'second estimate ms', 'whole process ms'],
      coldRows.map((x) => [x.model, x.precision, x.backend, ms(x.import), ms(x.create), ms(x.first), ms(x.coldToFirst), ms(x.second), ms(x.processWall)]),
    );
    // sizes
    const wasmRows: Array<[string, number, number]> = [];
    for (const b of ['simd', 'relaxed', 'scalar']) {
      const p = `build/daa.${b}.wasm`;
      if (!existsSync(p)) continue;
      const bytes = readFileSync(p);
      wasmRows.push([p, bytes.length, gz(bytes)]);
    }
    wasmRows.push(['the esbuild bundle of src/index.ts (JS + base64 wasm builds, minified)', bundleBytes.length, gz(bundleBytes)]);
    const weightRows = files.map((f) => [f.model, f.precision, f.bytes.length, gz(f.bytes)] as const);
    const sizeMd = [
      mdTable(['artifact', 'bytes', 'KiB', 'gzip -9 KiB'], wasmRows.map(([n, a, b]) => [n, a, kib(a), kib(b)])),
      '',
      mdTable(['weight file (random weights)', 'precision', 'bytes', 'MiB', 'gzip -9 MiB'], weightRows.map(([m, p, a, b]) => [m, p, a, (a / 2 ** 20).toFixed(2), (b / 2 ** 20).toFixed(2)])),
      '',
      'Random weights compress worse than trained ones would (gzip finds little structure in either fp32 file).',
    ].join('\n');
    const memMd = mdTable(
      ['model', 'file', 'build', 'linear memory MiB (est.memoryBytes() after estimates)'],
      estimators.map((e) => [e.model, e.precision, e.backend, (e.memoryBytes / 2 ** 20).toFixed(1)]),
    );
    return {
      key: 'cold',
      title: '5. Cold start, sizes, memory',
      md: [
        `Fresh \`node\` process per sample (${runs} per file, interleaved), default backend choice, package bundled by esbuild; times from the child's own clock. "create + first" is the cold start: read the weight file, parse it, compile the embedded wasm, instantiate, place weights (pack them for the kernels), first estimate. The int8 files carry their activation scales, as shipped files do, so loading one does not calibrate.`,
        '',
        coldMd,
        '',
        sizeMd,
        '',
        memMd,
      ].join('\n'),
      json: { coldRows, wasm: wasmRows, weights: weightRows, memory: estimators },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
