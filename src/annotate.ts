/**
 * Draws detected faces on an RGBA image in place: each box as a 2-pixel rectangle and its age in a
 * 3 x 5 pixel digit font, scaled with the box. Plain loops over the caller's pixels; used by the CLI's
 * `--annotate`. No dependencies, no Node built-ins.
 */

/** 3 x 5 glyphs, one row per 3 bits (MSB left): digits and '.'. */
const GLYPHS: Record<string, number[]> = {
  '0': [7, 5, 5, 5, 7], '1': [2, 6, 2, 2, 7], '2': [7, 1, 7, 4, 7], '3': [7, 1, 7, 1, 7], '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 7, 1, 7], '6': [7, 4, 7, 5, 7], '7': [7, 1, 1, 1, 1], '8': [7, 5, 7, 5, 7], '9': [7, 5, 7, 1, 7], '.': [0, 0, 0, 0, 2],
};

export interface DrawnFace {
  box: { x: number; y: number; width: number; height: number };
  age: number;
}

export function annotate(rgba: Uint8Array, width: number, height: number, faces: DrawnFace[], color: [number, number, number] = [255, 40, 40]): void {
  const put = (x: number, y: number) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const i = (y * width + x) * 4;
    rgba[i] = color[0]; rgba[i + 1] = color[1]; rgba[i + 2] = color[2]; rgba[i + 3] = 255;
  };
  for (const f of faces) {
    const x0 = Math.round(f.box.x), y0 = Math.round(f.box.y);
    const x1 = Math.round(f.box.x + f.box.width), y1 = Math.round(f.box.y + f.box.height);
    for (let t = 0; t < 2; t++) {
      for (let x = x0; x <= x1; x++) { put(x, y0 + t); put(x, y1 - t); }
      for (let y = y0; y <= y1; y++) { put(x0 + t, y); put(x1 - t, y); }
    }
    // the age under the box (above it when there is no room), glyph pixels of `k` image pixels
    const text = f.age.toFixed(0);
    const k = Math.max(2, Math.round(f.box.width / 40));
    const ty = y1 + 3 + 5 * k <= height ? y1 + 3 : Math.max(0, y0 - 3 - 5 * k);
    [...text].forEach((ch, n) => {
      const g = GLYPHS[ch];
      if (!g) return;
      for (let r = 0; r < 5; r++) for (let c = 0; c < 3; c++) {
        if (!((g[r] >> (2 - c)) & 1)) continue;
        for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) put(x0 + n * 4 * k + c * k + dx, ty + r * k + dy);
      }
    });
  }
}
