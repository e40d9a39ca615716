/**
 * Shared by the runtime tests (test/runtimes/*.test.ts, which all run in one process): the packed
 * package installed into a fresh temp project (built once), the weight file (the installed default
 * model, else random weights through the reference model), the face image (a UTKFace test chip, else
 * a synthetic picture), the in-process Node reference age, bounded child processes and a static
 * server on 127.0.0.1. Everything is made once per test run and removed at exit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MODEL } from '../../src/generated/assets.ts';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const BIN = join(ROOT, 'node_modules/.bin');
export const OUT_DIR = join(ROOT, 'test/runtimes/out');
export const DATA_DIR = process.env.DAA_DATA ?? resolve(ROOT, '../shared/data/utkface');
export const HAS_DEFAULT_MODEL = !!DEFAULT_MODEL;

const TMP = mkdtempSync(join(tmpdir(), 'daa-wasm-runtimes-'));
process.on('exit', () => rmSync(TMP, { recursive: true, force: true }));
export const tmp = (name: string) => join(TMP, name);

export const once = <T>(f: () => Promise<T>): (() => Promise<T>) => {
  let p: Promise<T> | null = null;
  return () => (p ??= f());
};

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to its end, killed after timeoutMs (then code is null). Never throws on failure. */
export function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<RunResult> {
  return new Promise((done) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      stderr += String(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, ms: performance.now() - t0 });
    });
    // a child that exits before reading its stdin makes this write fail with EPIPE: that is not an
    // error of the test, the exit code and stderr say what happened
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

export function must(r: RunResult, what: string): RunResult {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-2000)}`);
  return r;
}

/** dist/ built from the current sources, packed with npm pack, installed into a fresh project. */
export const packed = once(async () => {
  must(await run(process.execPath, ['scripts/bundle.mjs', '--quiet'], { timeoutMs: 120_000 }), 'scripts/bundle.mjs');
  const packDir = tmp('pack');
  mkdirSync(packDir);
  must(await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', packDir], { timeoutMs: 60_000 }), 'npm pack');
  const tgz = join(packDir, readdirSync(packDir).find((f) => f.endsWith('.tgz'))!);
  const project = tmp('project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  must(
    await run('npm', ['install', tgz, '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: project, timeoutMs: 60_000 }),
    'npm install <tarball> --offline',
  );
  return { tgz, project, pkgDir: join(project, 'node_modules/daa-wasm') };
});

/**
 * The weight file the runtime tests use: null when a default model is installed (then every runtime
 * uses it), else random weights of the default architecture (He-scaled, deterministic), written with
 * the trainer's format writer to a temp file. No tfjs: these tests share the process with others.
 */
export const modelFile = once(async (): Promise<string | null> => {
  if (HAS_DEFAULT_MODEL) return null;
  const { DEFAULT_CONFIG, weightShapes } = await import('../../src/arch.ts');
  const { writeWeightFile } = await import('../../train/format-writer.ts');
  let a = 20261125;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const tensors = [...weightShapes(DEFAULT_CONFIG)].map(([name, shape]) => {
    const n = shape.reduce((x, y) => x * y, 1);
    const fanIn = shape.length > 1 ? n / shape[shape.length - 1] : 1;
    const scale = shape.length > 1 ? Math.sqrt(2 / fanIn) : 0.05;
    return { name, dtype: 'f32' as const, shape, data: Float32Array.from({ length: n }, () => normal() * scale) };
  });
  const file = tmp('random.fp32.daaw');
  writeFileSync(file, writeWeightFile(DEFAULT_CONFIG, 'fp32', tensors, { note: 'random weights for the runtime tests' }));
  return file;
});

export interface Face {
  file: string;
  /** true: a UTKFace test chip; false: a synthetic picture (the data is absent) */
  real: boolean;
  label: string;
}

/** The first n UTKFace test chips (JPEG files) with their labelled ages; [] when the data is absent. */
export function testChips(n: number): { file: string; name: string; age: string }[] {
  const csv = join(DATA_DIR, 'labels.csv');
  if (!existsSync(csv)) return [];
  const dir = existsSync(join(DATA_DIR, 'images')) ? join(DATA_DIR, 'images') : DATA_DIR;
  const rows = readFileSync(csv, 'utf8').split('\n').filter((l) => /,test\s*$/.test(l)).slice(0, n);
  return rows.map((row) => row.split(',')).map(([name, age]) => ({ file: join(dir, name), name, age })).filter((c) => existsSync(c.file));
}

/** The first UTKFace test chip (a JPEG), or a synthetic 200x200 PNG when the data is absent. */
export const face = once(async (): Promise<Face> => {
  const [chip] = testChips(1);
  if (chip) return { file: chip.file, real: true, label: `UTKFace test chip ${chip.name} (labelled age ${chip.age})` };
  const file = tmp('synthetic-face.png');
  writeFileSync(file, await encodePng(syntheticRgba(200, 200), 200, 200));
  return { file, real: false, label: 'synthetic 200x200 picture' };
});

export function realFaceNote(f: Face): void {
  if (!f.real) console.log(`  (UTKFace data absent at ${DATA_DIR}: the real-face checks run on a synthetic picture instead)`);
}

/** A smooth synthetic picture: a face-coloured ellipse on a gradient. */
export function syntheticRgba(w: number, h: number): Uint8Array {
  const d = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      const inFace = ((x - w / 2) / (w * 0.3)) ** 2 + ((y - h / 2) / (h * 0.4)) ** 2 < 1;
      d[i] = inFace ? 205 : (x * 255) / w;
      d[i + 1] = inFace ? 160 + ((x * y) % 20) : (y * 255) / h;
      d[i + 2] = inFace ? 130 : 90;
      d[i + 3] = 255;
    }
  return d;
}

// pngjs ships no type declarations; type the part used here.
const { PNG } = createRequire(import.meta.url)('pngjs') as {
  PNG: {
    sync: {
      write(png: { width: number; height: number; data: Uint8Array }, opts?: Record<string, unknown>): Uint8Array;
      read(b: Uint8Array): { width: number; height: number; data: Uint8Array };
    };
  };
};

/** PNG bytes of an RGBA picture (pngjs; `opts` e.g. { colorType: 2 } for RGB, { interlace: true }). */
export async function encodePng(rgba: Uint8Array, width: number, height: number, opts: Record<string, unknown> = {}): Promise<Uint8Array> {
  return new Uint8Array(PNG.sync.write({ width, height, data: Buffer.from(rgba) }, opts));
}

export const readPng = (b: Uint8Array) => PNG.sync.read(Buffer.from(b));

/** Reference: the age of `file` in this process, from the sources, with the same model. */
export async function nodeReference(file: string): Promise<{ age: number; spread: number; width: number; height: number; rgba: Uint8Array }> {
  const { createEstimator } = await import('../../src/index.ts');
  const { decodeImage } = await import('../../src/platform/decode.ts');
  const model = await modelFile();
  const est = await createEstimator({ crop: 'chip', ...(model ? { model } : {}) });
  const img = await decodeImage(new Uint8Array(readFileSync(file)));
  const r = est.estimate(img);
  est.dispose();
  return { age: r.age, spread: r.spread, width: img.width, height: img.height, rgba: img.data };
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.daaw': 'application/octet-stream',
  '.rgba': 'application/octet-stream',
};

export interface Served {
  url: string;
  close(): Promise<void>;
}

/**
 * Static files on 127.0.0.1 (random port): `mounts` maps a URL prefix ('/dist/') to a folder, `files`
 * maps exact paths to bytes or files. Anything else is 404. Closes itself after maxMs.
 */
export async function serve(opts: { mounts?: Record<string, string>; files?: Record<string, string | Uint8Array>; maxMs?: number }): Promise<Served> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const send = (body: Uint8Array | string, type: string, status = 200) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const exact = opts.files?.[path];
    if (exact !== undefined) return send(typeof exact === 'string' ? readFileSync(exact) : exact, MIME[extname(path)] ?? 'application/octet-stream');
    for (const [prefix, dir] of Object.entries(opts.mounts ?? {})) {
      if (!path.startsWith(prefix)) continue;
      const file = normalize(join(dir, path.slice(prefix.length) || 'index.html'));
      if (!file.startsWith(normalize(dir) + sep) && file !== normalize(dir)) break;
      if (existsSync(file) && !file.endsWith(sep)) {
        try {
          return send(readFileSync(file), MIME[extname(file)] ?? 'application/octet-stream');
        } catch {
          break;
        }
      }
    }
    send('not found', 'text/plain', 404);
  };
  const server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const timer = setTimeout(() => server.close(), opts.maxMs ?? 120_000);
  timer.unref();
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Same-age bar between runtimes: the same pixels through the same wasm give the same f32 results. */
export const SAME_AGE = 1e-4;

export function versionOf(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return (r.stdout || r.stderr || '').split('\n')[0].trim();
}

/** An APP1 Exif segment holding one IFD entry: Orientation (0x0112) = v. */
export function exifSegment(v: number, littleEndian = true): Uint8Array {
  const u16 = (n: number) => (littleEndian ? [n & 255, n >> 8] : [n >> 8, n & 255]);
  const u32 = (n: number) => (littleEndian ? [...u16(n & 0xffff), ...u16(n >>> 16)] : [...u16(n >>> 16), ...u16(n & 0xffff)]);
  const tiff = [...(littleEndian ? [0x49, 0x49] : [0x4d, 0x4d]), ...u16(42), ...u32(8), ...u16(1), ...u16(0x0112), ...u16(3), ...u32(1), ...u16(v), 0, 0, ...u32(0)];
  const app1 = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  return new Uint8Array([0xff, 0xe1, (app1.length + 2) >> 8, (app1.length + 2) & 255, ...app1]);
}

/** RGBA picture operations, written out one by one (independent of src/platform/decode.ts's table). */
type Pic = { data: Uint8Array; width: number; height: number };
const remap = (p: Pic, w: number, h: number, from: (x: number, y: number) => [number, number]): Pic => {
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [sx, sy] = from(x, y);
      out.set(p.data.subarray((sy * p.width + sx) * 4, (sy * p.width + sx) * 4 + 4), (y * w + x) * 4);
    }
  return { data: out, width: w, height: h };
};
/** clockwise quarter turn: the left column becomes the top row */
const rotCW = (p: Pic) => remap(p, p.height, p.width, (x, y) => [y, p.height - 1 - x]);
const rotCCW = (p: Pic) => remap(p, p.height, p.width, (x, y) => [p.width - 1 - y, x]);
const mirror = (p: Pic) => remap(p, p.width, p.height, (x, y) => [p.width - 1 - x, y]);
const flip = (p: Pic) => remap(p, p.width, p.height, (x, y) => [x, p.height - 1 - y]);
/**
 * How a camera stores an upright picture for each EXIF orientation: the inverse of what a viewer does
 * to show it (EXIF 2.32 / exiftool: 2 mirror, 3 rotate 180, 4 flip, 5 mirror + rotate 270 CW,
 * 6 rotate 90 CW, 7 mirror + rotate 90 CW, 8 rotate 270 CW).
 */
export const STORE_FOR_ORIENTATION: Record<number, (p: Pic) => Pic> = {
  1: (p) => p,
  2: mirror,
  3: (p) => rotCW(rotCW(p)),
  4: flip,
  5: (p) => mirror(rotCW(p)), // shown as rotate-270-CW(mirror(stored))
  6: rotCCW, // shown as rotate-90-CW(stored)
  7: (p) => mirror(rotCCW(p)), // shown as rotate-90-CW(mirror(stored))
  8: rotCW, // shown as rotate-270-CW(stored)
};

/** What a viewer does to the stored pixels to show them upright: the inverse of STORE_FOR_ORIENTATION
 * (2, 3, 4, 5 (transpose) and 7 (transverse) are their own inverses). */
export const SHOW_FOR_ORIENTATION: Record<number, (p: Pic) => Pic> = { ...STORE_FOR_ORIENTATION, 6: rotCW, 8: rotCCW };

/**
 * The face as eight JPEG files (quality 100, jpeg-js), one per EXIF orientation: the pixels stored
 * rotated / mirrored as a camera would and the matching Orientation tag, so that each shows the same
 * upright face. A PNG face (no data) is decoded first.
 */
export async function orientedJpegs(file: string): Promise<{ orientation: number; bytes: Uint8Array }[]> {
  const { decodeImage } = await import('../../src/platform/decode.ts');
  const jpeg = createRequire(import.meta.url)('jpeg-js') as { encode(img: Pic, q: number): { data: Uint8Array } };
  const upright = await decodeImage(new Uint8Array(readFileSync(file)));
  const out = [];
  for (let o = 1; o <= 8; o++) {
    const stored = STORE_FOR_ORIENTATION[o](upright);
    const enc = new Uint8Array(jpeg.encode(stored, 100).data);
    const exif = exifSegment(o, o % 2 === 0);
    const bytes = new Uint8Array(enc.length + exif.length);
    bytes.set(enc.subarray(0, 2));
    bytes.set(exif, 2);
    bytes.set(enc.subarray(2), 2 + exif.length);
    out.push({ orientation: o, bytes });
  }
  return out;
}

/**
 * The face as eight PNG files, one per EXIF orientation: the pixels stored as a camera would and an
 * eXIf chunk (the TIFF structure of exifSegment) right after IHDR, before the image data, where
 * browsers read it. Lossless: each decodes to exactly the upright face.
 */
export async function orientedPngs(file: string): Promise<{ orientation: number; bytes: Uint8Array }[]> {
  const { decodeImage } = await import('../../src/platform/decode.ts');
  const { pngChunk } = await import('../reliability/image-mutate.ts');
  const upright = await decodeImage(new Uint8Array(readFileSync(file)));
  const out = [];
  for (let o = 1; o <= 8; o++) {
    const stored = STORE_FOR_ORIENTATION[o](upright);
    const png = await encodePng(stored.data, stored.width, stored.height);
    const exif = pngChunk('eXIf', exifSegment(o, o % 2 === 0).subarray(10)); // without FF E1, the length and "Exif\0\0"
    const ihdrEnd = 8 + 25;
    const bytes = new Uint8Array(png.length + exif.length);
    bytes.set(png.subarray(0, ihdrEnd));
    bytes.set(exif, ihdrEnd);
    bytes.set(png.subarray(ihdrEnd), ihdrEnd + exif.length);
    out.push({ orientation: o, bytes });
  }
  return out;
}

/**
 * The example edge worker (examples/worker/worker.js) from the installed tarball, bundled by its
 * build.mjs into tmp(`dirName`), with the test model bound as MODEL when there is one, and a workerd
 * config.capnp serving it on a free loopback port. Start it with `workerd serve config.capnp` in
 * `bundleDir`.
 */
export async function exampleWorkerBundle(dirName: string): Promise<{ bundleDir: string; port: number }> {
  const { project } = await packed();
  const bundleDir = tmp(dirName);
  copyFileSync(join(ROOT, 'examples/worker/worker.js'), join(project, 'worker.js'));
  must(await run(process.execPath, [join(ROOT, 'examples/worker/build.mjs'), bundleDir, join(project, 'worker.js')], { cwd: project, timeoutMs: 60_000 }), 'examples/worker/build.mjs');
  const model = await modelFile();
  if (model) copyFileSync(model, join(bundleDir, 'model.daaw'));
  const port = await freePort();
  writeFileSync(
    join(bundleDir, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "age", worker = .w) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "age") ],
);
const w :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "daa.simd.wasm", wasm = embed "daa.simd.wasm"),
  ],
  bindings = [ ${model ? '(name = "MODEL", data = embed "model.daaw")' : ''} ],
  compatibilityDate = "2025-06-01",
);
`,
  );
  return { bundleDir, port };
}
