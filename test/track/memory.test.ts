/**
 * Memory over 100,000 frames (DAA_LONG=1: 1,000,000): the tracker on its own (observe) and with the
 * per-frame policy (update with detect, refine and estimate functions), and over 600 frames (DAA_LONG=1:
 * 10,000) of the whole path on a real estimator, each in a child process run
 * with --expose-gc, heap measured after full collections at ten checkpoints: flat within 512 KiB
 * while tracks come and go (thousands of ids handed out). The children start when this file is
 * imported, so they run on the second core while the other test files run.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const FRAMES = process.env.DAA_LONG === '1' ? 1_000_000 : 100_000;
/** the whole path (a real estimator) costs about 40 ms a frame here: fewer frames */
const WHOLE_FRAMES = process.env.DAA_LONG === '1' ? 10_000 : 600;
const HEAP_SLACK = 512 * 1024;
const child = fileURLToPath(new URL('./memory-child.ts', import.meta.url));

function runChild(mode: string, n: number): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', child, mode, String(n)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 300_000);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${mode} child: exit ${code} ${signal ?? ''}\n${err}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!));
      } catch {
        reject(new Error(`${mode} child: bad output ${out}\n${err}`));
      }
    });
  });
}

const settled = <T>(p: Promise<T>) => p.then((v) => ({ v, e: undefined }), (e: Error) => ({ v: undefined, e }));
const pure = settled(runChild('pure', FRAMES));
const video = pure.then(() => settled(runChild('video', FRAMES)));
const whole = video.then(() => settled(runChild('estimator', WHOLE_FRAMES)));
const kib = (b: number) => `${b >= 0 ? '+' : ''}${(b / 1024).toFixed(1)} KiB`;

/** A child's result (thrown if it failed) and its heap growth: end and highest checkpoint, against the start. */
async function heapOf(p: Promise<{ v?: Record<string, any>; e?: Error }>) {
  const r = await p;
  if (r.e) throw r.e;
  const v = r.v!;
  return { v, growth: v.after.heapUsed - v.before.heapUsed, peak: Math.max(...v.checkpoints, v.after.heapUsed) - v.before.heapUsed };
}

for (const [mode, p] of [['pure', pure], ['video', video]] as const)
  test(`${FRAMES} frames (${mode === 'pure' ? 'observe' : 'update with detect / refine / estimate'}): heap flat while tracks come and go`, async () => {
    const { v, growth, peak } = await heapOf(p);
    console.log(
      `  ${mode}: ${v.n} frames in ${(v.ms / 1000).toFixed(1)} s (${v.usPerFrame.toFixed(1)} us a frame), ${v.stats.tracks} ids handed out, ${v.live} live at the end; ` +
        `heap ${kib(growth)} (peak checkpoint ${kib(peak)}), rss ${(v.after.rss / 1048576).toFixed(0)} MiB; stats ${JSON.stringify(v.stats)}`,
    );
    assert.ok(v.stats.tracks > 1000, 'tracks came and went');
    assert.ok(growth < HEAP_SLACK, `heap grew ${growth} bytes`);
    assert.ok(peak < HEAP_SLACK, `heap checkpoints rose ${peak} bytes`);
  });

test(`${WHOLE_FRAMES} frames of the whole path (a real estimator: detection, alignment, ages): heap and wasm memory flat`, async () => {
  const { v, growth, peak } = await heapOf(whole);
  console.log(
    `  estimator: ${v.n} frames in ${(v.ms / 1000).toFixed(1)} s (${(v.usPerFrame / 1000).toFixed(1)} ms a frame, rendering included), ${v.stats.tracks} ids; ` +
      `heap ${kib(growth)} (peak checkpoint ${kib(peak)}), wasm memory ${(v.wasmBytes[0] / 1048576).toFixed(1)} -> ${(v.wasmBytes[1] / 1048576).toFixed(1)} MiB, rss ${(v.after.rss / 1048576).toFixed(0)} MiB; stats ${JSON.stringify(v.stats)}`,
  );
  assert.ok(v.stats.detections > 0 && v.stats.frames === v.n + v.warm, 'the frames went through the estimator');
  assert.ok(growth < HEAP_SLACK, `heap grew ${growth} bytes`);
  assert.ok(peak < HEAP_SLACK, `heap checkpoints rose ${peak} bytes`);
  assert.is(v.wasmBytes[1], v.wasmBytes[0], 'the estimator\'s linear memory did not grow');
});

test.run();
