/**
 * The `daa-wasm` command as installed from the tarball (node_modules/.bin/daa-wasm): JSON lines on
 * stdout, clear messages for bad files while the rest still run (exit 1), the progress bar only when
 * asked (stderr is not a TTY here), --interval / --precision / --model.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeImage } from '../../src/platform/decode.ts';
import { encodePng, face, HAS_DEFAULT_MODEL, modelFile, nodeReference, packed, run } from './util.ts';

async function setup() {
  const { project } = await packed();
  const f = await face();
  const model = await modelFile();
  const jpg = join(project, f.file.endsWith('.png') ? 'face.png' : 'face.jpg');
  copyFileSync(f.file, jpg);
  // the same pixels as a PNG: PNG is lossless, so the age must be the same
  const img = await decodeImage(new Uint8Array(readFileSync(f.file)));
  const png = join(project, 'face-copy.png');
  writeFileSync(png, await encodePng(img.data, img.width, img.height, { colorType: 2 }));
  writeFileSync(join(project, 'notes.txt'), 'not an image');
  writeFileSync(join(project, 'broken.jpg'), new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
  const bin = join(project, 'node_modules/.bin/daa-wasm');
  const modelArgs = [...(model ? ['--model', model] : []), '--crop', 'chip'];
  return { project, f, jpg, png, bin, modelArgs, ref: await nodeReference(f.file) };
}

test('estimates JPEG and PNG files: one JSON line each, the same age as the API', async () => {
  const { project, jpg, png, bin, modelArgs, ref } = await setup();
  const r = await run(bin, [...modelArgs, jpg, png], { cwd: project, timeoutMs: 60_000 });
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.is(lines.length, 2);
  assert.equal(Object.keys(lines[0]), ['file', 'age', 'spread']);
  assert.is(lines[0].file, jpg);
  for (const l of lines) {
    assert.is(l.age, +ref.age.toFixed(2));
    assert.is(l.spread, +ref.spread.toFixed(2));
  }
  assert.not.match(r.stderr, /\[#/, 'no progress bar when stderr is not a TTY');
  console.log(`  cli: ${JSON.stringify(lines[0])} in ${r.ms.toFixed(0)} ms (process start to exit, 2 files)`);
});

test('a bad file gets a message on stderr, the rest still run, exit code 1; --progress draws the bar', async () => {
  const { project, jpg, bin, modelArgs } = await setup();
  const r = await run(bin, [...modelArgs, '--progress', 'missing.jpg', jpg, 'notes.txt', 'broken.jpg', jpg], { cwd: project, timeoutMs: 60_000 });
  assert.is(r.code, 1);
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.length, 2, r.stdout);
  assert.match(r.stderr, /daa-wasm: missing\.jpg: no such file/);
  assert.match(r.stderr, /daa-wasm: notes\.txt: not a JPEG or PNG file/);
  assert.match(r.stderr, /daa-wasm: broken\.jpg: JPEG decode failed/);
  assert.match(r.stderr, /\[#+-*\] 5\/5 3 failed/);
  assert.match(r.stderr, /3 of 5 file\(s\) failed/);
});

test('--interval, --precision, a folder argument, --help, --version, bad options', async () => {
  const { project, jpg, bin, modelArgs, ref } = await setup();
  const k = await run(bin, [...modelArgs, '--interval', '10', jpg], { cwd: project, timeoutMs: 60_000 });
  assert.is(k.code, 0, k.stderr);
  const age10 = JSON.parse(k.stdout).age;
  assert.ok(Number.isFinite(age10));
  assert.ok(Math.abs(age10 - ref.age) > 1e-3 || ref.spread < 1e-3, 'interval 10 uses 10 of the 100 templates');
  mkdirSync(join(project, 'photos'), { recursive: true });
  for (const n of ['b.jpg', 'a.JPG']) copyFileSync(jpg, join(project, 'photos', n));
  writeFileSync(join(project, 'photos/readme.txt'), 'skipped');
  const dir = await run(bin, [...modelArgs, 'photos'], { cwd: project, timeoutMs: 60_000 });
  assert.is(dir.code, 0, dir.stderr);
  assert.equal(dir.stdout.trim().split('\n').map((l) => JSON.parse(l).file), [join('photos', 'a.JPG'), join('photos', 'b.jpg')], 'a folder gives its JPEG/PNG files, sorted');
  if (modelArgs.includes('--model')) {
    const p = await run(bin, [...modelArgs, '--precision', 'int8', jpg], { cwd: project, timeoutMs: 60_000 });
    assert.is(p.code, 2);
    assert.match(p.stderr, /precision 'int8' requested but the weight file holds fp32/);
  }
  const bad = await run(bin, [...modelArgs, '--interval', '0', jpg], { cwd: project, timeoutMs: 60_000 });
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /interval must be an integer in 1\.\.100/);
  const unknown = await run(bin, ['--frobnicate', jpg], { cwd: project, timeoutMs: 30_000 });
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown option '--frobnicate'/);
  const help = await run(bin, ['--help'], { cwd: project, timeoutMs: 30_000 });
  assert.is(help.code, 0);
  assert.match(help.stdout, /usage: daa-wasm/);
  const v = await run(bin, ['--version'], { cwd: project, timeoutMs: 30_000 });
  assert.is(v.stdout.trim(), JSON.parse(readFileSync('package.json', 'utf8')).version);
});

test('default mode: every face of a photo, one line each with its box; --annotate writes the PNG', async () => {
  const { project, bin, f } = await setup();
  const { background, pasteChip } = await import('../../train/canvas.ts');
  const face = await decodeImage(new Uint8Array(readFileSync(f.file)));
  const rgb = new Uint8Array(face.width * face.height * 3);
  for (let i = 0; i < face.width * face.height; i++) rgb.set(face.data.subarray(4 * i, 4 * i + 3), 3 * i);
  const W = 480, H = 360;
  const canvas = background('gradient', W, H, 5);
  pasteChip(canvas, W, H, rgb, face.width, { cx: 300, cy: 170, size: 160, angle: 10 });
  const photo = join(project, 'photo.png');
  const rgba = new Uint8Array(W * H * 4).fill(255);
  for (let i = 0; i < W * H; i++) rgba.set(canvas.subarray(3 * i, 3 * i + 3), 4 * i);
  writeFileSync(photo, await encodePng(rgba, W, H, { colorType: 2 }));
  const out = join(project, 'annotated.png');
  const r = await run(bin, [photo, '--annotate', out], { cwd: project, timeoutMs: 60_000 });
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  if (f.real) {
    assert.is(lines.length, 1, r.stdout);
    assert.equal(Object.keys(lines[0]), ['file', 'face', 'box', 'score', 'age', 'spread']);
    const [x, y, w, h] = lines[0].box;
    assert.ok(Math.abs(x + w / 2 - 300) < 40 && Math.abs(y + h / 2 - 170) < 40, `box ${lines[0].box}`);
  }
  const png = readFileSync(out);
  assert.equal([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  const back = await decodeImage(new Uint8Array(png));
  assert.is(back.width, W);
  console.log(`  cli photo: ${r.stdout.trim()} [${f.label}]`);
});

test('no model: a clear message and exit code 2 (or the default model estimates)', async () => {
  const { project, jpg, bin } = await setup();
  const r = await run(bin, [jpg], { cwd: project, timeoutMs: 60_000 });
  if (HAS_DEFAULT_MODEL) assert.is(r.code, 0, r.stderr);
  else {
    assert.is(r.code, 2);
    assert.match(r.stderr, /cannot load the model: no trained model is installed/);
  }
});

test.run();
