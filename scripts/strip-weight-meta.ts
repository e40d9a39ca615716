/**
 * Rewrites shipped weight files with their provenance compacted (train/provenance.ts: the training
 * history and machine paths dropped) and every tensor unchanged: the script reads the file back and
 * checks each tensor's bytes (and int8 scales) against the original before it writes.
 *   npx tsx scripts/strip-weight-meta.ts weights/c3ae-daa.fp32.daaw weights/c3ae-daa.int8.daaw
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { readWeightFile, type StoredTensor } from '../src/format.ts';
import { writeWeightFile } from '../train/format-writer.ts';
import { compactProvenance } from '../train/provenance.ts';

const bytesOf = (t: StoredTensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

for (const path of process.argv.slice(2)) {
  const before = readFileSync(path);
  const f = readWeightFile(before);
  const out = writeWeightFile(f.config, f.precision, [...f.tensors.values()], compactProvenance(f.meta));
  const g = readWeightFile(out);
  if ([...g.tensors.keys()].join() !== [...f.tensors.keys()].join()) throw new Error(`${path}: tensor order changed`);
  for (const [name, t] of f.tensors) {
    const u = g.tensors.get(name)!;
    if (u.dtype !== t.dtype || u.shape.join() !== t.shape.join() || !same(bytesOf(u), bytesOf(t))) throw new Error(`${path}: ${name} changed`);
    if (t.scales && !same(new Uint8Array(u.scales!.buffer, u.scales!.byteOffset, u.scales!.byteLength), new Uint8Array(t.scales.buffer, t.scales.byteOffset, t.scales.byteLength))) throw new Error(`${path}: ${name} scales changed`);
  }
  writeFileSync(path, out);
  console.log(`${path}: ${before.length} -> ${out.length} bytes (meta ${JSON.stringify(f.meta).length} -> ${JSON.stringify(g.meta).length}); ${f.tensors.size} tensors bit-identical`);
}
