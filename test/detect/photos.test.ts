/**
 * The whole-image path on real photos (test/fixtures/photos/, public domain and CC0; its README.md
 * says what each shows): the face of each portrait is found where face-api's pipelines also put it,
 * and the cat and the face-free scenes get no face (NoFaceError from estimate(), empty lists from
 * estimateAll() and detectFaces()). The reference boxes are face-api's SSD MobileNetV1 boxes on the
 * same files (`npx tsx bench/photos.ts`, bench/results/photos.md); the ages are not tested here
 * (one known age is no evaluation: bench/results/photos.md shows it).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEstimator, NoFaceError, type Estimator } from '../../src/index.ts';
import { iou } from '../../src/detect/decode.ts';
import { decodeImage, type RgbImage } from '../../train/data.ts';

const DIR = 'test/fixtures/photos';
const est: Estimator = await createEstimator({ backend: 'simd' });
const photo = (name: string): RgbImage => decodeImage(new Uint8Array(readFileSync(join(DIR, name))), name);

/** face-api SSD MobileNetV1's box of the one face in each portrait, [x, y, width, height]. */
const PORTRAITS: Record<string, [number, number, number, number]> = {
  'astronaut.jpg': [181, 71, 84, 104],
  'camera.jpg': [202, 120, 53, 79],
};

for (const [name, [x, y, width, height]] of Object.entries(PORTRAITS)) {
  test(`${name}: one face, where face-api's SSD puts it; estimate() answers for it`, async () => {
    const img = photo(name);
    const faces = await est.estimateAll(img);
    assert.is(faces.length, 1, `${name}: ${faces.length} faces`);
    const overlap = iou(faces[0].box, { x, y, width, height });
    assert.ok(overlap >= 0.5, `${name}: IoU ${overlap.toFixed(3)} with face-api's box`);
    assert.ok(Number.isFinite(faces[0].age) && faces[0].age > 0 && faces[0].age < 100, `${name}: age ${faces[0].age}`);
    const one = await est.estimate(img);
    assert.ok(one.face !== undefined && iou(one.face.box, faces[0].box) >= 0.7, `${name}: estimate()'s face ${JSON.stringify(one.face)}`);
    assert.ok(Math.abs(one.age - faces[0].age) < 2, `${name}: estimate() ${one.age} vs estimateAll() ${faces[0].age}`);
  });
}

for (const name of ['chelsea.jpg', 'coffee.jpg', 'rocket.jpg']) {
  test(`${name}: no human face, no age`, async () => {
    const img = photo(name);
    assert.equal(await est.estimateAll(img), [], `${name}: estimateAll`);
    assert.equal(await est.detectFaces(img), [], `${name}: detectFaces`);
    try {
      const r = await est.estimate(img);
      assert.unreachable(`${name}: estimate() answered ${JSON.stringify(r)}`);
    } catch (e) {
      assert.instance(e, NoFaceError);
    }
  });
}

test.after(() => est.dispose());
test.run();
