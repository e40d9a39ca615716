/**
 * Decoding, weighted NMS and alignment on known outputs (no weights, no kernels): anchors of the
 * short-range config, box / keypoint decoding of hand-made regressors, MediaPipe's weighted NMS on
 * hand-made detections, the least-squares similarity on exact and noisy point sets.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { detectorAnchors, decodeFaces, weightedNms, iou, scoreOf, type RawFace } from '../../src/detect/decode.ts';
import { similarity, chipTransform, FACE_TEMPLATE, affineScale } from '../../src/detect/align.ts';
import { readDetectorWeights } from '../../src/detect/weights.ts';
import { anchorCount } from '../../src/detect/arch.ts';
import { WeightFormatError } from '../../src/errors.ts';
import { DETECTOR_FILE } from './util.ts';

const cfg = readDetectorWeights(readFileSync(DETECTOR_FILE)).config;
const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('the converted config: 16 blocks, heads on 16x16 (2 anchors) and 8x8 (6 anchors), 896 anchors', () => {
  assert.is(cfg.inputSize, 128);
  assert.is(cfg.blocks.length, 16);
  assert.equal(cfg.heads, [{ after: 10, anchors: 2 }, { after: 15, anchors: 6 }]);
  assert.is(anchorCount(cfg), 896);
  assert.is(cfg.coords, 16);
});

test('anchors: cell centres, row-major, anchors of a cell adjacent (MediaPipe fixed_anchor_size)', () => {
  const a = detectorAnchors(cfg);
  assert.is(a.length, 896 * 2);
  // first cell of the 16x16 grid, twice
  assert.equal([...a.slice(0, 4)], [0.5 / 16, 0.5 / 16, 0.5 / 16, 0.5 / 16].map(Math.fround));
  // anchor 2: second cell (x = 1)
  close(a[4], 1.5 / 16, 1e-7, 'anchor 2 x');
  // anchor 512: first cell of the 8x8 grid; 512 + 6 * 9: cell (1, 1)
  close(a[1024], 0.5 / 8, 1e-7, 'anchor 512 x');
  close(a[2 * (512 + 54)], 1.5 / 8, 1e-7, 'anchor 566 x');
  close(a[2 * (512 + 54) + 1], 1.5 / 8, 1e-7, 'anchor 566 y');
});

test('decodeFaces: offsets in input pixels around the anchor, keypoints likewise, logit threshold', () => {
  const a = detectorAnchors(cfg);
  const scores = new Float32Array(896).fill(-10);
  const boxes = new Float32Array(896 * 16);
  const i = 600;
  scores[i] = 2; // sigmoid 0.8808
  boxes.set([6.4, -12.8, 32, 64, -8, -8, 8, -8, 0, 0, 0, 8, -16, 0, 16, 0], i * 16);
  const faces = decodeFaces(scores, boxes, a, 16, 6, 128, 0.5);
  assert.is(faces.length, 1);
  const f = faces[0];
  close(f.score, 1 / (1 + Math.exp(-2)), 1e-12, 'score');
  const cx = a[2 * i] + 0.05, cy = a[2 * i + 1] - 0.1;
  close(f.box.x, cx - 0.125, 1e-6, 'x'); close(f.box.y, cy - 0.25, 1e-6, 'y');
  close(f.box.width, 0.25, 1e-6, 'w'); close(f.box.height, 0.5, 1e-6, 'h');
  close(f.keypoints[0].x, a[2 * i] - 1 / 16, 1e-6, 'right eye x');
  close(f.keypoints[3].y, a[2 * i + 1] + 1 / 16, 1e-6, 'mouth y');
  assert.is(decodeFaces(scores, boxes, a, 16, 6, 128, 0.9).length, 0, 'below threshold');
  assert.is(decodeFaces(scores, boxes, a, 16, 6, 128, 0).length, 896, 'threshold 0 keeps all');
  close(scoreOf(1e9), 1 / (1 + Math.exp(-100)), 0, 'clipped at +100');
});

const face = (x: number, y: number, s: number, score: number, k = 0): RawFace => ({
  box: { x, y, width: s, height: s }, score, keypoints: [{ x: x + k, y }, { x: x + s, y: y + k }],
});

test('weightedNms: overlapping detections merge to their score-weighted mean; the top score stays', () => {
  const out = weightedNms([face(0, 0, 10, 0.6, 2), face(1, 0, 10, 0.9), face(50, 50, 10, 0.7), face(0.5, 1, 10, 0.3, 4)]);
  assert.is(out.length, 2);
  assert.is(out[0].score, 0.9);
  const sw = 0.9 + 0.6 + 0.3;
  close(out[0].box.x, (0.9 * 1 + 0.6 * 0 + 0.3 * 0.5) / sw, 1e-12, 'merged x');
  close(out[0].box.y, (0.3 * 1) / sw, 1e-12, 'merged y');
  close(out[0].keypoints[0].x, (0.9 * 1 + 0.6 * 2 + 0.3 * 4.5) / sw, 1e-12, 'merged keypoint');
  assert.equal(out[1].box, { x: 50, y: 50, width: 10, height: 10 });
  assert.is(out[1].score, 0.7);
  // IoU exactly at the threshold does not merge (MediaPipe: strictly above)
  const b = face(0, 0, 10, 0.5), c = { ...face(0, 0, 10, 0.4), box: { x: 0, y: 0, width: 10, height: 3 } };
  close(iou(b.box, c.box), 0.3, 1e-12, 'iou');
  assert.is(weightedNms([b, c]).length, 2);
  assert.is(weightedNms([]).length, 0);
});

test('similarity: recovers an exact similarity, and is the least-squares one on noisy points', () => {
  const ang = 0.3, sc = 2.5, t = [40, -7];
  const map = (p: { x: number; y: number }) => ({ x: sc * (Math.cos(ang) * p.x - Math.sin(ang) * p.y) + t[0], y: sc * (Math.sin(ang) * p.x + Math.cos(ang) * p.y) + t[1] });
  const from = [{ x: 0, y: 0 }, { x: 10, y: 1 }, { x: 4, y: 12 }];
  const m = similarity(from, from.map(map));
  const want = [sc * Math.cos(ang), -sc * Math.sin(ang), t[0], sc * Math.sin(ang), sc * Math.cos(ang), t[1]];
  m.forEach((v, i) => close(v, want[i], 1e-9, `m${i}`));
  close(affineScale(m), sc, 1e-9, 'scale');
  // noisy targets: any perturbation of the solution raises the squared error
  const to = from.map(map).map((p, i) => ({ x: p.x + [0.5, -0.3, 0.1][i], y: p.y + [-0.2, 0.4, -0.6][i] }));
  const m2 = similarity(from, to);
  const err = (q: number[]) => from.reduce((s, p, i) => s + (q[0] * p.x + q[1] * p.y + q[2] - to[i].x) ** 2 + (q[3] * p.x + q[4] * p.y + q[5] - to[i].y) ** 2, 0);
  const e0 = err(m2);
  for (const [k, d] of [[0, 1e-3], [2, 1e-3], [3, -1e-3], [5, 1e-3]] as const) {
    const q = [...m2];
    q[k] += d;
    if (k === 0) q[4] += d;
    if (k === 3) q[1] -= d;
    assert.ok(err(q) > e0, `perturbing m${k} lowers the error`);
  }
});

test('chipTransform: a face whose keypoints sit on the template maps the chip onto itself', () => {
  const S = 96, side = 300, ox = 50, oy = 20;
  const kp = [FACE_TEMPLATE[0], FACE_TEMPLATE[1], { x: 0.5, y: 0.5 }, FACE_TEMPLATE[2], { x: 0, y: 0 }, { x: 1, y: 0 }].map((p) => ({ x: ox + p.x * side, y: oy + p.y * side }));
  const m = chipTransform(kp, S);
  [side / S, 0, ox, 0, side / S, oy].forEach((v, i) => close(m[i], v, 1e-9, `m${i}`));
});

test('detector weight file: a DAA config is rejected as a detector file and vice versa', () => {
  const bytes = readFileSync(DETECTOR_FILE);
  assert.throws(() => readDetectorWeights(readFileSync('weights/c3ae-daa.fp32.daaw')), (e: unknown) => e instanceof WeightFormatError && e.code === 'WEIGHTS_CONFIG');
  const bad = new Uint8Array(bytes);
  bad[bad.length - 5] ^= 0xff;
  assert.throws(() => readDetectorWeights(bad), (e: unknown) => e instanceof WeightFormatError && e.code === 'WEIGHTS_CHECKSUM');
});

test.run();
