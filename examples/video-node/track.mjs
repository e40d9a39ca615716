// Ages of the people in a video file, steady per person: ffmpeg decodes the video (any format it
// reads: MP4/H.264 from a phone, WebM, MOV, a webcam recording) into raw RGBA frames on a pipe, and
// daa-wasm's tracker follows each face across frames.
//
//   node track.mjs <video> [--every <n>]
//
// stdout: one JSON line per frame, {"frame","time","faces":[{"id","box":[x,y,w,h],"age","ageRaw"}]};
// stderr: at the end, one line per person (id, frames seen, steady age) and the speed.
// Needs the ffmpeg and ffprobe programs (apt-get install ffmpeg, brew install ffmpeg, or a static build).
import { execFileSync, spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { createEstimator, createTracker } from 'daa-wasm';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { every: { type: 'string', default: '1' } } });
const file = positionals[0];
const every = Number(values.every);
if (!file || !(Number.isInteger(every) && every >= 1)) {
  console.error('usage: node track.mjs <video> [--every <n>]   (n: use every n-th frame, default 1)');
  process.exit(2);
}

// the frame rate, for the times printed
const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=avg_frame_rate', '-of', 'json', file]));
if (!probe.streams?.length) throw new Error(`${file}: no video stream`);
const [num, den] = String(probe.streams[0].avg_frame_rate).split('/').map(Number);
const fps = num && den ? num / den : 30;

const estimator = await createEstimator();
const tracker = createTracker({ estimator });

// ffmpeg writes each frame as a PAM image (a text header with WIDTH and HEIGHT, then RGBA bytes):
// the size comes with every frame, also after ffmpeg turned a phone video upright by its rotation tag
const ffmpeg = spawn('ffmpeg', ['-v', 'error', '-i', file, '-f', 'image2pipe', '-c:v', 'pam', '-pix_fmt', 'rgba', 'pipe:1'], { stdio: ['ignore', 'pipe', 'inherit'] });
let index = 0;
let used = 0;
let busyMs = 0;
let size = '';
const people = new Map(); // id -> { frames, age }

function trackFrame(data, width, height) {
  const t0 = performance.now();
  const faces = tracker.update({ data, width, height });
  busyMs += performance.now() - t0;
  const round = (v) => (v === null ? null : Math.round(v * 100) / 100);
  for (const f of faces) people.set(f.id, { frames: f.frames, age: f.age });
  const line = {
    frame: index,
    time: round(index / fps),
    faces: faces.map((f) => ({ id: f.id, box: [f.box.x, f.box.y, f.box.width, f.box.height].map(Math.round), age: round(f.age), ageRaw: round(f.ageRaw) })),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const END = Buffer.from('ENDHDR\n');
let pending = Buffer.alloc(0);
let frame = null; // { data, width, height, filled } while a frame's pixels arrive
for await (const chunk of ffmpeg.stdout) {
  pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
  for (;;) {
    if (!frame) {
      const end = pending.indexOf(END);
      if (end < 0) break;
      const header = pending.subarray(0, end).toString('latin1');
      const width = Number(/WIDTH (\d+)/.exec(header)?.[1]), height = Number(/HEIGHT (\d+)/.exec(header)?.[1]);
      if (!/^P7\n/.test(header) || !/DEPTH 4\b/.test(header) || !(width > 0 && height > 0)) throw new Error(`unexpected PAM header from ffmpeg: ${JSON.stringify(header)}`);
      frame = { data: new Uint8Array(width * height * 4), width, height, filled: 0 };
      size = `${width}x${height}`;
      pending = pending.subarray(end + END.length);
    }
    const n = Math.min(pending.length, frame.data.length - frame.filled);
    frame.data.set(pending.subarray(0, n), frame.filled);
    frame.filled += n;
    pending = pending.subarray(n);
    if (frame.filled < frame.data.length) break;
    if (index % every === 0) {
      trackFrame(frame.data, frame.width, frame.height);
      used++;
    }
    index++;
    frame = null;
  }
}
const code = await new Promise((resolve) => (ffmpeg.exitCode !== null ? resolve(ffmpeg.exitCode) : ffmpeg.on('close', resolve)));
if (code !== 0) {
  console.error(`ffmpeg failed (exit ${code})`);
  process.exit(1);
}
for (const [id, p] of people) console.error(`person #${id}: ${p.frames} frames, age ${p.age === null ? '-' : p.age.toFixed(1)}`);
console.error(`${index} frames of ${size} (${fps.toFixed(2)} fps), ${used} tracked in ${(busyMs / 1000).toFixed(1)} s: ${(used / (busyMs / 1000)).toFixed(1)} frames/s on one core`);
estimator.dispose();
