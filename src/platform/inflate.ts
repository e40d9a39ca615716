/**
 * zlib / DEFLATE decompression (RFC 1950, RFC 1951) into a buffer of a size fixed up front, for PNG
 * image data. Written here rather than taken from the platform (DecompressionStream, node:zlib) or a
 * library because the limit must hold while inflating: the caller knows from the PNG header exactly
 * how many bytes the image data inflates to, and a stream that would write one byte past them stops
 * there (a deflate bomb costs at most those bytes and the time to produce them). Every other cost is
 * bounded too: decode tables are built at most once per block and their total size is charged to a
 * work budget proportional to the output, so a file made of thousands of tiny dynamic blocks cannot
 * spend more time than a plain one of the same output size.
 *
 * Decoding: canonical Huffman codes in flat lookup tables indexed by the next `bits` input bits
 * (LSB first, as DEFLATE packs them); an entry is (symbol << 4) | code length, 0 = no such code.
 */

export class InflateError extends Error {}

const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/** the order in which code-length code lengths are stored in a dynamic block header */
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

interface Table {
  entries: Uint16Array;
  bits: number;
}

/** Canonical Huffman lookup table from code lengths (0 = unused symbol). */
function buildTable(lengths: Uint8Array, n: number): Table {
  const count = new Uint16Array(16);
  let bits = 0;
  for (let s = 0; s < n; s++) {
    count[lengths[s]]++;
    if (lengths[s] > bits) bits = lengths[s];
  }
  count[0] = 0;
  // over-subscribed code lengths describe no prefix code; incomplete ones are allowed (RFC 1951
  // permits a single distance code) and their unused entries stay 0 = invalid
  let left = 1;
  for (let len = 1; len <= 15; len++) {
    left = (left << 1) - count[len];
    if (left < 0) throw new InflateError('over-subscribed Huffman code');
  }
  const next = new Uint16Array(16);
  for (let len = 1, code = 0; len <= 15; len++) {
    code = (code + count[len - 1]) << 1;
    next[len] = code;
  }
  const entries = new Uint16Array(1 << bits);
  for (let s = 0; s < n; s++) {
    const len = lengths[s];
    if (!len) continue;
    let code = next[len]++;
    let rev = 0; // codes are packed MSB first within the LSB-first bit stream: index by the reversed code
    for (let i = 0; i < len; i++, code >>= 1) rev = (rev << 1) | (code & 1);
    for (let i = rev; i < entries.length; i += 1 << len) entries[i] = (s << 4) | len;
  }
  return { entries, bits };
}

let fixedLit: Table | null = null;
let fixedDist: Table | null = null;
function fixedTables(): [Table, Table] {
  if (!fixedLit || !fixedDist) {
    const l = new Uint8Array(288);
    l.fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288);
    fixedLit = buildTable(l, 288);
    fixedDist = buildTable(new Uint8Array(30).fill(5), 30);
  }
  return [fixedLit, fixedDist];
}

function adler32(d: Uint8Array): number {
  let a = 1, b = 0;
  // 5552 bytes is the most that can be summed before b can exceed 2^32 (RFC 1950's NMAX)
  for (let i = 0; i < d.length; ) {
    const n = Math.min(d.length, i + 5552);
    for (; i < n; i++) b += a += d[i];
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * Inflates a zlib stream into exactly `size` bytes. Throws InflateError when the stream is malformed,
 * ends before `size` bytes, would write past `size` bytes (stopped at that byte), or fails its Adler-32.
 * `workBudget`: decode-table entries that may be built in all (default 8 * size + 2^20).
 */
export function inflateZlib(src: Uint8Array, size: number, workBudget = 8 * size + (1 << 20)): Uint8Array {
  if (src.length < 2) throw new InflateError('no zlib header');
  const cmf = src[0], flg = src[1];
  if ((cmf & 15) !== 8 || (cmf >> 4) > 7 || ((cmf << 8) | flg) % 31 !== 0) throw new InflateError('bad zlib header');
  if (flg & 0x20) throw new InflateError('zlib preset dictionary is not allowed in PNG');
  const out = new Uint8Array(size);
  const end = src.length;
  let pos = 2; // next input byte
  let buf = 0; // bit buffer, LSB = next bit
  let cnt = 0; // bits in buf (<= 24 between refills)
  let over = 0; // zero bits padded past the end of the input (an error once consumed)
  let o = 0; // bytes written
  let work = 0;

  const need = (n: number) => {
    while (cnt < n) {
      if (pos < end) buf |= src[pos++] << cnt;
      else over += 8;
      cnt += 8;
    }
  };
  const take = (n: number): number => {
    need(n);
    const v = buf & ((1 << n) - 1);
    buf >>>= n;
    cnt -= n;
    if (over > cnt) throw new InflateError('compressed data is truncated');
    return v;
  };
  const decode = (t: Table): number => {
    need(t.bits);
    const e = t.entries[buf & ((1 << t.bits) - 1)];
    if (e === 0) throw new InflateError('invalid Huffman code');
    const len = e & 15;
    buf >>>= len;
    cnt -= len;
    if (over > cnt) throw new InflateError('compressed data is truncated');
    return e >> 4;
  };
  const charge = (t: Table) => {
    work += t.entries.length;
    if (work > workBudget) throw new InflateError('compressed data needs too many decode tables for its size');
    return t;
  };

  let final = 0;
  const lengths = new Uint8Array(288 + 32);
  while (!final) {
    final = take(1);
    const type = take(2);
    if (type === 0) {
      // stored: skip to the byte boundary; whole bytes already in the bit buffer go back to the input
      const drop = cnt & 7;
      buf >>>= drop;
      cnt -= drop;
      if (over > cnt) throw new InflateError('compressed data is truncated');
      pos -= (cnt - over) >> 3;
      buf = cnt = over = 0;
      if (pos + 4 > end) throw new InflateError('compressed data is truncated');
      const len = src[pos] | (src[pos + 1] << 8);
      const nlen = src[pos + 2] | (src[pos + 3] << 8);
      if ((len ^ 0xffff) !== nlen) throw new InflateError('stored block length check failed');
      pos += 4;
      if (pos + len > end) throw new InflateError('compressed data is truncated');
      if (o + len > size) throw new InflateError(`image data inflates past the ${size} bytes its header declares`);
      out.set(src.subarray(pos, pos + len), o);
      o += len;
      pos += len;
      continue;
    }
    let lit: Table, dist: Table;
    if (type === 1) [lit, dist] = fixedTables();
    else if (type === 2) {
      const nlit = take(5) + 257, ndist = take(5) + 1, ncl = take(4) + 4;
      if (nlit > 286 || ndist > 30) throw new InflateError('bad dynamic block header');
      lengths.fill(0, 0, 19);
      for (let i = 0; i < ncl; i++) lengths[CL_ORDER[i]] = take(3);
      const cl = charge(buildTable(lengths, 19));
      lengths.fill(0);
      for (let i = 0; i < nlit + ndist; ) {
        const sym = decode(cl);
        if (sym < 16) lengths[i++] = sym;
        else {
          let rep: number, v = 0;
          if (sym === 16) {
            if (i === 0) throw new InflateError('repeat with no previous length');
            v = lengths[i - 1];
            rep = 3 + take(2);
          } else if (sym === 17) rep = 3 + take(3);
          else rep = 11 + take(7);
          if (i + rep > nlit + ndist) throw new InflateError('code lengths overrun');
          lengths.fill(v, i, i + rep);
          i += rep;
        }
      }
      if (lengths[256] === 0) throw new InflateError('no end-of-block code');
      lit = charge(buildTable(lengths.subarray(0, nlit), nlit));
      dist = charge(buildTable(lengths.subarray(nlit, nlit + ndist), ndist));
    } else throw new InflateError('invalid block type 3');
    for (;;) {
      const sym = decode(lit);
      if (sym < 256) {
        if (o >= size) throw new InflateError(`image data inflates past the ${size} bytes its header declares`);
        out[o++] = sym;
      } else if (sym === 256) break;
      else {
        const li = sym - 257;
        if (li >= 29) throw new InflateError('invalid length code');
        const len = LEN_BASE[li] + take(LEN_EXTRA[li]);
        const di = decode(dist);
        if (di >= 30) throw new InflateError('invalid distance code');
        const d = DIST_BASE[di] + take(DIST_EXTRA[di]);
        if (d > o) throw new InflateError('distance reaches before the start of the data');
        if (o + len > size) throw new InflateError(`image data inflates past the ${size} bytes its header declares`);
        for (let k = 0; k < len; k++, o++) out[o] = out[o - d];
      }
    }
  }
  if (o < size) throw new InflateError(`image data ends after ${o} of the ${size} bytes its header declares`);
  // the Adler-32 of the output follows, big-endian, from the next byte boundary
  pos -= (cnt - (cnt & 7) - over) >> 3;
  if (pos + 4 > end) throw new InflateError('compressed data is truncated (no checksum)');
  const want = ((src[pos] << 24) | (src[pos + 1] << 16) | (src[pos + 2] << 8) | src[pos + 3]) >>> 0;
  if (adler32(out) !== want) throw new InflateError('image data checksum (Adler-32) mismatch');
  return out;
}
