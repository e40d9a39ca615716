/**
 * JPEG and PNG bytes -> { data: RGBA, width, height }, on every runtime (Node, Deno, Bun, browsers,
 * Web Workers, workerd): JPEG with jpeg-js (bundled, pure JS: the same decoder as the training data
 * pipeline, so the same file gives the same pixels everywhere), PNG with a small decoder over the
 * standard DecompressionStream('deflate'). Exposed as `daa-wasm/decode`.
 */
import decodeJpeg from 'jpeg-js/lib/decoder.js';
import { ImageInputError } from '../errors.ts';
import { MAX_PIXELS, MAX_SIDE } from '../image.ts';

export interface DecodedImage {
  /** RGBA, 4 bytes per pixel, rows top to bottom */
  data: Uint8Array;
  width: number;
  height: number;
}

export type ImageFormat = 'jpeg' | 'png';

/** 'jpeg' or 'png' from the first bytes, or null. */
export function sniffImage(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  return null;
}

/** Decodes a JPEG or PNG file. Throws ImageInputError (IMAGE_DATA / IMAGE_SIZE) on anything else. */
export async function decodeImage(input: Uint8Array | ArrayBuffer): Promise<DecodedImage> {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const kind = sniffImage(bytes);
  if (kind === 'jpeg') {
    let img: { width: number; height: number; data: Uint8Array };
    try {
      img = decodeJpeg(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 512 });
    } catch (e) {
      throw new ImageInputError('IMAGE_DATA', `JPEG decode failed: ${(e as Error).message}`);
    }
    return { data: img.data, width: img.width, height: img.height };
  }
  if (kind === 'png') return decodePng(bytes);
  throw new ImageInputError('IMAGE_DATA', 'not a JPEG or PNG file (unrecognised first bytes)');
}

const bad = (msg: string) => new ImageInputError('IMAGE_DATA', `PNG decode failed: ${msg}`);

async function inflate(data: Uint8Array): Promise<Uint8Array> {
  if (typeof DecompressionStream !== 'function') throw bad('this runtime has no DecompressionStream');
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('deflate'));
  try {
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw bad(`corrupt image data (${(e as Error).message})`);
  }
}

/** PNG: every colour type, bit depths 1-16, Adam7 interlacing; 16-bit samples keep their high byte. */
export async function decodePng(b: Uint8Array): Promise<DecodedImage> {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let pos = 8;
  let width = 0, height = 0, depth = 0, ctype = 0, interlace = 0;
  let palette: Uint8Array | null = null;
  let trns: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let sawEnd = false;
  while (pos + 8 <= b.length) {
    const len = dv.getUint32(pos);
    const type = String.fromCharCode(b[pos + 4], b[pos + 5], b[pos + 6], b[pos + 7]);
    const body = pos + 8;
    if (body + len + 4 > b.length) throw bad(`chunk ${type} runs past the end of the file`);
    const chunk = b.subarray(body, body + len);
    if (type === 'IHDR') {
      width = dv.getUint32(body);
      height = dv.getUint32(body + 4);
      depth = b[body + 8];
      ctype = b[body + 9];
      interlace = b[body + 12];
    } else if (type === 'PLTE') palette = chunk;
    else if (type === 'tRNS') trns = chunk;
    else if (type === 'IDAT') idat.push(chunk);
    else if (type === 'IEND') {
      sawEnd = true;
      break;
    }
    pos = body + len + 4;
  }
  if (!width || !height) throw bad('no IHDR chunk');
  if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS)
    throw new ImageInputError('IMAGE_SIZE', `PNG of ${width}x${height} exceeds the size limit`);
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[ctype];
  if (!channels || ![1, 2, 4, 8, 16].includes(depth)) throw bad(`unsupported colour type ${ctype} / bit depth ${depth}`);
  if (ctype === 3 && !palette) throw bad('palette image without PLTE');
  if (!idat.length || !sawEnd) throw bad('truncated file (no IDAT or IEND)');
  let total = 0;
  for (const c of idat) total += c.length;
  const z = new Uint8Array(total);
  let o = 0;
  for (const c of idat) (z.set(c, o), (o += c.length));
  const raw = await inflate(z);

  const bpp = Math.max(1, (channels * depth) >> 3); // filter unit in bytes
  const out = new Uint8Array(width * height * 4);
  const maxV = (1 << Math.min(depth, 8)) - 1;
  let rp = 0;
  const passes = interlace
    ? [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]]
    : [[0, 0, 1, 1]];
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const stride = Math.ceil((pw * channels * depth) / 8);
    let prev = new Uint8Array(stride);
    for (let py = 0; py < ph; py++) {
      if (rp + 1 + stride > raw.length) throw bad('image data is shorter than the image');
      const f = raw[rp];
      const line = raw.slice(rp + 1, rp + 1 + stride);
      rp += 1 + stride;
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? line[i - bpp] : 0;
        const up = prev[i];
        const c = i >= bpp ? prev[i - bpp] : 0;
        let v: number;
        if (f === 0) v = 0;
        else if (f === 1) v = a;
        else if (f === 2) v = up;
        else if (f === 3) v = (a + up) >> 1;
        else if (f === 4) {
          const p = a + up - c;
          const pa = Math.abs(p - a), pb = Math.abs(p - up), pc = Math.abs(p - c);
          v = pa <= pb && pa <= pc ? a : pb <= pc ? up : c;
        } else throw bad(`bad filter type ${f}`);
        line[i] = (line[i] + v) & 255;
      }
      prev = line;
      const y = y0 + py * dy;
      for (let px = 0; px < pw; px++) {
        const x = x0 + px * dx;
        const s = (k: number): number => {
          // sample k of pixel px, scaled to 8 bits (palette indices unscaled)
          const idx = px * channels + k;
          if (depth === 8) return line[idx];
          if (depth === 16) return line[idx * 2];
          const bit = idx * depth;
          const v = (line[bit >> 3] >> (8 - depth - (bit & 7))) & maxV;
          return ctype === 3 ? v : Math.round((v * 255) / maxV);
        };
        const d = (y * width + x) * 4;
        if (ctype === 3) {
          const i = s(0);
          if (i * 3 + 2 >= palette!.length) throw bad(`palette index ${i} out of range`);
          out[d] = palette![i * 3];
          out[d + 1] = palette![i * 3 + 1];
          out[d + 2] = palette![i * 3 + 2];
          out[d + 3] = trns && i < trns.length ? trns[i] : 255;
        } else if (channels <= 2) {
          const g = s(0);
          out[d] = out[d + 1] = out[d + 2] = g;
          out[d + 3] = channels === 2 ? s(1) : 255;
        } else {
          out[d] = s(0);
          out[d + 1] = s(1);
          out[d + 2] = s(2);
          out[d + 3] = channels === 4 ? s(3) : 255;
        }
      }
    }
  }
  return { data: out, width, height };
}

/**
 * The EXIF orientation of a JPEG (1 = as stored, 2..8 = mirrored and/or rotated), 1 when there is
 * none. decodeImage() returns the pixels as stored; a caller that shows photos from phones may want
 * to rotate them (browsers' createImageBitmap applies it by default).
 */
export function jpegOrientation(b: Uint8Array): number {
  if (sniffImage(b) !== 'jpeg') return 1;
  let p = 2;
  while (p + 4 <= b.length && b[p] === 0xff) {
    const marker = b[p + 1];
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      p += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break; // start of scan / end: no more metadata
    const len = (b[p + 2] << 8) | b[p + 3];
    const s = p + 4;
    if (marker === 0xe1 && len >= 16 && b[s] === 0x45 && b[s + 1] === 0x78 && b[s + 2] === 0x69 && b[s + 3] === 0x66 && b[s + 4] === 0 && b[s + 5] === 0) {
      const t = s + 6; // TIFF header
      const end = Math.min(b.length, p + 2 + len);
      const le = b[t] === 0x49;
      if (!le && b[t] !== 0x4d) return 1;
      const u16 = (o: number) => (o + 2 <= end ? (le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1]) : 0);
      const u32 = (o: number) => (o + 4 <= end ? (le ? (u16(o) | (u16(o + 2) << 16)) >>> 0 : ((u16(o) << 16) | u16(o + 2)) >>> 0) : 0);
      const ifd = t + u32(t + 4);
      const n = u16(ifd);
      for (let i = 0; i < n; i++) {
        const e = ifd + 2 + i * 12;
        if (e + 12 > end) break;
        if (u16(e) === 0x0112) {
          const v = u16(e + 8);
          return v >= 1 && v <= 8 ? v : 1;
        }
      }
      return 1;
    }
    p += 2 + len;
  }
  return 1;
}
