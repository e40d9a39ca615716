/**
 * Every kind of image a user holds -> pixels { data, width, height } for the estimator.
 *
 *  - raw pixels { data, width, height } (and ImageData): passed through untouched (the fast path;
 *    src/image.ts validates them);
 *  - encoded bytes (Uint8Array, a Node Buffer, ArrayBuffer): JPEG or PNG sniffed from the first bytes
 *    and decoded by daa-wasm/decode (src/platform/decode.ts: EXIF orientation applied, bounded);
 *  - drawables where the runtime has them (browsers, Web Workers): HTMLImageElement, SVGImageElement,
 *    HTMLVideoElement, HTMLCanvasElement, OffscreenCanvas, ImageBitmap, VideoFrame: drawn at their
 *    natural size on an OffscreenCanvas (or a <canvas>) and read back;
 *  - asynchronous only (readImage / the top-level estimate()): Blob and File, Response, and a string
 *    (a URL; on Node, Deno and Bun also a file path).
 * Estimator.estimate() is synchronous and takes everything but the asynchronous kinds.
 */
import { ImageInputError } from './errors.ts';
import type { ImageLike } from './image.ts';
import { decodeImageSync, sniffImage } from './platform/decode.ts';
import { fetchBytes } from './platform/fetch.ts';

/** The largest encoded file read from a Blob, Response, URL or path. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Something a canvas can draw: an <img>, <video>, <canvas>, OffscreenCanvas, ImageBitmap or VideoFrame. */
export type Drawable = { readonly width: number; readonly height: number } | { readonly displayWidth: number; readonly displayHeight: number };

/** What Estimator.estimate() takes: raw pixels, encoded JPEG/PNG bytes, or a drawable. */
export type SyncImageSource = ImageLike | Uint8Array | ArrayBuffer | Drawable;

/** What estimate() and readImage() take: a SyncImageSource, a Blob/File, a Response, a URL or (Node, Deno, Bun) a file path. */
export type ImageSource = SyncImageSource | string | URL | { arrayBuffer(): Promise<ArrayBuffer> };

const g = globalThis as unknown as Record<string, (abstract new (...a: never[]) => unknown) | undefined>;
const isA = (v: unknown, name: string): boolean => {
  const C = g[name];
  return typeof C === 'function' && v instanceof C;
};
const DRAWABLES = ['HTMLImageElement', 'SVGImageElement', 'HTMLVideoElement', 'HTMLCanvasElement', 'OffscreenCanvas', 'ImageBitmap', 'VideoFrame'];
const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
const tagOf = Object.getOwnPropertyDescriptor(TypedArrayProto, Symbol.toStringTag)!.get! as (this: unknown) => string | undefined;

const asyncOnly = (what: string) =>
  new ImageInputError('IMAGE_TYPE', `${what} is read asynchronously: use \`await estimate(x)\` or \`est.estimate(await readImage(x))\``);

/** The pixels of a synchronous source (see the module comment); other objects are returned as they are. */
export function toPixels(input: unknown): unknown {
  if (typeof input === 'string') throw asyncOnly('a URL or file path');
  if (input === null || typeof input !== 'object') return input; // src/image.ts says what is wrong
  if (ArrayBuffer.isView(input)) {
    const tag = tagOf.call(input);
    if (tag === 'Uint8Array' || tag === 'Uint8ClampedArray') return decodeBytes(input as Uint8Array);
    throw new ImageInputError('IMAGE_TYPE', `an image file must be a Uint8Array or ArrayBuffer, got ${tag ?? 'a DataView'}`);
  }
  if (input instanceof ArrayBuffer) return decodeBytes(new Uint8Array(input));
  if (isA(input, 'ImageData')) return input;
  if (DRAWABLES.some((n) => isA(input, n))) return drawPixels(input);
  if (isA(input, 'Blob')) throw asyncOnly('a Blob or File');
  if (isA(input, 'Response')) throw asyncOnly('a Response');
  if (isA(input, 'URL')) throw asyncOnly('a URL');
  return input;
}

function decodeBytes(b: Uint8Array): ImageLike {
  const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength); // a Uint8ClampedArray too
  if (!sniffImage(bytes))
    throw new ImageInputError(
      'IMAGE_DATA',
      `these ${bytes.length} bytes are not a JPEG or PNG file (first bytes ${[...bytes.subarray(0, 4)].map((x) => x.toString(16).padStart(2, '0')).join(' ')}); raw pixels go in as { data, width, height }`,
    );
  return decodeImageSync(bytes);
}

/** Draws a DOM image source at its natural size and reads the RGBA pixels back. */
function drawPixels(src: object): ImageLike {
  const s = src as Record<string, unknown>;
  let w: number, h: number;
  if (isA(src, 'HTMLImageElement') || isA(src, 'SVGImageElement')) {
    if (s.complete === false) throw new ImageInputError('IMAGE_DATA', 'the <img> has not finished loading: await img.decode() first');
    w = (s.naturalWidth as number) || (s.width as number);
    h = (s.naturalHeight as number) || (s.height as number);
  } else if (isA(src, 'HTMLVideoElement')) {
    if ((s.readyState as number) < 2) throw new ImageInputError('IMAGE_DATA', 'the <video> has no current frame yet (readyState < HAVE_CURRENT_DATA)');
    w = s.videoWidth as number;
    h = s.videoHeight as number;
  } else if (isA(src, 'VideoFrame')) {
    w = s.displayWidth as number;
    h = s.displayHeight as number;
  } else {
    w = s.width as number;
    h = s.height as number;
  }
  if (!(w > 0 && h > 0)) throw new ImageInputError('IMAGE_SIZE', `this ${Object.prototype.toString.call(src)} has no size (${w}x${h})`);
  const OC = g.OffscreenCanvas as unknown as (new (w: number, h: number) => OffscreenCanvas) | undefined;
  let ctx: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null;
  if (typeof OC === 'function') ctx = new OC(w, h).getContext('2d', { willReadFrequently: true });
  else {
    const doc = (globalThis as { document?: Document }).document;
    if (!doc) throw new ImageInputError('IMAGE_TYPE', 'this runtime has no canvas to read the image with');
    const c = doc.createElement('canvas');
    c.width = w;
    c.height = h;
    ctx = c.getContext('2d', { willReadFrequently: true });
  }
  if (!ctx) throw new ImageInputError('IMAGE_TYPE', 'could not get a 2d canvas context to read the image');
  try {
    ctx.drawImage(src as CanvasImageSource, 0, 0, w, h);
    return ctx.getImageData(0, 0, w, h);
  } catch (e) {
    // a cross-origin image without CORS taints the canvas: getImageData throws SecurityError
    throw new ImageInputError('IMAGE_DATA', `could not read the image's pixels: ${(e as Error)?.message ?? String(e)}`);
  }
}

async function bytesOf(input: unknown): Promise<Uint8Array | null> {
  if (typeof input === 'string' || isA(input, 'URL')) {
    const source = String(input);
    try {
      return await fetchBytes(source, 'image', MAX_FILE_BYTES);
    } catch (e) {
      throw new ImageInputError('IMAGE_DATA', (e as Error)?.message ?? String(e));
    }
  }
  if (isA(input, 'Blob')) {
    const blob = input as Blob;
    if (blob.size > MAX_FILE_BYTES) throw new ImageInputError('IMAGE_SIZE', `the file has ${blob.size} bytes (at most ${MAX_FILE_BYTES})`);
    return new Uint8Array(await blob.arrayBuffer());
  }
  if (isA(input, 'Response')) {
    const res = input as Response;
    if (!res.ok) throw new ImageInputError('IMAGE_DATA', `the Response has status ${res.status}`);
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > MAX_FILE_BYTES) throw new ImageInputError('IMAGE_SIZE', `the Response declares ${declared} bytes (at most ${MAX_FILE_BYTES})`);
    const b = new Uint8Array(await res.arrayBuffer());
    if (b.length > MAX_FILE_BYTES) throw new ImageInputError('IMAGE_SIZE', `the Response has ${b.length} bytes (at most ${MAX_FILE_BYTES})`);
    return b;
  }
  return null;
}

/**
 * Any ImageSource -> pixels { data, width, height } (raw pixels come back as they are). JPEG and PNG
 * decode the same on every runtime; in a browser other formats (WebP, GIF, AVIF) in a Blob or
 * Response go to the browser's decoder (createImageBitmap).
 */
export async function readImage(input: ImageSource): Promise<ImageLike> {
  const bytes = await bytesOf(input);
  if (bytes === null) return toPixels(input) as ImageLike;
  if (sniffImage(bytes) || typeof createImageBitmap !== 'function') return decodeBytes(bytes);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  } catch (e) {
    throw new ImageInputError('IMAGE_DATA', `not an image this runtime can decode: ${(e as Error)?.message ?? String(e)}`);
  }
  try {
    return drawPixels(bitmap);
  } finally {
    bitmap.close();
  }
}
