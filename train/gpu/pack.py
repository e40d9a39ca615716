"""Step 2 of packing the train split for train/gpu/train_daa.py (step 1: train/gpu/pack.ts).

Reads the u8 pixels that step 1 named (N x S x S x 3, the tfjs trainer's own resize) and writes
them as JPEG mosaics: 64 images a row, at most 256 rows a mosaic, 4:2:0, quality 90. Tiles are
96 px, a multiple of the 16 px JPEG macroblock, so no block straddles two images. One mosaic
instead of 18k files drops the per-file headers: the 96 px train split packs to about 42 MiB
(PSNR about 39 dB against the u8 pixels), which fits the 64 MiB a GPU machine is sent.

Usage: python3 train/gpu/pack.py .gpu/utk-train-96.json [--quality 90]
Writes <json stem>.mosaic-K.jpg next to the JSON and adds {"mosaics": [...], "cols", "rows"}.
"""
import argparse, json, os
import numpy as np
from PIL import Image

COLS, ROWS = 64, 256

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('meta')
    ap.add_argument('--quality', type=int, default=90)
    a = ap.parse_args()
    meta = json.load(open(a.meta))
    S, n = meta['size'], meta['count']
    px = np.fromfile(meta['pixels'], dtype=np.uint8)
    if px.size != n * S * S * 3:
        raise SystemExit(f"{meta['pixels']}: {px.size} bytes, expected {n * S * S * 3}")
    px = px.reshape(n, S, S, 3)
    stem = a.meta[:-len('.json')] if a.meta.endswith('.json') else a.meta
    per = COLS * ROWS
    names = []
    total = 0
    for k in range(0, (n + per - 1) // per):
        chunk = px[k * per:(k + 1) * per]
        rows = (len(chunk) + COLS - 1) // COLS
        pad = np.zeros((rows * COLS - len(chunk), S, S, 3), np.uint8)
        m = np.concatenate([chunk, pad]).reshape(rows, COLS, S, S, 3).transpose(0, 2, 1, 3, 4).reshape(rows * S, COLS * S, 3)
        name = f'{stem}.mosaic-{k}.jpg'
        Image.fromarray(m).save(name, 'JPEG', quality=a.quality, subsampling=2, optimize=True)
        total += os.path.getsize(name)
        names.append(os.path.basename(name))
    meta.update({'mosaics': names, 'cols': COLS, 'rows': ROWS, 'quality': a.quality})
    del meta['pixels']
    json.dump(meta, open(a.meta, 'w'))
    print(f'{len(names)} mosaics, {total / 2**20:.1f} MiB for {n} images')

if __name__ == '__main__':
    main()
