/**
 * Writes the real photos of test/fixtures/photos/ (public domain or CC0, see its README.md) from
 * scikit-image's sample data as Debian ships it: JPEG, quality 90, the same size as the source.
 *
 *   cd /tmp && apt-get download python3-skimage && dpkg -x python3-skimage_*.deb skimage-deb
 *   npx tsx scripts/make-photo-fixtures.ts --from /tmp/skimage-deb/usr/lib/python3/dist-packages/skimage/data
 *
 * The JPEGs are committed, so tests and docs do not need the Debian package; this script says how
 * they were made and remakes them (jpeg-js' encoder is deterministic).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import jpeg from 'jpeg-js';
import { decodeImage } from '../train/data.ts';

/** Source file in skimage/data -> fixture name. */
export const PHOTOS: Record<string, string> = {
  'astronaut.png': 'astronaut.jpg',
  'camera.png': 'camera.jpg',
  'chelsea.png': 'chelsea.jpg',
  'coffee.png': 'coffee.jpg',
  'rocket.jpg': 'rocket.jpg',
};

const { values } = parseArgs({ options: { from: { type: 'string' }, out: { type: 'string', default: 'test/fixtures/photos' }, quality: { type: 'string', default: '90' } } });
if (!values.from) throw new Error('--from <skimage/data folder> is required (see the comment at the top of this script)');
for (const [src, dst] of Object.entries(PHOTOS)) {
  const img = decodeImage(new Uint8Array(readFileSync(join(values.from, src))), src); // RGB, greyscale expanded
  const rgba = Buffer.alloc(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) {
    rgba[i * 4] = img.data[i * 3]; rgba[i * 4 + 1] = img.data[i * 3 + 1]; rgba[i * 4 + 2] = img.data[i * 3 + 2]; rgba[i * 4 + 3] = 255;
  }
  const out = jpeg.encode({ data: rgba, width: img.width, height: img.height }, Number(values.quality));
  writeFileSync(join(values.out, dst), out.data);
  console.log(`${src} (${img.width} x ${img.height}) -> ${join(values.out, dst)} ${out.data.length} bytes`);
}
