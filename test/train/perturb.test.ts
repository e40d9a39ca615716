import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeRng, type RgbImage } from '../../train/data.ts';
import { blurred, channelGains, greyscale, jpegRoundTrip, warp } from '../../train/perturb.ts';

function randomImage(w: number, h: number, seed: number): RgbImage {
  const rng = makeRng(seed);
  return { data: Uint8Array.from({ length: w * h * 3 }, () => Math.floor(rng() * 256)), width: w, height: h };
}

test('warp: the identity view copies, flip mirrors, a whole-pixel shift moves (edges repeated)', () => {
  const img = randomImage(13, 9, 1);
  assert.equal(warp(img, { flip: false, zoom: 1, dx: 0, dy: 0, angleDeg: 0 }).data, img.data);
  const m = warp(img, { flip: true, zoom: 1, dx: 0, dy: 0 }).data;
  const s = warp(img, { flip: false, zoom: 1, dx: 2, dy: -1 }).data;
  for (let y = 0; y < 9; y++)
    for (let x = 0; x < 13; x++)
      for (let c = 0; c < 3; c++) {
        const at = (xx: number, yy: number) => img.data[(yy * 13 + xx) * 3 + c];
        const i = (y * 13 + x) * 3 + c;
        if (m[i] !== at(12 - x, y)) assert.unreachable(`flip (${x},${y},${c}): ${m[i]} != ${at(12 - x, y)}`);
        const e = at(Math.min(12, x + 2), Math.max(0, y - 1));
        if (s[i] !== e) assert.unreachable(`shift (${x},${y},${c}): ${s[i]} != ${e}`);
      }
});

test('warp: a 90 degree turn of a square image about its centre is exact', () => {
  const img = randomImage(8, 8, 2);
  const r = warp(img, { flip: false, zoom: 1, dx: 0, dy: 0, angleDeg: 90 }).data;
  // output (x, y) samples the source at c + R(-90)(p - c): (x, y) -> (c + (y - c), c - (x - c)) = (y, 7 - x)
  for (let y = 0; y < 8; y++)
    for (let x = 0; x < 8; x++)
      for (let c = 0; c < 3; c++) assert.is(r[(y * 8 + x) * 3 + c], img.data[((7 - x) * 8 + y) * 3 + c], `(${x},${y},${c})`);
});

test('greyscale, channel gains (saturating at 255), blur of a flat image, JPEG round trip', () => {
  const img = randomImage(16, 16, 3);
  const g = greyscale(img).data;
  for (let i = 0; i < g.length; i += 3) {
    assert.ok(g[i] === g[i + 1] && g[i] === g[i + 2]);
    assert.is(g[i], Math.round(0.299 * img.data[i] + 0.587 * img.data[i + 1] + 0.114 * img.data[i + 2]));
  }
  const k = channelGains(img, 2, 1, 0.5).data;
  for (let i = 0; i < k.length; i += 3) {
    assert.is(k[i], Math.min(255, Math.round(img.data[i] * 2)));
    assert.is(k[i + 1], img.data[i + 1]);
    assert.is(k[i + 2], Math.round(img.data[i + 2] * 0.5));
  }
  const flat: RgbImage = { data: new Uint8Array(10 * 7 * 3).fill(77), width: 10, height: 7 };
  assert.ok(blurred(flat, 1.5).data.every((v) => v === 77));
  const smooth: RgbImage = { data: new Uint8Array(32 * 32 * 3), width: 32, height: 32 };
  for (let i = 0; i < smooth.data.length; i++) smooth.data[i] = (Math.floor(i / 3) % 32) * 8;
  const j = jpegRoundTrip(smooth, 90);
  assert.is(j.width, 32);
  assert.is(j.height, 32);
  let worst = 0;
  for (let i = 0; i < j.data.length; i++) worst = Math.max(worst, Math.abs(j.data[i] - smooth.data[i]));
  assert.ok(worst <= 24, `JPEG q90 of a smooth ramp: largest difference ${worst}`);
});

test.run();
