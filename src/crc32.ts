/**
 * CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zlib's crc32. `crc32` slices by 8 (about
 * 4x the byte-wise loop on weight files); `crc32Bytewise` is the plain reference it is tested against.
 */
let table: Uint32Array | undefined;

function makeTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

export function crc32Bytewise(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = (table ??= makeTable());
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

let crcTables: Uint32Array[] | undefined;
function makeCrcTables(): Uint32Array[] {
  const t0 = (table ??= makeTable());
  const t = [t0, ...Array.from({ length: 7 }, () => new Uint32Array(256))];
  for (let n = 0; n < 256; n++) for (let k = 1; k < 8; k++) t[k][n] = (t0[t[k - 1][n] & 0xff] ^ (t[k - 1][n] >>> 8)) >>> 0;
  return t;
}

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = (crcTables ??= makeCrcTables());
  let c = 0xffffffff;
  let i = start;
  for (const stop = end - 8; i <= stop; i += 8) {
    const a = c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    c =
      t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24] ^
      t3[bytes[i + 4]] ^ t2[bytes[i + 5]] ^ t1[bytes[i + 6]] ^ t0[bytes[i + 7]];
  }
  for (; i < end; i++) c = t0[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
