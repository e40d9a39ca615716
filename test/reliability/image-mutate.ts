/**
 * Seeded hostile image files for the decoder fuzz (decode-fuzz.test.ts): a corpus of JPEG and PNG
 * files built here (every PNG colour type and bit depth, Adam7, split IDATs, palettes with tRNS, a
 * deflate bomb, tens of thousands of chunks, JPEGs with EXIF, many scans, many segments, lying frame
 * sizes), and mutations of them: bit flips, byte sets, truncations (anywhere and at segment
 * boundaries), splices, deletions, segment repeats (up to 5,000 copies), declared sizes overwritten
 * with edge values, header fields, PNG image data re-compressed after mutating the scanlines (so the
 * checksums hold and the unfiltering is reached), and deflate bombs under random headers.
 */
import { createRequire } from 'node:module';
import { deflateSync, inflateSync } from 'node:zlib';
import type { Rand } from './mutate.ts';
import { crc32Bytewise } from '../../src/crc32.ts';

export interface Seed {
  name: string;
  kind: 'jpeg' | 'png';
  bytes: Uint8Array;
}

export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32Bytewise(out, 4, 8 + data.length));
  return out;
}
const cat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
};
const SIG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]);
const CH: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function ihdr(w: number, h: number, depth: number, ctype: number, interlace: number): Uint8Array {
  const d = new Uint8Array(13);
  const dv = new DataView(d.buffer);
  dv.setUint32(0, w);
  dv.setUint32(4, h);
  d[8] = depth;
  d[9] = ctype;
  d[12] = interlace;
  return pngChunk('IHDR', d);
}

/** the byte size of the filtered scanlines of a PNG */
export function scanlineBytes(w: number, h: number, depth: number, ctype: number, interlace: number): number {
  const passes = interlace ? [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] : [[0, 0, 1, 1]];
  let n = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((w - x0) / dx), ph = Math.ceil((h - y0) / dy);
    if (pw > 0 && ph > 0) n += ph * (1 + Math.ceil((pw * CH[ctype] * depth) / 8));
  }
  return n;
}

/** A PNG of seeded scanlines (filter bytes 0-4, smooth data); `split` cuts the IDAT into pieces of that size. */
export function pngOf(r: Rand, o: { w: number; h: number; depth: number; ctype: number; interlace?: number; split?: number; extra?: Uint8Array[]; raw?: Uint8Array; z?: Uint8Array }): Uint8Array {
  const il = o.interlace ?? 0;
  let raw = o.raw;
  if (!raw) {
    // smooth seeded samples, a filter byte 0-4 at the start of every scanline of every pass
    raw = new Uint8Array(scanlineBytes(o.w, o.h, o.depth, o.ctype, il));
    const passes = il ? [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] : [[0, 0, 1, 1]];
    let v = r.int(0, 255);
    let p = 0;
    for (const [x0, y0, dx, dy] of passes) {
      const pw = Math.ceil((o.w - x0) / dx), ph = Math.ceil((o.h - y0) / dy);
      if (pw <= 0 || ph <= 0) continue;
      const stride = Math.ceil((pw * CH[o.ctype] * o.depth) / 8);
      for (let y = 0; y < ph; y++) {
        raw[p++] = r.int(0, 4);
        for (let i = 0; i < stride; i++) raw[p++] = (v = (v + r.int(-3, 3)) & 255);
      }
    }
  }
  const z = o.z ?? new Uint8Array(deflateSync(raw));
  const parts = [SIG, ihdr(o.w, o.h, o.depth, o.ctype, il)];
  if (o.ctype === 3) {
    // a full palette (2^depth entries): every index the scanlines can hold is defined
    const plte = new Uint8Array(3 << o.depth).map(() => r.int(0, 255));
    parts.push(pngChunk('PLTE', plte), pngChunk('tRNS', new Uint8Array([0, 128, 255])));
  }
  for (const e of o.extra ?? []) parts.push(e);
  const split = o.split ?? z.length;
  for (let i = 0; i < z.length; i += split) parts.push(pngChunk('IDAT', z.subarray(i, i + split)));
  parts.push(pngChunk('IEND', new Uint8Array(0)));
  return cat(parts);
}

const jpegJs = createRequire(import.meta.url)('jpeg-js') as { encode(img: { data: Uint8Array; width: number; height: number }, q: number): { data: Uint8Array } };

/** JPEG bytes (jpeg-js, baseline) of an RGBA picture. */
export const jpegOf = (rgba: Uint8Array, width: number, height: number, q = 85) => new Uint8Array(jpegJs.encode({ data: rgba, width, height }, q).data);

/** The segments of a JPEG: [offset, end) of each marker segment, SOS including its entropy-coded data. */
export function jpegSegments(b: Uint8Array): [number, number, number][] {
  const segs: [number, number, number][] = [];
  let p = 2;
  while (p + 4 <= b.length && b[p] === 0xff) {
    const m = b[p + 1];
    if (m === 0xd9) break;
    let end = p + 2 + ((b[p + 2] << 8) | b[p + 3]);
    if (m === 0xda) while (end + 1 < b.length && !(b[end] === 0xff && b[end + 1] !== 0 && !(b[end + 1] >= 0xd0 && b[end + 1] <= 0xd7))) end++;
    segs.push([p, Math.min(end, b.length), m]);
    p = end;
  }
  return segs;
}

/** The chunks of a PNG: [offset, end, type] of each. */
export function pngChunks(b: Uint8Array): [number, number, string][] {
  const out: [number, number, string][] = [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 8;
  while (p + 12 <= b.length) {
    const len = dv.getUint32(p);
    const end = p + 12 + len;
    if (end > b.length) break;
    out.push([p, end, String.fromCharCode(...b.subarray(p + 4, p + 8))]);
    p = end;
  }
  return out;
}

/** The seed corpus: `face` is an RGBA picture (a UTKFace chip or a synthetic one). */
export function buildCorpus(r: Rand, face: { data: Uint8Array; width: number; height: number }, faceJpeg: Uint8Array | null): Seed[] {
  const seeds: Seed[] = [];
  const add = (name: string, kind: 'jpeg' | 'png', bytes: Uint8Array) => seeds.push({ name, kind, bytes });
  const { data, width, height } = face;
  if (faceJpeg) add('face.jpg', 'jpeg', faceJpeg);
  add('face-q90.jpg', 'jpeg', jpegOf(data, width, height, 90));
  add('small-q40.jpg', 'jpeg', jpegOf(data.subarray(0, 24 * width * 4), width, 24, 40));
  const withExif = jpegOf(data, width, height, 70);
  const exif = new Uint8Array([0xff, 0xe1, 0, 34, 0x45, 0x78, 0x69, 0x66, 0, 0, 0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 1, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]);
  add('exif6.jpg', 'jpeg', cat([withExif.subarray(0, 2), exif, withExif.subarray(2)]));
  // 40 scans (under the scan limit) and 5,000 comment segments
  const segs = jpegSegments(withExif);
  const sos = segs.find((s) => s[2] === 0xda)!;
  add('40-scans.jpg', 'jpeg', cat([withExif.subarray(0, sos[0]), ...Array(40).fill(withExif.subarray(sos[0], sos[1])), new Uint8Array([0xff, 0xd9])]));
  const com = new Uint8Array([0xff, 0xfe, 0, 4, 0x41, 0x42]);
  add('5000-comments.jpg', 'jpeg', cat([withExif.subarray(0, 2), ...Array(5000).fill(com), withExif.subarray(2)]));
  // PNG: the face in RGBA, RGB, grey and grey+alpha (8 bit), 16-bit RGBA, palettes, low bit depths, Adam7
  const px = width * height;
  const rawOf = (ctype: number, depth: number) => {
    const ch = CH[ctype];
    const stride = 1 + Math.ceil((width * ch * depth) / 8);
    const raw = new Uint8Array(stride * height);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const s = (y * width + x) * 4;
        const vals = ctype === 6 ? [0, 1, 2, 3] : ctype === 2 ? [0, 1, 2] : ctype === 4 ? [1, 3] : [1];
        vals.forEach((c, k) => {
          if (depth === 16) raw[y * stride + 1 + (x * ch + k) * 2] = data[s + c];
          else if (depth === 8) raw[y * stride + 1 + x * ch + k] = data[s + c];
        });
      }
    return raw;
  };
  for (const [ctype, depth] of [[6, 8], [2, 8], [0, 8], [4, 8], [6, 16]] as const)
    add(`face-c${ctype}-d${depth}.png`, 'png', pngOf(r, { w: width, h: height, depth, ctype, raw: rawOf(ctype, depth) }));
  for (const [ctype, depth] of [[3, 1], [3, 2], [3, 4], [3, 8], [0, 1], [0, 2], [0, 4], [0, 16], [4, 16], [2, 16]] as const)
    add(`synth-c${ctype}-d${depth}.png`, 'png', pngOf(r, { w: 37, h: 23, depth, ctype }));
  add('adam7-c6.png', 'png', pngOf(r, { w: 33, h: 17, depth: 8, ctype: 6, interlace: 1 }));
  add('adam7-c3-d2.png', 'png', pngOf(r, { w: 19, h: 29, depth: 2, ctype: 3, interlace: 1 }));
  add('split-idat.png', 'png', pngOf(r, { w: width, h: height, depth: 8, ctype: 2, raw: rawOf(2, 8), split: 64 }));
  // 20,000 ancillary chunks before the image data
  const text = pngChunk('tEXt', new Uint8Array([0x61, 0, 0x62]));
  add('20000-chunks.png', 'png', pngOf(r, { w: 16, h: 16, depth: 8, ctype: 0, extra: Array(20000).fill(text) }));
  // a deflate bomb: a 64x64 header over 16 MiB of zeros (~16 KB compressed)
  add('bomb-16M.png', 'png', pngOf(r, { w: 64, h: 64, depth: 8, ctype: 6, z: new Uint8Array(deflateSync(new Uint8Array(16 << 20), { level: 9 })) }));
  void px;
  return seeds;
}

const EDGE_SIZES = [0, 1, 2, 7, 8, 9, 255, 256, 1000, 4095, 4096, 4097, 16383, 16384, 16385, 65535, 0x7fffffff, 0x80000000, 0xffffffff];
/** Compressed zeros of several sizes, made once: deflate bombs to put under random headers. */
const bombs = new Map<number, Uint8Array>();
const bomb = (n: number) => {
  let z = bombs.get(n);
  if (!z) bombs.set(n, (z = new Uint8Array(deflateSync(new Uint8Array(n), { level: 9 }))));
  return z;
};

/** One mutant of a seed (a fresh array) and the name of the mutation. */
export function mutateImage(r: Rand, s: Seed, all: Seed[]): { bytes: Uint8Array; op: string } {
  const src = s.bytes;
  const len = src.length;
  const ops = ['flip', 'flip', 'byte', 'trunc', 'trunc-seg', 'splice', 'delete', 'repeat', 'size', 'size', 'field', ...(s.kind === 'png' ? ['scanlines', 'scanlines', 'bomb'] : ['sof-size'])];
  const op = r.pick(ops);
  const b = src.slice();
  const segments: [number, number][] = s.kind === 'png' ? pngChunks(src).map(([a, e]) => [a, e]) : jpegSegments(src).map(([a, e]) => [a, e]);
  const headerOffset = () => (r() < 0.5 && segments.length ? r.pick(segments)[0] + r.int(0, 12) : r.int(0, len - 1));
  switch (op) {
    case 'flip':
      for (let n = r.int(1, 16); n > 0; n--) b[Math.min(len - 1, headerOffset())] ^= 1 << r.int(0, 7);
      return { bytes: b, op };
    case 'byte':
      for (let n = r.int(1, 8); n > 0; n--) b[Math.min(len - 1, headerOffset())] = r.pick([0, 0xff, 0x7f, 0x80, r.int(0, 255)]);
      return { bytes: b, op };
    case 'trunc':
      return { bytes: b.subarray(0, r.int(0, len - 1)), op };
    case 'trunc-seg': {
      const [a, e] = segments.length ? r.pick(segments) : [0, len];
      return { bytes: b.subarray(0, Math.max(0, Math.min(len, r() < 0.5 ? a + r.int(-2, 2) : e + r.int(-2, 2)))), op };
    }
    case 'splice': {
      const from = r() < 0.7 ? src : r.pick(all).bytes;
      const a = r.int(0, from.length - 1), n = r.int(1, Math.min(4096, from.length - a));
      const at = r.int(0, len);
      return { bytes: cat([b.subarray(0, at), from.subarray(a, a + n), b.subarray(at)]), op };
    }
    case 'delete': {
      const a = r.int(0, len - 1), n = r.int(1, Math.min(4096, len - a));
      return { bytes: cat([b.subarray(0, a), b.subarray(a + n)]), op };
    }
    case 'repeat': {
      // a segment or chunk repeated up to 5,000 times (huge chunk / scan / marker counts)
      if (!segments.length) return { bytes: b, op };
      const [a, e] = r.pick(segments);
      const k = r.pick([2, 10, 100, 1000, 5000]);
      if ((e - a) * k > 8 << 20) return { bytes: b, op: 'repeat-skipped' };
      return { bytes: cat([b.subarray(0, e), ...Array(k).fill(b.subarray(a, e)), b.subarray(e)]), op: `repeat` };
    }
    case 'size':
    case 'sof-size': {
      // the declared width / height overwritten with edge values (or a random one)
      const v = r() < 0.8 ? r.pick(EDGE_SIZES) : r.int(0, 5000);
      const dv = new DataView(b.buffer);
      if (s.kind === 'png') {
        if (len >= 24) dv.setUint32(r() < 0.5 ? 16 : 20, v >>> 0);
      } else {
        const sof = jpegSegments(src).find(([, , m]) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc);
        if (sof) dv.setUint16(sof[0] + (r() < 0.5 ? 5 : 7), v & 0xffff);
      }
      return { bytes: b, op: 'size' };
    }
    case 'field': {
      if (s.kind === 'png' && len > 28) b[24 + r.int(0, 4)] = r.pick([0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 32, 255]);
      else if (segments.length) {
        const [a] = r.pick(segments);
        new DataView(b.buffer).setUint16(Math.min(len - 2, a + 2), r.pick([0, 1, 2, 3, 0xffff, r.int(0, 0xffff)]));
      }
      return { bytes: b, op };
    }
    case 'scanlines': {
      // the image data inflated, its scanlines mutated (filter bytes included), deflated again: a
      // valid stream (checksums hold) of hostile scanlines, possibly longer or shorter than declared
      const chunks = pngChunks(src);
      const idat = chunks.filter(([, , t]) => t === 'IDAT');
      if (!idat.length) return { bytes: b, op };
      let raw: Uint8Array;
      try {
        raw = new Uint8Array(inflateSync(cat(idat.map(([a, e]) => src.subarray(a + 8, e - 4))), { maxOutputLength: 64 << 20 }));
      } catch {
        return { bytes: b, op: 'scanlines-skipped' };
      }
      const u = r();
      if (u < 0.2) raw = raw.subarray(0, r.int(0, raw.length));
      else if (u < 0.3) raw = cat([raw, new Uint8Array(r.int(1, 100000))]);
      else for (let n = r.int(1, 32); n > 0; n--) raw[r.int(0, Math.max(0, raw.length - 1))] = r.pick([5, 6, 255, 0, 4, r.int(0, 255)]);
      const z = new Uint8Array(deflateSync(raw));
      const first = idat[0][0], last = idat[idat.length - 1][1];
      return { bytes: cat([src.subarray(0, first), pngChunk('IDAT', z), src.subarray(last)]), op };
    }
    case 'bomb': {
      // zeros far past (or short of) what the header declares, under this seed's header
      const chunks = pngChunks(src);
      const idat = chunks.filter(([, , t]) => t === 'IDAT');
      if (!idat.length) return { bytes: b, op };
      const z = bomb(r.pick([1 << 10, 1 << 16, 1 << 20, 16 << 20, 64 << 20]));
      const first = idat[0][0], last = idat[idat.length - 1][1];
      const head = src.slice(0, first);
      if (r() < 0.5 && head.length >= 24) new DataView(head.buffer).setUint32(r() < 0.5 ? 16 : 20, r.pick([64, 1024, 4096, 16384]));
      return { bytes: cat([head, pngChunk('IDAT', z), src.subarray(last)]), op };
    }
  }
  return { bytes: b, op };
}
