/**
 * Input validation and preprocessing. An image is ImageData-like: { data, width, height } with
 * data a Uint8Array or Uint8ClampedArray of width * height * channels bytes, channels 4 (RGBA,
 * alpha ignored), 3 (RGB) or 1 (grey, replicated). The resize to the model's input (bilinear, half
 * pixel centres, as the reference's tf.image.resizeBilinear(.., false, true)) and the scaling to
 * [0, 1] run in one wasm kernel.
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
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an Array' : typeof v === 'object' ? Object.prototype.toString.call(v) : `${typeof v} ${String(v)}`);

export function checkImage(image: unknown): CheckedImage {
  if (!image || typeof image !== 'object')
    throw new ImageInputError('IMAGE_TYPE', `image must be an object { data, width, height }, got ${describe(image)}`);
  const { data, width, height } = image as Record<string, unknown>;
  for (const [k, v] of [['width', width], ['height', height]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      throw new ImageInputError('IMAGE_SIZE', `image.${k} must be a positive integer, got ${describe(v)}`);
    if (v > MAX_SIDE) throw new ImageInputError('IMAGE_SIZE', `image.${k} ${v} exceeds the limit of ${MAX_SIDE} pixels`);
  }
  const w = width as number;
  const h = height as number;
  if (w * h > MAX_PIXELS) throw new ImageInputError('IMAGE_SIZE', `image of ${w}x${h} exceeds the limit of ${MAX_PIXELS} pixels`);
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray))
    throw new ImageInputError('IMAGE_TYPE', `image.data must be a Uint8Array or Uint8ClampedArray, got ${describe(data)}`);
  const px = w * h;
  const channels = data.length === px * 4 ? 4 : data.length === px * 3 ? 3 : data.length === px ? 1 : 0;
  if (!channels)
    throw new ImageInputError(
      'IMAGE_DATA',
      `image.data has ${data.length} bytes; a ${w}x${h} image needs ${px * 4} (RGBA), ${px * 3} (RGB) or ${px} (grey)`,
    );
  return { data, width: w, height: h, channels: channels as 1 | 3 | 4 };
}
