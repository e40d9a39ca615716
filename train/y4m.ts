/**
 * YUV4MPEG2 (.y4m) video files from RGBA frames, 4:2:0 (I420), for Chromium's fake camera:
 *
 *   chromium --use-fake-device-for-media-stream --use-file-for-fake-video-capture=scene.y4m
 *
 * What Chromium's reader (media/capture/video/file_video_capture_device.cc) accepts, and so what this
 * writes: a header line of at most 200 bytes, `YUV4MPEG2 W<w> H<h> F<num>:<den> Ip A1:1 C420jpeg`
 * (C must be 420, 420jpeg, 420mpeg2 or 420paldv; the frame rate is num / den in integers), then per
 * frame exactly `FRAME\n` (no frame parameters) and the Y, U and V planes (U and V of
 * ceil(w / 2) x ceil(h / 2), each the mean of a 2 x 2 block). Colours are BT.601 limited range
 * (Y 16..235, Cb / Cr 16..240), what Chromium assumes for I420. The reader (`parseY4m`,
 * `i420ToRgba`) is here for tests and round trips.
 */
import * as fs from 'node:fs';

/** The header line (with its newline). */
export function y4mHeader(width: number, height: number, fps: number): string {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) throw new Error(`y4m: bad size ${width}x${height}`);
  if (!(Number.isInteger(fps) && fps > 0)) throw new Error(`y4m: fps must be a positive integer, got ${fps}`);
  return `YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`;
}

/** Bytes of one I420 frame. */
export const i420Bytes = (width: number, height: number) => width * height + 2 * Math.ceil(width / 2) * Math.ceil(height / 2);

const clamp8 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/** RGBA (alpha ignored) to I420, BT.601 limited range; chroma is the mean over each 2 x 2 block. */
export function rgbaToI420(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number, out?: Uint8Array): Uint8Array {
  if (rgba.length !== width * height * 4) throw new Error(`y4m: frame has ${rgba.length} bytes, expected ${width * height * 4} (RGBA ${width}x${height})`);
  const dst = out ?? new Uint8Array(i420Bytes(width, height));
  const cw = Math.ceil(width / 2), ch = Math.ceil(height / 2), U = width * height, V = U + cw * ch;
  for (let i = 0, p = 0; i < width * height; i++, p += 4)
    dst[i] = clamp8(16 + (65.481 * rgba[p] + 128.553 * rgba[p + 1] + 24.966 * rgba[p + 2]) / 255);
  for (let cy = 0; cy < ch; cy++)
    for (let cx = 0; cx < cw; cx++) {
      let r = 0, g = 0, b = 0, n = 0;
      for (let y = 2 * cy; y < Math.min(height, 2 * cy + 2); y++)
        for (let x = 2 * cx; x < Math.min(width, 2 * cx + 2); x++, n++) {
          const p = (y * width + x) * 4;
          r += rgba[p];
          g += rgba[p + 1];
          b += rgba[p + 2];
        }
      r /= n;
      g /= n;
      b /= n;
      dst[U + cy * cw + cx] = clamp8(128 + (-37.797 * r - 74.203 * g + 112 * b) / 255);
      dst[V + cy * cw + cx] = clamp8(128 + (112 * r - 93.786 * g - 18.214 * b) / 255);
    }
  return dst;
}

/** I420 (BT.601 limited range) back to RGBA, chroma taken from each pixel's 2 x 2 block. */
export function i420ToRgba(yuv: Uint8Array, width: number, height: number, out?: Uint8ClampedArray): Uint8ClampedArray {
  const dst = out ?? new Uint8ClampedArray(width * height * 4);
  const cw = Math.ceil(width / 2), U = width * height, V = U + cw * Math.ceil(height / 2);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const c = (y >> 1) * cw + (x >> 1);
      const l = 1.164383 * (yuv[y * width + x] - 16), cb = yuv[U + c] - 128, cr = yuv[V + c] - 128;
      const p = (y * width + x) * 4;
      dst[p] = l + 1.596027 * cr;
      dst[p + 1] = l - 0.391762 * cb - 0.812968 * cr;
      dst[p + 2] = l + 2.017232 * cb;
      dst[p + 3] = 255;
    }
  return dst;
}

/** Writes a .y4m file frame by frame (constant memory: one I420 buffer). */
export class Y4mWriter {
  readonly width: number;
  readonly height: number;
  frames = 0;
  private fd: number;
  private buf: Uint8Array;
  private static readonly FRAME = new TextEncoder().encode('FRAME\n');

  constructor(path: string, width: number, height: number, fps = 30) {
    const header = y4mHeader(width, height, fps);
    this.width = width;
    this.height = height;
    this.buf = new Uint8Array(i420Bytes(width, height));
    this.fd = fs.openSync(path, 'w');
    fs.writeSync(this.fd, header);
  }

  /** Appends one RGBA frame. */
  write(rgba: Uint8Array | Uint8ClampedArray): void {
    rgbaToI420(rgba, this.width, this.height, this.buf);
    fs.writeSync(this.fd, Y4mWriter.FRAME);
    fs.writeSync(this.fd, this.buf);
    this.frames++;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

export interface Y4mFile {
  width: number;
  height: number;
  /** frame rate as written: numerator, denominator */
  fps: [number, number];
  colorspace: string;
  /** each frame's I420 bytes (views into the file's bytes) */
  frames: Uint8Array[];
}

/** Reads a .y4m file of 4:2:0 frames written as Chromium reads them (frame headers exactly `FRAME\n`). */
export function parseY4m(bytes: Uint8Array): Y4mFile {
  const nl = bytes.indexOf(10);
  if (nl < 0 || nl > 200) throw new Error('y4m: no header line within 200 bytes');
  const header = new TextDecoder().decode(bytes.subarray(0, nl));
  const tags = header.split(' ');
  if (tags[0] !== 'YUV4MPEG2') throw new Error(`y4m: bad magic ${JSON.stringify(tags[0])}`);
  let width = 0, height = 0, fps: [number, number] = [0, 1], colorspace = '420jpeg';
  for (const t of tags.slice(1)) {
    if (t[0] === 'W') width = Number(t.slice(1));
    else if (t[0] === 'H') height = Number(t.slice(1));
    else if (t[0] === 'F') fps = t.slice(1).split(':').map(Number) as [number, number];
    else if (t[0] === 'C') colorspace = t.slice(1);
  }
  if (!colorspace.startsWith('420')) throw new Error(`y4m: colour space ${colorspace} is not 4:2:0`);
  const size = i420Bytes(width, height);
  const frames: Uint8Array[] = [];
  let p = nl + 1;
  const tag = 'FRAME\n';
  while (p < bytes.length) {
    for (let i = 0; i < tag.length; i++) if (bytes[p + i] !== tag.charCodeAt(i)) throw new Error(`y4m: frame ${frames.length} does not start with FRAME\\n at byte ${p}`);
    p += tag.length;
    if (p + size > bytes.length) throw new Error(`y4m: frame ${frames.length} is truncated`);
    frames.push(bytes.subarray(p, p + size));
    p += size;
  }
  return { width, height, fps, colorspace, frames };
}
