// The page side: everything heavy (decoding, detection, the age model, the video tracker) runs in a
// module Web Worker (daa-wasm/worker-script); this thread posts files or video frames to it and draws.
// Served from the repository root, the page loads the built package from ../../dist/ (npm run bundle);
// in your app: import { createWorkerEstimator } from 'daa-wasm/worker' and
// new Worker(new URL('daa-wasm/worker-script', import.meta.url), { type: 'module' }).
// ?model=<url> loads your own weight file instead of the built-in model; ?interval=k samples templates;
// ?frames=bitmap posts live frames as ImageBitmaps instead of VideoFrames (bench/browser-live.ts compares).
import { createWorkerEstimator } from '../../dist/worker.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const options = {};
if (params.get('model')) options.model = new URL(params.get('model'), location.href).href;
if (params.get('interval')) options.interval = Number(params.get('interval'));

// for tests and the curious: every message the worker sent, every photo result, the live loop's state
const demo = (window.daaDemo = { workerMessages: [], results: [], live: null, ready: null });

const worker = new Worker(new URL('../../dist/worker-script.js', import.meta.url), { type: 'module' });
worker.addEventListener('message', (e) => demo.workerMessages.push(e.data));

const view = $('view');
const ctx = view.getContext('2d');

function status(text, { busy = false, error = false } = {}) {
  $('status').textContent = text;
  $('status').className = error ? 'error' : '';
  $('statusbar').classList.toggle('busy', busy);
}

let est = null;
demo.ready = createWorkerEstimator(worker, options).then(
  (e) => {
    est = e;
    const { config, precision, backend, loadMs } = e.info;
    $('model').textContent = `age model ${config.encoder} ${config.inputSize}px, ${precision}, ${backend} kernels`;
    status(`Ready (model loaded in ${loadMs.toFixed(0)} ms). Choose or drop a photo, or start the webcam.`);
    return e.info;
  },
  (err) => {
    status(`Could not load the model: ${err.message}`, { error: true });
    throw err;
  },
);

// ---- drawing --------------------------------------------------------------------------------------

/** Show `source` (an ImageBitmap or a <video>) at its own size on the canvas. */
function drawSource(source, width, height) {
  if (view.width !== width || view.height !== height) {
    view.width = width;
    view.height = height;
  }
  view.classList.remove('empty');
  $('hint').hidden = true;
  ctx.drawImage(source, 0, 0, width, height);
}

/** "hide faces": each face drawn back from 8 x 8 blocks, so that screenshots and streams show no face. */
function pixelate(faces) {
  for (const { box } of faces) {
    // the box and a fifth of its size around it (hair, ears)
    const m = 0.2 * Math.max(box.width, box.height);
    const x = Math.max(0, Math.floor(box.x - m)), y = Math.max(0, Math.floor(box.y - m));
    const w = Math.min(view.width - x, Math.ceil(box.width + 2 * m)), h = Math.min(view.height - y, Math.ceil(box.height + 2 * m));
    if (w < 1 || h < 1) continue;
    const small = new OffscreenCanvas(8, 8);
    const s = small.getContext('2d');
    s.drawImage(view, x, y, w, h, 0, 0, 8, 8);
    ctx.save();
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(small, 0, 0, 8, 8, x, y, w, h);
    ctx.restore();
  }
}

const COLOURS = ['#2f5bea', '#e8590c', '#2b8a3e', '#ae3ec9', '#c92a2a', '#1098ad'];

/** A box and a label over each face; line widths scale with the picture so they read the same at any size. */
function drawFaces(faces, labelOf, colourOf) {
  const u = Math.max(1, Math.min(view.width, view.height) / 320);
  if ($('hide').checked) pixelate(faces);
  ctx.font = `600 ${Math.round(11 * u)}px system-ui, sans-serif`;
  ctx.textBaseline = 'bottom';
  faces.forEach((f, i) => {
    const { x, y, width, height } = f.box;
    const colour = colourOf(f, i);
    ctx.lineWidth = 2 * u;
    ctx.strokeStyle = colour;
    ctx.strokeRect(x, y, width, height);
    const text = labelOf(f, i);
    const tw = ctx.measureText(text).width + 8 * u, th = 16 * u;
    const ty = y - th >= 0 ? y : y + height + th; // above the box, or below when it touches the top
    ctx.fillStyle = colour;
    ctx.fillRect(x - u, ty - th, tw, th);
    ctx.fillStyle = '#fff';
    ctx.fillText(text, x + 3 * u, ty - 2 * u);
  });
}

function showSummary(age, meta) {
  $('age').innerHTML = age === null ? '–' : `${age.toFixed(0)} <small>years</small>`;
  $('meta').textContent = meta;
}

// ---- photos ----------------------------------------------------------------------------------------

let photo = null; // { bitmap, faces }: redrawn when "hide faces" changes

function drawPhoto() {
  if (!photo) return;
  drawSource(photo.bitmap, photo.bitmap.width, photo.bitmap.height);
  drawFaces(photo.faces, (f) => `${f.age.toFixed(0)} (±${f.spread.toFixed(1)})`, (_, i) => COLOURS[i % COLOURS.length]);
}

async function showPhoto(file) {
  if (!est) await demo.ready;
  stopLive();
  status('Estimating…', { busy: true });
  try {
    // the browser decodes for display (it applies EXIF orientation, as the worker's decoder does)
    const bitmap = await createImageBitmap(file);
    photo = { bitmap, faces: [] };
    drawPhoto();
    // the worker decodes the file itself and finds every face; an image without one may be a face
    // crop the detector is unsure of: estimate() (crop 'auto') recognises those, else NoFaceError
    const all = await est.estimateAll(file);
    let chip = null;
    if (!all.faces.length) {
      try {
        chip = await est.estimate(file);
      } catch (err) {
        if (err.code !== 'NO_FACE') throw err;
      }
    }
    photo.faces = all.faces;
    drawPhoto();
    const result = { faces: all.faces.map(({ box, score, age, spread }) => ({ box, score, age, spread })), chip: chip && { age: chip.age, spread: chip.spread }, ms: all.ms, width: all.width, height: all.height };
    demo.results.push(result);
    if (all.faces.length) {
      const f = all.faces[0];
      showSummary(f.age, `${all.faces.length} face${all.faces.length > 1 ? 's' : ''}; the largest: ${f.age.toFixed(2)} years (spread ${f.spread.toFixed(1)}) · ${all.width}×${all.height} px · ${all.ms.toFixed(0)} ms in the worker`);
    } else if (chip) {
      showSummary(chip.age, `a face crop: ${chip.age.toFixed(2)} years (spread ${chip.spread.toFixed(1)}) · ${all.width}×${all.height} px`);
    } else {
      showSummary(null, `No face found in this ${all.width}×${all.height} image.`);
    }
    status('Done. Choose or drop another photo any time.');
  } catch (err) {
    showSummary(null, '');
    status(err.message, { error: true });
  }
}

// ---- live video ------------------------------------------------------------------------------------

/**
 * The live loop. Estimation and drawing run separately: the worker gets one frame at a time (the next
 * is taken when its answer arrives, so frames never queue up and the answer is never more than one
 * frame old), and every animation frame draws the current video frame with the latest answer.
 */
async function startLive(open) {
  if (!est) await demo.ready;
  stopLive();
  photo = null;
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  let stream = null;
  try {
    stream = await open(video);
    await video.play();
  } catch (err) {
    status(`Cannot play: ${err.message}`, { error: true });
    return;
  }
  const tracker = await est.createTracker();
  const live = (demo.live = { running: true, frames: 0, fps: 0, workerMs: 0, readMs: 0, faces: [], stats: null, history: [], video, stream, tracker, error: null });
  $('stop').hidden = false;
  status('Live: boxes and steady ages per person (#id age).');

  const times = [];
  // each picture of the video is sent once: wait until the video presents a new one (a camera
  // delivers 30 a second; sending the same picture again would only measure the tracker's skip of
  // repeated frames). Where requestVideoFrameCallback is missing, the next picture is sent as soon
  // as the last answer is back.
  // A picture presented while the worker was busy is taken as soon as its answer is back (the latest
  // one: new VideoFrame(video) reads what the video shows now), so a worker that needs less than a
  // frame's time keeps up with the camera.
  let fresh = false, waiting = null;
  const onPicture = () => {
    if (!live.running) return;
    video.requestVideoFrameCallback(onPicture);
    if (waiting) {
      const w = waiting;
      waiting = null;
      w();
    } else fresh = true;
  };
  const paced = typeof video.requestVideoFrameCallback === 'function';
  if (paced) video.requestVideoFrameCallback(onPicture);
  const nextPicture = () => (!paced ? Promise.resolve() : fresh ? ((fresh = false), Promise.resolve()) : new Promise((r) => (waiting = r)));
  (async () => {
    while (live.running) {
      if (video.readyState < 2 || !video.videoWidth) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      await nextPicture();
      if (!live.running) break;
      // a VideoFrame of what the video shows (the worker reads it with copyTo, no canvas), or a bitmap
      const frame = typeof VideoFrame === 'function' && params.get('frames') !== 'bitmap' ? new VideoFrame(video) : await createImageBitmap(video);
      const r = await tracker.update(frame); // transferred, not copied
      if (!live.running) break;
      const now = performance.now();
      times.push(now);
      while (times.length > 2 && times[0] < now - 2000) times.shift();
      live.frames++;
      live.fps = times.length > 1 ? ((times.length - 1) * 1000) / (now - times[0]) : 0;
      live.workerMs = r.ms;
      live.readMs = r.readMs;
      live.faces = r.faces;
      live.stats = r.stats;
      live.history.push({ t: now, ms: r.ms, readMs: r.readMs, faces: r.faces.map(({ id, age, ageRaw, box }) => ({ id, age, ageRaw, box })) });
      if (live.history.length > 1000) live.history.splice(0, live.history.length - 1000);
    }
  })().catch((err) => {
    live.error = err.message;
    if (live.running) status(err.message, { error: true });
  });

  const draw = () => {
    if (!live.running) return;
    if (video.videoWidth) {
      drawSource(video, video.videoWidth, video.videoHeight);
      drawFaces(live.faces, (f) => `#${f.id} ${f.age === null ? '…' : f.age.toFixed(0)}`, (f) => COLOURS[(f.id - 1) % COLOURS.length]);
      const first = live.faces[0];
      showSummary(first?.age ?? null, live.faces.length ? `${live.faces.length} face${live.faces.length > 1 ? 's' : ''} · #${first.id}: ${first.age?.toFixed(1) ?? '…'} years (this frame ${first.ageRaw?.toFixed(1) ?? '–'})` : 'No face in view.');
      $('fps').textContent = `${live.fps.toFixed(1)} frames/s estimated · ${live.workerMs.toFixed(0)} ms a frame in the worker (${live.readMs.toFixed(0)} reading it)`;
    }
    requestAnimationFrame(draw);
  };
  requestAnimationFrame(draw);
}

function stopLive() {
  const live = demo.live;
  if (!live?.running) return;
  live.running = false;
  live.video.pause();
  live.stream?.getTracks().forEach((t) => t.stop());
  live.tracker.dispose();
  $('stop').hidden = true;
  $('fps').textContent = '';
  status('Stopped.');
}

const camera = (video) =>
  navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user', width: 640, height: 480 } }).then((stream) => {
    video.srcObject = stream;
    return stream;
  });

const videoFile = (file) => (video) => {
  video.src = URL.createObjectURL(file);
  video.loop = true;
  return null;
};

// ---- controls --------------------------------------------------------------------------------------

$('file').addEventListener('change', () => $('file').files[0] && showPhoto($('file').files[0]));
// the repository's public-domain test photo (test/fixtures/photos/README.md), served beside the example
const SAMPLE_PHOTO = new URL('../../test/fixtures/photos/astronaut.jpg', location.href);
$('sample').addEventListener('click', async () => {
  try {
    const res = await fetch(SAMPLE_PHOTO);
    if (!res.ok) throw new Error(`${SAMPLE_PHOTO.pathname}: HTTP ${res.status}`);
    await showPhoto(await res.blob());
  } catch (err) {
    status(`Could not load the sample photo: ${err.message}`, { error: true });
  }
});
$('videofile').addEventListener('change', () => $('videofile').files[0] && startLive(videoFile($('videofile').files[0])));
$('camera').addEventListener('click', () => startLive(camera));
$('stop').addEventListener('click', stopLive);
$('hide').addEventListener('change', drawPhoto);

const stage = $('stage');
stage.addEventListener('dragover', (e) => {
  e.preventDefault();
  stage.classList.add('dragging');
});
stage.addEventListener('dragleave', () => stage.classList.remove('dragging'));
stage.addEventListener('drop', (e) => {
  e.preventDefault();
  stage.classList.remove('dragging');
  const file = e.dataTransfer?.files[0];
  if (!file) return;
  if (file.type.startsWith('video/')) startLive(videoFile(file));
  else showPhoto(file);
});
