/**
 * The `daa-wasm` command as installed from the tarball (node_modules/.bin/daa-wasm): JSON lines on
 * stdout, clear messages for bad files while the rest still run (exit 1), the progress bar only when
 * asked (stderr is not a TTY here), --interval / --precision / --model; folders on worker threads
 * (--jobs: the same bytes as in one thread), --format csv, --out and --resume after a killed run.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeImage } from '../../src/platform/decode.ts';
import { scanRecords } from '../../src/cli-records.ts';
import { parseCsvRecord } from '../../src/csv.ts';
import { encodePng, face, HAS_DEFAULT_MODEL, modelFile, nodeReference, packed, run, syntheticRgba, testChips } from './util.ts';

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
  const fl = await run(bin, [...modelArgs, '--flip', jpg], { cwd: project, timeoutMs: 60_000 });
  assert.is(fl.code, 0, fl.stderr);
  const ageFlip = JSON.parse(fl.stdout).age;
  assert.ok(Number.isFinite(ageFlip) && Math.abs(ageFlip - ref.age) < 15, `--flip reads ${ageFlip} (unflipped ${ref.age})`);
  if (!modelArgs.includes('--model')) assert.ok(ageFlip !== +ref.age.toFixed(2), '--flip averages in the mirror image (the shipped model)');
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

test('a real photo (test/fixtures/photos/astronaut.jpg): its face; --annotate out.jpg writes a JPEG, out.gif is an option error', async () => {
  const { project, bin } = await setup();
  const photo = join(process.cwd(), 'test/fixtures/photos/astronaut.jpg');
  const out = join(project, 'annotated.jpg');
  const r = await run(bin, ['--jobs', '1', photo, '--annotate', out], { cwd: project, timeoutMs: 60_000 });
  assert.is(r.code, 0, r.stderr);
  if (HAS_DEFAULT_MODEL) {
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.is(lines.length, 1, r.stdout);
    // the face is around (224, 124) in this 512 x 512 photo (face-api's detectors agree: bench/results/photos.md)
    const [x, y, w, h] = lines[0].box;
    assert.ok(Math.abs(x + w / 2 - 224) < 20 && Math.abs(y + h / 2 - 124) < 20, `box ${lines[0].box}`);
  }
  const jpg = readFileSync(out);
  assert.equal([...jpg.subarray(0, 3)], [0xff, 0xd8, 0xff]);
  const back = await decodeImage(new Uint8Array(jpg));
  assert.equal([back.width, back.height], [512, 512]);
  const bad = await run(bin, [photo, '--annotate', join(project, 'annotated.gif')], { cwd: project, timeoutMs: 60_000 });
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--annotate writes PNG or JPEG/);
  assert.not.ok(existsSync(join(project, 'annotated.gif')));
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

/**
 * A folder for the batch tests: faces (UTKFace test chips, else synthetic pictures of several sizes),
 * three of them under names with a comma, quotes and a line break; a photo with two faces pasted in,
 * one with one face, one without any; a broken JPEG. Made once.
 */
async function batchFolder(project: string): Promise<{ dir: string; real: boolean }> {
  const dir = join(project, 'batch');
  const chips = testChips(6);
  const real = chips.length === 6;
  if (existsSync(dir)) return { dir, real };
  mkdirSync(dir);
  const names = ['chip-1', 'chip-2', 'chip-3', 'comma, chip', 'quote "q" chip', 'line\nbreak chip'];
  const faces: { rgb: Uint8Array; side: number }[] = [];
  for (let i = 0; i < names.length; i++) {
    let bytes: Uint8Array;
    if (real) bytes = new Uint8Array(readFileSync(chips[i].file));
    else {
      const side = 120 + 16 * i;
      bytes = await encodePng(syntheticRgba(side, side), side, side);
    }
    writeFileSync(join(dir, `${names[i]}${real ? '.jpg' : '.png'}`), bytes);
    const img = await decodeImage(bytes);
    const rgb = new Uint8Array(img.width * img.height * 3);
    for (let p = 0; p < img.width * img.height; p++) rgb.set(img.data.subarray(4 * p, 4 * p + 3), 3 * p);
    faces.push({ rgb, side: img.width });
  }
  const { background, pasteChip } = await import('../../train/canvas.ts');
  const W = 640, H = 360;
  for (const [name, placed] of [['photo-0 none', []], ['photo-1 one', [0]], ['photo-2 two', [1, 2]]] as const) {
    const canvas = background('gradient', W, H, name.length);
    placed.forEach((k, j) => pasteChip(canvas, W, H, faces[k].rgb, faces[k].side, { cx: 170 + 300 * j, cy: 180, size: 150, angle: 5 * j }));
    const rgba = new Uint8Array(W * H * 4).fill(255);
    for (let p = 0; p < W * H; p++) rgba.set(canvas.subarray(3 * p, 3 * p + 3), 4 * p);
    writeFileSync(join(dir, `${name}.png`), await encodePng(rgba, W, H, { colorType: 2 }));
  }
  writeFileSync(join(dir, 'broken.jpg'), new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
  return { dir, real };
}

/** The records of a CSV file, each split into its fields (src/cli-records.ts reads them for --resume). */
function csvRecords(file: string): string[][] {
  const out: string[][] = [];
  scanRecords(file, 'csv', (bytes) => out.push(parseCsvRecord(bytes.toString('utf8'))));
  return out;
}

const messages = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('daa-wasm:'));

test('--jobs 2 writes the same bytes as --jobs 1, in input order (faces, chips, a broken file among them)', async () => {
  const { project, bin, modelArgs } = await setup();
  const { dir } = await batchFolder(project);
  const model = modelArgs.filter((a) => a !== '--crop' && a !== 'chip');
  for (const mode of [[], ['--crop', 'chip']]) {
    const [one, two] = [await run(bin, [...model, ...mode, '--jobs', '1', dir], { cwd: project, timeoutMs: 90_000 }), await run(bin, [...model, ...mode, '--jobs', '2', dir], { cwd: project, timeoutMs: 90_000 })];
    assert.is(one.code, 1, one.stderr);
    assert.is(two.code, 1, two.stderr);
    assert.is(two.stdout, one.stdout, `${mode.join(' ') || 'faces'}: --jobs 2 gives other bytes than --jobs 1`);
    assert.equal(messages(two.stderr), messages(one.stderr));
    assert.match(one.stderr, /broken\.jpg: JPEG decode failed/);
    assert.match(one.stderr, /1 of 10 file\(s\) failed/);
    const files = [...new Set(one.stdout.trim().split('\n').map((l) => JSON.parse(l).file))];
    assert.equal(files, files.slice().sort(), 'input order: the folder sorted');
    assert.is(files.length, 9, 'every image but the broken one');
    console.log(`  cli ${mode.join(' ') || 'faces'}, 10 files: --jobs 1 ${one.ms.toFixed(0)} ms, --jobs 2 ${two.ms.toFixed(0)} ms (process start to exit; 2 shared cores)`);
  }
});

test('--format csv: a header, quoted names (comma, quotes, line break), the values of the JSON lines; a photo without a face is one row with the face columns empty', async () => {
  const { project, bin, modelArgs } = await setup();
  const { dir } = await batchFolder(project);
  const model = modelArgs.filter((a) => a !== '--crop' && a !== 'chip');
  for (const [mode, header] of [[[], 'file,face,x,y,width,height,score,age,spread'], [['--crop', 'chip'], 'file,age,spread']] as const) {
    const json = await run(bin, [...model, ...mode, dir], { cwd: project, timeoutMs: 90_000 });
    const out = join(project, `batch${mode.length ? '-chip' : ''}.csv`);
    const csv = await run(bin, [...model, ...mode, '--format', 'csv', '--out', out, dir], { cwd: project, timeoutMs: 90_000 });
    assert.is(csv.code, 1, csv.stderr);
    assert.is(csv.stdout, '', 'with --out nothing goes to stdout');
    const text = readFileSync(out, 'utf8');
    assert.ok(text.startsWith(header + '\n'), text.slice(0, 80));
    for (const name of ['comma, chip', 'quote "q" chip', 'line\nbreak chip']) {
      const field = `"${join(dir, name).replace(/"/g, '""')}.`;
      assert.ok(text.includes(`\n${field}`), `${JSON.stringify(field)}: quoted as RFC 4180 says`);
    }
    const rows = csvRecords(out);
    assert.equal(rows[0], header.split(','));
    const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.is(rows.length - 1, lines.length, 'one CSV row per JSON line');
    lines.forEach((l, i) => {
      const row = rows[i + 1];
      const want = mode.length ? [l.file, l.age, l.spread] : l.faces === 0 ? [l.file, '', '', '', '', '', '', '', ''] : [l.file, l.face, ...l.box, l.score, l.age, l.spread];
      assert.equal(row, want.map(String), `row ${i + 1}`);
    });
    if (!mode.length) assert.ok(lines.some((l) => l.faces === 0 && l.file.endsWith('photo-0 none.png')), 'the photo without a face has its row');
  }
});

/** Runs --resume on the first `cut` bytes of a complete output file: the result must be that file. */
async function resumeFrom(cut: number, full: string, args: string[], project: string, bin: string, what: string): Promise<void> {
  const whole = readFileSync(full);
  const partial = full.replace(/(\.\w+)$/, `-cut${cut}$1`);
  writeFileSync(partial, whole.subarray(0, cut));
  const r = await run(bin, [...args, '--out', partial, '--resume'], { cwd: project, timeoutMs: 90_000 });
  assert.is(r.code, 1, r.stderr); // the broken file is tried again, and fails again
  assert.match(r.stderr, /image\(s\) already there/);
  const got = readFileSync(partial);
  assert.ok(got.equals(whole), `${what} (cut at byte ${cut} of ${whole.length}): the resumed file is not the complete one:\n${got.toString('utf8').slice(Math.max(0, cut - 200), cut + 400)}`);
}

test('--out and --resume: a run killed in the middle of a record goes on to exactly the complete file, each image once', async () => {
  const { project, bin, modelArgs } = await setup();
  const { dir, real } = await batchFolder(project);
  const model = modelArgs.filter((a) => a !== '--crop' && a !== 'chip');
  for (const format of ['jsonl', 'csv']) {
    const args = [...model, '--format', format, '--jobs', '2', dir];
    const full = join(project, `full.${format}`);
    const first = await run(bin, [...args, '--out', full], { cwd: project, timeoutMs: 90_000 });
    assert.is(first.code, 1, first.stderr);
    const text = readFileSync(full, 'utf8');
    const bytes = (s: string) => Buffer.byteLength(s);
    // cut: in the middle of the 4th record; just after a record (nothing lost); inside the CSV header
    const lines = text.split('\n');
    const at4 = bytes(lines.slice(0, 3).join('\n')) + 1;
    const cuts: [number, string][] = [[at4 + 9, 'in the middle of a record'], [at4, 'at the end of a record'], [0, 'an empty file']];
    if (format === 'csv') {
      cuts.push([5, 'inside the header']);
      cuts.push([bytes(text.slice(0, text.indexOf('line\n') + 5)), 'just after the line break inside a quoted file name']);
    }
    // an image with two faces: its first face written, its second cut off
    const second = lines.findIndex((l) => (format === 'csv' ? /two\.png,1,/ : /two\.png","face":1/).test(l));
    if (second > 0) cuts.push([bytes(lines.slice(0, second).join('\n')) + 1 + 20, 'in the second face of a photo']);
    else console.log(`  SKIP: ${format}: ${real ? 'the detector found no second face in the two-face photo' : 'no UTKFace data (DAA_DATA or ../shared/data/utkface)'}: resuming inside an image with two faces not checked`);
    for (const [cut, what] of cuts) await resumeFrom(cut, full, args, project, bin, `${format}, ${what}`);
    // a complete file: nothing left to do, nothing written
    const again = await run(bin, [...args, '--out', full, '--resume'], { cwd: project, timeoutMs: 90_000 });
    assert.match(again.stderr, /9 of 10 image\(s\) already there, 1 to go/);
    assert.is(readFileSync(full, 'utf8'), text);
    // without --resume an existing file is an error, and the file is left as it is
    const exists = await run(bin, [...args, '--out', full], { cwd: project, timeoutMs: 30_000 });
    assert.is(exists.code, 2);
    assert.match(exists.stderr, /full\.\w+ exists: add --resume to continue it, or remove it/);
    assert.is(readFileSync(full, 'utf8'), text);
  }
  // a file of another format or mode is not continued
  const other = await run(bin, [...model, '--format', 'csv', '--crop', 'chip', '--out', join(project, 'full.csv'), '--resume', dir], { cwd: project, timeoutMs: 30_000 });
  assert.is(other.code, 2);
  assert.match(other.stderr, /cannot resume .*full\.csv: record 1 is not the CSV header this run writes \(file,age,spread\)/);
  const wrong = await run(bin, [...model, '--out', join(project, 'full.csv'), '--resume', dir], { cwd: project, timeoutMs: 30_000 });
  assert.is(wrong.code, 2);
  assert.match(wrong.stderr, /record 1 is not a JSON line/);
});

test('bad --jobs, --format, --resume without --out: option errors; a model that does not load on the worker threads: exit 2', async () => {
  const { project, jpg, bin } = await setup();
  for (const [args, msg] of [
    [['--jobs', '0'], /--jobs must be an integer in 1\.\.256, got "0"/],
    [['--jobs=-1'], /--jobs must be an integer in 1\.\.256, got "-1"/],
    [['--jobs', '1.5'], /--jobs must be an integer in 1\.\.256, got "1\.5"/],
    [['--jobs', 'many'], /--jobs must be an integer in 1\.\.256, got "many"/],
    [['--jobs', '257'], /--jobs must be an integer in 1\.\.256, got "257"/],
    [['--jobs'], /argument missing/],
    [['--format', 'xml'], /--format must be jsonl or csv, got xml/],
    [['--resume'], /--resume goes with --out <file>/],
    [['--jobs', '2', '--model', 'no-such.daaw', jpg], /cannot load the model: model no-such\.daaw: ENOENT.*\(NO_MODEL\)/],
  ] as const) {
    const r = await run(bin, [jpg, ...args], { cwd: project, timeoutMs: 30_000 });
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg);
    assert.is(r.stdout, '');
  }
});

test.run();
