// The page side: everything heavy (decoding, the model) runs in a module Web Worker
// (daa-wasm/worker-script); this thread only posts the picked File or a webcam frame to it.
// Served from the repository root, the page loads the built package from ../../dist/ (npm run bundle);
// in your app: import { createWorkerEstimator } from 'daa-wasm/worker' and
// new Worker(new URL('daa-wasm/worker-script', import.meta.url), { type: 'module' }).
// ?model=<url> loads your own weight file instead of the built-in model; ?interval=k samples templates.
import { createWorkerEstimator } from '../../dist/worker.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const options = {};
if (params.get('model')) options.model = new URL(params.get('model'), location.href).href;
if (params.get('interval')) options.interval = Number(params.get('interval'));

// for tests and the curious: every message the worker sent, and every result shown
const demo = (window.daaDemo = { workerMessages: [], results: [], ready: null });

const worker = new Worker(new URL('../../dist/worker-script.js', import.meta.url), { type: 'module' });
worker.addEventListener('message', (e) => demo.workerMessages.push(e.data));

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
    $('model').textContent = `model ${config.encoder}-${config.daa} ${config.inputSize}px, ${precision}, ${backend} kernels`;
    status(`Ready (model loaded in ${loadMs.toFixed(0)} ms). Choose a photo.`);
    return e.info;
  },
  (err) => {
    status(`Could not load the model: ${err.message}`, { error: true });
    throw err;
  },
);

function show(r) {
  demo.results.push({ age: r.age, spread: r.spread, ms: r.ms });
  $('age').innerHTML = `${r.age.toFixed(0)} <small>years</small>`;
  $('meta').textContent = `${r.age.toFixed(2)} years (spread ${r.spread.toFixed(1)} over ${r.perTemplate.length} template ages) · ${r.width}×${r.height} px · ${r.ms.toFixed(1)} ms in the worker`;
}

async function run(image) {
  if (!est) await demo.ready;
  status('Estimating…', { busy: true });
  try {
    show(await est.estimate(image));
    status('Done. Choose another photo any time.');
  } catch (err) {
    $('age').textContent = '–';
    status(err.message, { error: true });
  }
}

$('file').addEventListener('change', () => {
  const file = $('file').files[0];
  if (!file) return;
  const img = new Image();
  img.alt = 'the chosen photo';
  img.src = URL.createObjectURL(file);
  $('frame').replaceChildren(img);
  run(file); // the File goes to the worker, which decodes it
});

let stream = null;
$('camera').addEventListener('click', async () => {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user', width: 640, height: 480 } });
  } catch (err) {
    status(`No webcam: ${err.message}`, { error: true });
    return;
  }
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  await video.play();
  $('frame').replaceChildren(video);
  $('snap').hidden = false;
  $('snap').onclick = async () => {
    // centre square of the frame: keep your face in the middle
    const s = Math.min(video.videoWidth, video.videoHeight);
    const bitmap = await createImageBitmap(video, (video.videoWidth - s) / 2, (video.videoHeight - s) / 2, s, s);
    run(bitmap); // transferred to the worker
  };
});
