/**
 * Input validation and preprocessing. An image is ImageData-like: { data, width, height } with
 * data a Uint8Array or Uint8ClampedArray of width * height * channels bytes, channels 4 (RGBA,
 * alpha ignored), 3 (RGB) or 1 (grey, replicated). The resize to the model's input (bilinear, half
 * pixel centres, as the reference's tf.image.resizeBilinear(.., false, true)) and the scaling to
 * [0, 1] run in one wasm kernel.
 *
 * Hostile input: each of `data`, `width`, `height` is read exactly once; the kind and the length of
 * `data` are read from its internal slots (brand-checked %TypedArray% getters), so an own `length`
 * property, a Proxy or a subclass cannot make the estimator copy a different number of bytes than
 * were checked; a typed array from another realm (a vm context, an iframe) is accepted.
 */
import { ImageInputError } from './errors.ts';

/** The largest side and pixel count accepted: 16 Mpx keeps the staging copy under 64 MiB (RGBA). */
export const MAX_SIDE = 16384;
export const MAX_PIXELS = 4096 * 4096;

export interface ImageLike {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

export interface CheckedImage {
  /** a view over exactly `bytes` bytes of the caller's buffer (not a copy) */
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  /** width * height * channels */
  bytes: number;
}

const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
const getter = (k: PropertyKey) => Object.getOwnPropertyDescriptor(TypedArrayProto, k)!.get!;
const tagOf = getter(Symbol.toStringTag) as (this: unknown) => string | undefined;
const bufferOf = getter('buffer') as (this: unknown) => ArrayBufferLike;
const offsetOf = getter('byteOffset') as (this: unknown) => number;
const lengthOf = getter('length') as (this: unknown) => number;

const describe = (v: unknown) => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an Array';
  if (ArrayBuffer.isView(v)) return tagOf.call(v) ?? 'a DataView';
  if (typeof v === 'object') return Object.prototype.toString.call(v);
  if (typeof v === 'symbol' || typeof v === 'function') return typeof v;
  return `${typeof v} ${String(v)}`;
};

function read(image: object, key: string): unknown {
  try {
    return (image as Record<string, unknown>)[key];
  } catch (e) {
    throw new ImageInputError('IMAGE_TYPE', `reading image.${key} threw: ${(e as Error)?.message ?? String(e)}`);
  }
}

export function checkImage(image: unknown): CheckedImage {
  if (!image || typeof image !== 'object')
    throw new ImageInputError('IMAGE_TYPE', `image must be an object { data, width, height }, got ${describe(image)}`);
  const data = read(image, 'data');
  const width = read(image, 'width');
  const height = read(image, 'height');
  for (const [k, v] of [['width', width], ['height', height]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      throw new ImageInputError('IMAGE_SIZE', `image.${k} must be a positive integer, got ${describe(v)}`);
    if (v > MAX_SIDE) throw new ImageInputError('IMAGE_SIZE', `image.${k} ${v} exceeds the limit of ${MAX_SIDE} pixels`);
  }
  const w = width as number;
  const h = height as number;
  if (w * h > MAX_PIXELS) throw new ImageInputError('IMAGE_SIZE', `image of ${w}x${h} exceeds the limit of ${MAX_PIXELS} pixels`);
  const kind = ArrayBuffer.isView(data) ? tagOf.call(data) : undefined;
  if (kind !== 'Uint8Array' && kind !== 'Uint8ClampedArray')
    throw new ImageInputError('IMAGE_TYPE', `image.data must be a Uint8Array or Uint8ClampedArray, got ${describe(data)}`);
  const length = lengthOf.call(data); // 0 for a detached buffer
  const px = w * h;
  const channels = length === px * 4 ? 4 : length === px * 3 ? 3 : length === px ? 1 : 0;
  if (!channels)
    throw new ImageInputError(
      'IMAGE_DATA',
      `image.data has ${length} bytes${length === 0 ? ' (empty or detached)' : ''}; a ${w}x${h} image needs ${px * 4} (RGBA), ${px * 3} (RGB) or ${px} (grey)`,
    );
  // a plain Uint8Array over the same bytes: what the estimator copies is exactly what was checked
  const view = new Uint8Array(bufferOf.call(data), offsetOf.call(data), length);
  return { data: view, width: w, height: h, channels: channels as 1 | 3 | 4, bytes: length };
}
