/**
 * Measures the face template of src/detect/align.ts: runs the detector on UTKFace training chips
 * pasted (unrotated, at 1x) in the middle of 256 x 256 flat grey canvases and averages the detected
 * keypoints as fractions of the chip side. Also reports, on the bare chips, how far the detected
 * chip transform is from the whole-image framing (the thresholds of framesWholeImage).
 *
 *   npx tsx scripts/detect-template.ts [--n 2000] [--data ../shared/data/utkface]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEstimator } from '../src/index.ts';
import { chipTransform } from '../src/detect/align.ts';
import { DEFAULT_DATA_DIR, decodeImage, imageDir, readLabels } from '../train/data.ts';
import { background, pasteChip } from '../train/canvas.ts';

const { values: a } = parseArgs({ options: { n: { type: 'string', default: '2000' }, data: { type: 'string', default: DEFAULT_DATA_DIR } } });
const rows = readLabels(a.data!).filter((r) => r.split === 'train');
const step = Math.max(1, Math.floor(rows.length / Number(a.n)));
const chosen = rows.filter((_, i) => i % step === 0).slice(0, Number(a.n));
const est = await createEstimator();
const S = est.config.inputSize;
const names = ['right eye', 'left eye', 'nose', 'mouth', 'right ear', 'left ear'];
const sum = names.map(() => ({ x: 0, y: 0, xx: 0, yy: 0 }));
let found = 0, bareFound = 0;
const bare = { scale: [] as number[], angle: [] as number[], tx: [] as number[], ty: [] as number[] };
const C = 256;
for (const r of chosen) {
  const img = decodeImage(new Uint8Array(readFileSync(join(imageDir(a.data!), r.file))), r.file);
  const side = img.width;
  const canvas = background('flat', C, C, 1);
  pasteChip(canvas, C, C, img.data, side, { cx: C / 2, cy: C / 2, size: side, angle: 0 });
  const faces = est.detectFaces({ data: canvas, width: C, height: C });
  if (faces.length) {
    found++;
    faces[0].keypoints.forEach((p, k) => {
      const fx = (p.x - (C - side) / 2) / side, fy = (p.y - (C - side) / 2) / side;
      sum[k].x += fx; sum[k].y += fy; sum[k].xx += fx * fx; sum[k].yy += fy * fy;
    });
  }
  const own = est.detectFaces(img);
  if (own.length) {
    bareFound++;
    const m = chipTransform(own[0].keypoints, S);
    const sx = img.width / S;
    bare.scale.push(Math.hypot(m[0], m[3]) / sx - 1);
    bare.angle.push((Math.atan2(m[3], m[0]) * 180) / Math.PI);
    bare.tx.push(m[2] / img.width);
    bare.ty.push(m[5] / img.height);
  }
}
console.log(`${new Date().toISOString()}  ${chosen.length} UTKFace train chips; found on canvases: ${found}; on the bare chips: ${bareFound}`);
names.forEach((n, k) => {
  const mx = sum[k].x / found, my = sum[k].y / found;
  const sx = Math.sqrt(sum[k].xx / found - mx * mx), sy = Math.sqrt(sum[k].yy / found - my * my);
  console.log(`${n.padEnd(10)} x ${mx.toFixed(3)} (sd ${sx.toFixed(3)})  y ${my.toFixed(3)} (sd ${sy.toFixed(3)})`);
});
const q = (v: number[], p: number) => [...v].sort((x, y) => x - y)[Math.min(v.length - 1, Math.floor(p * v.length))];
for (const [k, v] of Object.entries(bare)) {
  const abs = v.map(Math.abs);
  console.log(`bare chips: |${k}| p50 ${q(abs, 0.5).toFixed(4)} p95 ${q(abs, 0.95).toFixed(4)} p99 ${q(abs, 0.99).toFixed(4)} max ${q(abs, 1).toFixed(4)}`);
}
