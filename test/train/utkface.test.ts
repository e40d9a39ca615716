/** Checks against the prepared UTKFace set; skipped (with a message) where it is absent. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT, decodeImage, imageDir, readLabels, resizeBilinearRGB, toU8Round } from '../../train/data.ts';

const DATA = process.env.DAA_DATA ?? path.resolve(REPO_ROOT, '../shared/data/utkface');
const present = fs.existsSync(path.join(DATA, 'labels.csv'));

// registered as skipped (uvu counts them) where the data is absent
if (!present) console.log(`  (utkface.test.ts: no UTKFace data at ${DATA}; set DAA_DATA to its folder)`);
{
  const test = present ? uvuTest : uvuTest.skip;
  test('labels.csv: splits and counts as documented', () => {
    const rows = readLabels(DATA);
    const train = rows.filter((r) => r.split === 'train').length;
    const tst = rows.filter((r) => r.split === 'test').length;
    assert.is(train, 18405);
    assert.is(tst, 2386);
    assert.is(rows.length, train + tst);
    assert.ok(rows.every((r) => r.age >= 1 && r.age <= 116));
  });

  test('the first 20 test images decode to 128x128 RGB and resize', () => {
    const rows = readLabels(DATA).filter((r) => r.split === 'test').slice(0, 20);
    const dir = imageDir(DATA);
    for (const r of rows) {
      const img = decodeImage(fs.readFileSync(path.join(dir, r.file)), r.file);
      assert.is(img.width, 128, r.file);
      assert.is(img.height, 128, r.file);
      assert.is(img.data.length, 128 * 128 * 3);
      let sum = 0;
      for (let i = 0; i < img.data.length; i++) sum += img.data[i];
      const mean = sum / img.data.length;
      assert.ok(mean > 5 && mean < 250, `${r.file}: mean ${mean}`);
      const small = toU8Round(resizeBilinearRGB(img.data, 128, 128, 64, 64));
      assert.is(small.length, 64 * 64 * 3);
    }
  });
}

uvuTest.run();
