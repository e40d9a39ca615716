/**
 * JPEG and PNG bytes -> { data: RGBA, width, height }, upright, the same pixels on every runtime
 * (Node, Deno, Bun, browsers, Web Workers, workerd). Exposed as `daa-wasm/decode`.
 *
 *  - JPEG with jpeg-js (bundled, pure JS: the same decoder as the training data pipeline), then the
 *    EXIF orientation (1-8) applied, as browsers do when they draw an image.
 *  - PNG with the decoder below over src/platform/inflate.ts (every colour type, bit depths 1-16,
 *    Adam7), synchronous and independent of the platform's DecompressionStream; the orientation of
 *    an eXIf chunk before the image data applied, as Chromium and Safari do.
 *
 * Hostile files: everything a file declares is checked before anything of that size is allocated.
 *  - width, height <= MAX_SIDE and width * height <= MAX_PIXELS (or the caller's smaller maxPixels);
 *  - PNG: no header may declare more scanline bytes than its compressed data can inflate to (1032x);
 *    the image data inflates into a buffer of exactly the size the header implies, and stops at its
 *    last byte (a deflate bomb is refused after at most that many bytes, src/platform/inflate.ts);
 *  - JPEG: a marker walk first (linear in the file) reads the frame and the scans: one frame header,
 *    at most MAX_JPEG_SCANS scans, MAX_JPEG_TABLES table segments and MAX_JPEG_SCAN_BLOCKS block visits
 *    in all, and no sequential or DC-first scan with more 8x8 blocks than its data has bits (each block
 *    costs at least one bit there: a 5 KB scan cannot declare a 16 Mpx picture and make the decoder
 *    fill it); jpeg-js then decodes with its own resolution and memory limits.
 * Memory per file is thus bounded by the declared pixel count (PNG: the inflated data, at most 8 bytes
 * a pixel plus a filter byte a row, and the RGBA output; JPEG: jpeg-js's accounting, under
 * JPEG_MEMORY_MB), and time by the file size. Every failure is an ImageInputError (IMAGE_DATA or
 * IMAGE_SIZE). Figures: docs/reliability.md.
 */
import decodeJpeg from 'jpeg-js/lib/decoder.js';
import { ImageInputError, OptionsError } from '../errors.ts';
import { MAX_PIXELS, MAX_SIDE } from '../image.ts';
import { inflateZlib, InflateError } from './inflate.ts';

export interface DecodedImage {
  /** RGBA, 4 bytes per pixel, rows top to bottom, upright (EXIF orientation applied) */
  data: Uint8Array;
  width: number;
  height: number;
}

export interface DecodeOptions {
  /** refuse images with more pixels than this (default and maximum MAX_PIXELS), before decoding */
  maxPixels?: number;
}

export type ImageFormat = 'jpeg' | 'png';

/** At most this many scans in a JPEG (progressive encoders write about 10). */
export const MAX_JPEG_SCANS = 64;
/** At most this many table segments (DHT, DQT, DRI, DAC) in a JPEG (encoders write 2 to 6; a few per scan when progressive). */
export const MAX_JPEG_TABLES = 256;
/** At most this many 8x8 blocks visited by all scans together (a 16 Mpx progressive photo: about 4M). */
export const MAX_JPEG_SCAN_BLOCKS = 8 << 20;
/** jpeg-js's memory limit per file, in MiB (a 4096x4096 colour JPEG needs about 200). */
export const JPEG_MEMORY_MB = 256;

/** 'jpeg' or 'png' from the first bytes, or null. */
export function sniffImage(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  return null;
}

function pixelLimit(opts: DecodeOptions | undefined): number {
  if (opts === undefined) return MAX_PIXELS;
  if (opts === null || typeof opts !== 'object') throw new OptionsError('decode options must be an object');
  for (const k of Object.keys(opts)) if (k !== 'maxPixels') throw new OptionsError(`unknown decode option '${k}' (known: maxPixels)`);
  const m = opts.maxPixels;
  if (m === undefined) return MAX_PIXELS;
  if (typeof m !== 'number' || !Number.isInteger(m) || m < 1 || m > MAX_PIXELS)
    throw new OptionsError(`maxPixels must be an integer in 1..${MAX_PIXELS}, got ${String(m)}`);
  return m;
}

function checkSize(kind: string, width: number, height: number, maxPixels: number): void {
  if (!width || !height) throw new ImageInputError('IMAGE_DATA', `${kind} decode failed: the header declares a ${width}x${height} image`);
  if (width > MAX_SIDE || height > MAX_SIDE || width * height > maxPixels)
    throw new ImageInputError('IMAGE_SIZE', `${kind} of ${width}x${height} exceeds the size limit (${MAX_SIDE} a side, ${maxPixels} pixels)`);
}

/** Decodes a JPEG or PNG file, synchronously. Throws ImageInputError (IMAGE_DATA / IMAGE_SIZE) on anything else. */
export function decodeImageSync(input: Uint8Array | ArrayBuffer, opts?: DecodeOptions): DecodedImage {
  const maxPixels = pixelLimit(opts);
  let bytes: Uint8Array;
  if (input instanceof Uint8Array) bytes = input;
  else if (input instanceof ArrayBuffer) bytes = new Uint8Array(input);
  else throw new ImageInputError('IMAGE_TYPE', 'decodeImage takes the file as a Uint8Array or ArrayBuffer');
  const kind = sniffImage(bytes);
  if (kind === 'jpeg') return decodeJpegFile(bytes, maxPixels);
  if (kind === 'png') return decodePngFile(bytes, maxPixels);
  throw new ImageInputError('IMAGE_DATA', 'not a JPEG or PNG file (unrecognised first bytes)');
}

/** Decodes a JPEG or PNG file (decodeImageSync behind a promise, for callers written against the async API). */
export async function decodeImage(input: Uint8Array | ArrayBuffer, opts?: DecodeOptions): Promise<DecodedImage> {
  return decodeImageSync(input, opts);
}

/** What a marker walk over a JPEG finds: the frame, the number of scans, the EXIF orientation. */
export interface JpegInfo {
  width: number;
  height: number;
  components: number;
  scans: number;
  /** frame headers (SOF markers): a JPEG has one */
  frames: number;
  /** table segments (DHT, DQT, DRI, DAC) */
  tables: number;
  orientation: number;
  /** 8x8 blocks visited by all scans together (a block of each component in the scan, per scan) */
  scanBlocks: number;
  /** scans that code every block they cover with at least one bit: sequential, or progressive DC-first */
  firstScans: number;
  /** a first scan whose blocks outnumber the bits of its entropy-coded data (a lying frame size) */
  underCoded: { blocks: number; bytes: number } | null;
}

/** Walks a JPEG's markers (skipping entropy-coded data) without decoding anything. Linear in the file. */
export function jpegInfo(b: Uint8Array): JpegInfo {
  const info: JpegInfo = { width: 0, height: 0, components: 0, scans: 0, frames: 0, tables: 0, orientation: 1, scanBlocks: 0, firstScans: 0, underCoded: null };
  // per component id: its 8x8 block count, from the frame size and its sampling factors
  const blocksOf = new Map<number, number>();
  let progressive = false;
  let p = 2;
  const n = b.length;
  while (p + 1 < n) {
    if (b[p] !== 0xff) {
      p++; // garbage between segments: jpeg-js skips it too
      continue;
    }
    const m = b[p + 1];
    if (m === 0xff) {
      p++; // fill byte
      continue;
    }
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7) || m === 0x00) {
      p += 2;
      continue;
    }
    if (m === 0xd9) break;
    if (p + 4 > n) break;
    const len = (b[p + 2] << 8) | b[p + 3];
    const s = p + 4;
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (!info.frames++ && s + 6 <= n) {
        info.height = (b[s + 1] << 8) | b[s + 2];
        info.width = (b[s + 3] << 8) | b[s + 4];
        info.components = b[s + 5];
        progressive = m === 0xc2 || m === 0xc6 || m === 0xca || m === 0xce;
        let hmax = 1, vmax = 1;
        const nc = Math.min(info.components, Math.max(0, Math.floor((n - s - 6) / 3)));
        for (let i = 0; i < nc; i++) {
          const hv = b[s + 7 + i * 3];
          hmax = Math.max(hmax, hv >> 4);
          vmax = Math.max(vmax, hv & 15);
        }
        for (let i = 0; i < nc; i++) {
          const id = b[s + 6 + i * 3], hv = b[s + 7 + i * 3];
          const bw = Math.ceil(Math.ceil((info.width * Math.max(1, hv >> 4)) / hmax) / 8);
          const bh = Math.ceil(Math.ceil((info.height * Math.max(1, hv & 15)) / vmax) / 8);
          blocksOf.set(id, bw * bh);
        }
      }
    } else if (m === 0xc4 || m === 0xdb || m === 0xdd || m === 0xcc) info.tables++; else if (m === 0xe1 && info.orientation === 1) info.orientation = exifOrientation(b, s, Math.min(n, p + 2 + len));
    p += 2 + len;
    if (m === 0xda) {
      info.scans++;
      const ns = s < n ? b[s] : 0;
      let blocks = 0;
      for (let i = 0; i < ns && s + 1 + i * 2 < n; i++) blocks += blocksOf.get(b[s + 1 + i * 2]) ?? 0;
      const ss = b[s + 1 + ns * 2] ?? 0, ah = (b[s + 3 + ns * 2] ?? 0) >> 4;
      // entropy-coded data runs to the next marker that is not a stuffed 0xff00 or a restart marker
      const data = p;
      while (p + 1 < n && !(b[p] === 0xff && b[p + 1] !== 0 && !(b[p + 1] >= 0xd0 && b[p + 1] <= 0xd7))) p++;
      info.scanBlocks += blocks;
      if (blocks && (!progressive || (ss === 0 && ah === 0))) {
        info.firstScans++;
        // each block costs at least one bit (a DC difference code) in such a scan
        if (blocks > 8 * (p - data) + 64 && !info.underCoded) info.underCoded = { blocks, bytes: p - data };
      }
    }
  }
  return info;
}

/** The orientation tag (0x0112) of an APP1 Exif segment's first IFD, 1 when absent or out of range. */
function exifOrientation(b: Uint8Array, s: number, end: number): number {
  if (!(s + 14 <= end && b[s] === 0x45 && b[s + 1] === 0x78 && b[s + 2] === 0x69 && b[s + 3] === 0x66 && b[s + 4] === 0 && b[s + 5] === 0)) return 1;
  return tiffOrientation(b, s + 6, end);
}

/**
 * The orientation tag of the first IFD of the TIFF structure at b[t..end) (what an APP1 Exif segment
 * holds after its 6-byte prefix, and a PNG eXIf chunk holds whole), 1 when absent or out of range.
 * Every read is bounds-checked against `end` (out of range reads as 0).
 */
function tiffOrientation(b: Uint8Array, t: number, end: number): number {
  if (t + 8 > end) return 1;
  const le = b[t] === 0x49;
  if (!le && b[t] !== 0x4d) return 1;
  const u16 = (o: number) => (o + 2 <= end ? (le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1]) : 0);
  const u32 = (o: number) => (o + 4 <= end ? (le ? (u16(o) | (u16(o + 2) << 16)) >>> 0 : ((u16(o) << 16) | u16(o + 2)) >>> 0) : 0);
  const ifd = t + u32(t + 4);
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > end) break;
    if (u16(e) === 0x0112) {
      const v = u16(e + 8);
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

/** The EXIF orientation of a JPEG (1 = as stored, 2..8 = mirrored and/or rotated), 1 when there is none. */
export function jpegOrientation(b: Uint8Array): number {
  return sniffImage(b) === 'jpeg' ? jpegInfo(b).orientation : 1;
}

function decodeJpegFile(bytes: Uint8Array, maxPixels: number): DecodedImage {
  const info = jpegInfo(bytes);
  if (!info.width && !info.height) throw new ImageInputError('IMAGE_DATA', 'JPEG decode failed: no frame header (SOF)');
  checkSize('JPEG', info.width, info.height, maxPixels);
  if (info.scans === 0) throw new ImageInputError('IMAGE_DATA', 'JPEG decode failed: no image data (no SOS marker)');
  if (info.scans > MAX_JPEG_SCANS) throw new ImageInputError('IMAGE_DATA', `JPEG decode failed: ${info.scans} scans (at most ${MAX_JPEG_SCANS})`);
  if (info.frames > 1) throw new ImageInputError('IMAGE_DATA', `JPEG decode failed: ${info.frames} frame headers (SOF); a JPEG has one`);
  if (info.tables > MAX_JPEG_TABLES) throw new ImageInputError('IMAGE_DATA', `JPEG decode failed: ${info.tables} table segments (at most ${MAX_JPEG_TABLES})`);
  if (!info.firstScans) throw new ImageInputError('IMAGE_DATA', 'JPEG decode failed: no scan codes the DC coefficients of the frame');
  if (info.underCoded)
    throw new ImageInputError(
      'IMAGE_DATA',
      `JPEG decode failed: a scan of ${info.underCoded.blocks} blocks of a ${info.width}x${info.height} frame has ${info.underCoded.bytes} bytes of data (truncated file or lying header)`,
    );
  if (info.scanBlocks > MAX_JPEG_SCAN_BLOCKS)
    throw new ImageInputError('IMAGE_DATA', `JPEG decode failed: its scans visit ${info.scanBlocks} blocks (at most ${MAX_JPEG_SCAN_BLOCKS})`);
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = decodeJpeg(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxPixels / 1e6, maxMemoryUsageInMB: JPEG_MEMORY_MB });
  } catch (e) {
    throw new ImageInputError('IMAGE_DATA', `JPEG decode failed: ${(e as Error)?.message ?? String(e)}`);
  }
  if (!img || !img.width || !img.height || !img.data || img.data.length !== img.width * img.height * 4)
    throw new ImageInputError('IMAGE_DATA', 'JPEG decode failed: no image came out');
  return orient(img, info.orientation);
}

/**
 * The upright picture of a stored one with EXIF orientation o: display pixel (x, y) is stored pixel
 * (sx, sy). 2 mirrors, 3 rotates 180, 4 flips, 5 transposes, 6 is stored rotated 90 degrees
 * anticlockwise (shown rotated clockwise), 7 transverses, 8 the opposite of 6.
 */
export function orient(img: DecodedImage, o: number): DecodedImage {
  if (o < 2 || o > 8) return img;
  const { width: W, height: H, data: src } = img;
  const swap = o >= 5;
  const w = swap ? H : W, h = swap ? W : H;
  const aligned = src.byteOffset % 4 === 0 ? src : src.slice();
  const s32 = new Uint32Array(aligned.buffer, aligned.byteOffset, W * H);
  const out = new Uint8Array(w * h * 4);
  const d32 = new Uint32Array(out.buffer);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let sx: number, sy: number;
      switch (o) {
        case 2: sx = W - 1 - x; sy = y; break;
        case 3: sx = W - 1 - x; sy = H - 1 - y; break;
        case 4: sx = x; sy = H - 1 - y; break;
        case 5: sx = y; sy = x; break;
        case 6: sx = y; sy = H - 1 - x; break;
        case 7: sx = W - 1 - y; sy = H - 1 - x; break;
        default: sx = W - 1 - y; sy = x; break; // 8
      }
      d32[y * w + x] = s32[sy * W + sx];
    }
  return { data: out, width: w, height: h };
}

const bad = (msg: string) => new ImageInputError('IMAGE_DATA', `PNG decode failed: ${msg}`);

const MAX_DEFLATE_RATIO = 1032;
const PASSES_ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
const PASSES_PLAIN = [[0, 0, 1, 1]];

/** PNG: every colour type, bit depths 1-16, Adam7 interlacing; 16-bit samples keep their high byte. */
export function decodePng(b: Uint8Array, opts?: DecodeOptions): DecodedImage {
  return decodePngFile(b, pixelLimit(opts));
}

function decodePngFile(b: Uint8Array, maxPixels: number): DecodedImage {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let pos = 8;
  let width = 0, height = 0, depth = 0, ctype = 0, interlace = 0;
  let palette: Uint8Array | null = null;
  let trns: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let sawEnd = false;
  let orientation = 1;
  while (pos + 8 <= b.length) {
    const len = dv.getUint32(pos);
    const type = String.fromCharCode(b[pos + 4], b[pos + 5], b[pos + 6], b[pos + 7]);
    const body = pos + 8;
    if (body + len + 4 > b.length) throw bad(`chunk ${type} runs past the end of the file`);
    const chunk = b.subarray(body, body + len);
    if (type === 'IHDR' && len >= 13 && !width) {
      width = dv.getUint32(body);
      height = dv.getUint32(body + 4);
      depth = b[body + 8];
      ctype = b[body + 9];
      interlace = b[body + 12];
    } else if (type === 'eXIf' && !idat.length && orientation === 1) {
      // EXIF orientation, read where browsers read it: the first eXIf chunk before the image data
      orientation = tiffOrientation(b, body, body + len);
    } else if (type === 'PLTE') palette = chunk;
    else if (type === 'tRNS') trns = chunk;
    else if (type === 'IDAT') idat.push(chunk);
    else if (type === 'IEND') {
      sawEnd = true;
      break;
    }
    pos = body + len + 4;
  }
  if (!width && !height) throw bad('no IHDR chunk');
  checkSize('PNG', width, height, maxPixels);
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[ctype];
  if (!channels || ![1, 2, 4, 8, 16].includes(depth)) throw bad(`unsupported colour type ${ctype} / bit depth ${depth}`);
  if (ctype === 3 && !palette) throw bad('palette image without PLTE');
  if (interlace > 1) throw bad(`unknown interlace method ${interlace}`);
  if (!idat.length || !sawEnd) throw bad('truncated file (no IDAT or IEND)');
  const passes = interlace ? PASSES_ADAM7 : PASSES_PLAIN;
  // the exact size of the filtered scanlines the header implies: inflating stops there
  let rawSize = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw > 0 && ph > 0) rawSize += ph * (1 + Math.ceil((pw * channels * depth) / 8));
  }
  let total = 0;
  for (const c of idat) total += c.length;
  // DEFLATE expands at most 1032x (a 258-byte match costs at least two bits): a header that declares
  // more than the data can hold is refused before its buffers are allocated
  if (rawSize > MAX_DEFLATE_RATIO * total + 1024)
    throw bad(`the header declares ${width}x${height} (${rawSize} bytes of scanlines) but the file holds ${total} compressed bytes`);
  const z = new Uint8Array(total);
  let o = 0;
  for (const c of idat) (z.set(c, o), (o += c.length));
  let raw: Uint8Array;
  try {
    raw = inflateZlib(z, rawSize);
  } catch (e) {
    if (e instanceof InflateError) throw bad(e.message);
    throw e;
  }

  const bpp = Math.max(1, (channels * depth) >> 3); // filter unit in bytes
  const out = new Uint8Array(width * height * 4);
  const maxV = (1 << Math.min(depth, 8)) - 1;
  /** sample `idx` of an unfiltered scanline, scaled to 8 bits (palette indices unscaled) */
  const sample = (line: Uint8Array, idx: number): number => {
    if (depth === 8) return line[idx];
    if (depth === 16) return line[idx * 2];
    const bit = idx * depth;
    const v = (line[bit >> 3] >> (8 - depth - (bit & 7))) & maxV;
    return ctype === 3 ? v : Math.round((v * 255) / maxV);
  };
  let rp = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const stride = Math.ceil((pw * channels * depth) / 8);
    let prev: Uint8Array = new Uint8Array(stride);
    for (let py = 0; py < ph; py++) {
      if (rp + 1 + stride > raw.length) throw bad('image data is shorter than the image');
      const f = raw[rp];
      const line = raw.subarray(rp + 1, rp + 1 + stride); // unfiltered in place
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
        const d = (y * width + x0 + px * dx) * 4;
        const idx = px * channels;
        if (ctype === 3) {
          const i = sample(line, idx);
          if (i * 3 + 2 >= palette!.length) throw bad(`palette index ${i} out of range`);
          out[d] = palette![i * 3];
          out[d + 1] = palette![i * 3 + 1];
          out[d + 2] = palette![i * 3 + 2];
          out[d + 3] = trns && i < trns.length ? trns[i] : 255;
        } else if (channels <= 2) {
          const g = sample(line, idx);
          out[d] = out[d + 1] = out[d + 2] = g;
          out[d + 3] = channels === 2 ? sample(line, idx + 1) : 255;
        } else {
          out[d] = sample(line, idx);
          out[d + 1] = sample(line, idx + 1);
          out[d + 2] = sample(line, idx + 2);
          out[d + 3] = channels === 4 ? sample(line, idx + 3) : 255;
        }
      }
    }
  }
  return orient({ data: out, width, height }, orientation);
}
