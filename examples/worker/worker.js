// An edge function (Cloudflare Workers / workerd) that estimates the age of a POSTed face crop.
//
//   curl --data-binary @face.jpg -H 'content-type: image/jpeg' https://<your-worker>/
//   -> {"age":31.4,"spread":2.2,"width":200,"height":200}
//
// Body: a JPEG or PNG file (decoded here, with daa-wasm/decode: pure JS, the same pixels as Node), or
// raw pixels with `content-type: application/octet-stream` and `x-width` / `x-height` headers (RGBA,
// RGB or grey bytes, row-major). `?interval=k` (1..100) uses every k-th template age; any other query
// parameter is a 400 with code OPTIONS.
//
// workerd (like Cloudflare) forbids compiling WebAssembly from bytes at run time. daa-wasm's "workerd"
// entry therefore imports its SIMD kernels as a wasm module (`./daa.simd.wasm`), which wrangler and
// the workerd config (see build.mjs, config.capnp) turn into a WebAssembly.Module: nothing to do here.
// With another bundler, import 'daa-wasm/daa.simd.wasm' yourself and pass createEstimator({ wasmModule }).
//
// Weights: the built-in default model; a `MODEL` binding (an ArrayBuffer: a workerd `data` binding or
// a wrangler `[[data_blobs]]`-style binding) overrides it with your own weight file.
import { createEstimator, DaaError, OptionsError } from 'daa-wasm';
import { decodeImage } from 'daa-wasm/decode';

const MAX_BODY = 8 * 1024 * 1024;
let estimator = null; // one per isolate, loaded on the first request

function getEstimator(env) {
  if (!estimator) {
    estimator = createEstimator({ crop: 'chip', model: env.MODEL ? new Uint8Array(env.MODEL) : undefined });
    estimator.catch(() => (estimator = null));
  }
  return estimator;
}

const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'access-control-allow-origin': '*' } });

async function readImage(request) {
  const len = Number(request.headers.get('content-length') ?? 0);
  if (len > MAX_BODY) throw new DaaError('IMAGE_SIZE', `body of ${len} bytes exceeds ${MAX_BODY}`);
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.length > MAX_BODY) throw new DaaError('IMAGE_SIZE', `body of ${bytes.length} bytes exceeds ${MAX_BODY}`);
  if (bytes.length === 0) throw new DaaError('IMAGE_DATA', 'empty body: POST a JPEG or PNG face crop');
  const type = (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/octet-stream' && request.headers.has('x-width')) {
    const width = Number(request.headers.get('x-width'));
    const height = Number(request.headers.get('x-height'));
    return { data: bytes, width, height }; // validated by estimate()
  }
  return decodeImage(bytes);
}

export default {
  async fetch(request, env) {
    if (request.method === 'OPTIONS')
      return new Response(null, { headers: { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type, x-width, x-height' } });
    if (request.method !== 'POST')
      return json({ error: 'POST a JPEG or PNG face crop, or raw pixels (application/octet-stream) with x-width and x-height headers' }, 405);
    try {
      const params = new URL(request.url).searchParams;
      for (const k of params.keys()) if (k !== 'interval') throw new OptionsError(`unknown query parameter '${k}' (known: interval)`);
      const interval = params.get('interval');
      const image = await readImage(request);
      const est = await getEstimator(env);
      const r = est.estimate(image, interval ? { interval: Number(interval) } : undefined);
      return json({ age: r.age, spread: r.spread, width: image.width, height: image.height });
    } catch (e) {
      if (e instanceof DaaError) {
        const status = e.code === 'NO_MODEL' || e.code === 'WASM' || e.code === 'MODEL_LOAD' ? 503 : e.code === 'IMAGE_SIZE' ? 413 : 400;
        return json({ error: e.message, code: e.code }, status);
      }
      return json({ error: String(e?.message ?? e) }, 500);
    }
  },
};
