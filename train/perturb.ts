/**
 * Image perturbations for evaluation: what users' photos do to a face chip that the training chips do
 * not (misalignment, JPEG at low quality, colour casts, greyscale, blur, low light). All work on RGB u8
 * images (train/data.ts RgbImage: row-major, 3 bytes a pixel, no padding) and return new images;
 * nothing here is random, the callers draw their parameters from a seeded generator.
 */
import * as jpeg from 'jpeg-js';
import { decodeImage, gaussianBlurRgb, type RgbImage } from './data.ts';

/** A similarity view about the image centre: output pixel p samples the source at
 *  c + R(-angleDeg) (p - c) / zoom + (dx, dy), mirrored left-right first when `flip`. */
export interface View {
  flip: boolean;
  zoom: number;
  dx: number;
  dy: number;
  angleDeg?: number;
}

/** An exact left-right mirror under warp (test/train/perturb.test.ts): test-time flip's second view. */
export const MIRROR: View = { flip: true, zoom: 1, dx: 0, dy: 0 };

/** Bilinear resample of an RGB image under a view; edge pixels repeated outside the source. */
export function warp(img: RgbImage, v: View): RgbImage {
  const { width: w, height: h, data: s } = img;
  const out = new Uint8Array(w * h * 3);
  const cx = (w - 1) / 2, cy = (h - 1) / 2;
  const t = ((v.angleDeg ?? 0) * Math.PI) / 180;
  const cos = Math.cos(t) / v.zoom, sin = Math.sin(t) / v.zoom;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const px = (v.flip ? w - 1 - x : x) - cx, py = y - cy;
      const fx = Math.min(w - 1, Math.max(0, cx + cos * px + sin * py + v.dx));
      const fy = Math.min(h - 1, Math.max(0, cy - sin * px + cos * py + v.dy));
      const x0 = Math.floor(fx), x1 = Math.min(w - 1, x0 + 1), tx = fx - x0;
      const y0 = Math.floor(fy), y1 = Math.min(h - 1, y0 + 1), ty = fy - y0;
      for (let c = 0; c < 3; c++) {
        const top = s[(y0 * w + x0) * 3 + c] * (1 - tx) + s[(y0 * w + x1) * 3 + c] * tx;
        const bot = s[(y1 * w + x0) * 3 + c] * (1 - tx) + s[(y1 * w + x1) * 3 + c] * tx;
        out[(y * w + x) * 3 + c] = Math.round(top * (1 - ty) + bot * ty);
      }
    }
  return { data: out, width: w, height: h };
}

/** The image blurred with a Gaussian of `sigma` pixels (radius ceil(3 sigma)), rounded back to u8. */
export function blurred(img: RgbImage, sigma: number): RgbImage {
  const n = img.width * img.height * 3;
  const tmp = new Float32Array(n), f = new Float32Array(n);
  gaussianBlurRgb(img.data, 0, img.width, img.height, sigma, 3, tmp, f, 0);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.min(255, Math.round(f[i]));
  return { data: out, width: img.width, height: img.height };
}

/** The image encoded as a baseline JPEG at `quality` (1-100, jpeg-js) and decoded again. */
export function jpegRoundTrip(img: RgbImage, quality: number): RgbImage {
  const n = img.width * img.height;
  const rgba = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    rgba[i * 4] = img.data[i * 3];
    rgba[i * 4 + 1] = img.data[i * 3 + 1];
    rgba[i * 4 + 2] = img.data[i * 3 + 2];
    rgba[i * 4 + 3] = 255;
  }
  const bytes = jpeg.encode({ data: rgba, width: img.width, height: img.height }, quality).data;
  return decodeImage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), `jpeg q${quality}`);
}

/** Per-channel gains (a white-balance or exposure change), values rounded and saturated at 255. */
export function channelGains(img: RgbImage, r: number, g: number, b: number): RgbImage {
  const out = new Uint8Array(img.data.length);
  const k = [r, g, b];
  for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.round(img.data[i] * k[i % 3]));
  return { data: out, width: img.width, height: img.height };
}

/** Greyscale (BT.601 luma) written to all three channels. */
export function greyscale(img: RgbImage): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i += 3) {
    const y = Math.round(0.299 * img.data[i] + 0.587 * img.data[i + 1] + 0.114 * img.data[i + 2]);
    out[i] = out[i + 1] = out[i + 2] = y;
  }
  return { data: out, width: img.width, height: img.height };
}
