/**
 * Synthetic scenes for the face detector's tests, evaluation and template measurement: backgrounds
 * (flat, noise, gradient, texture) and a face chip pasted at a given size, position and in-plane
 * rotation (bilinear, the chip's square only, no blending). Plain TypeScript: this is test data, not
 * the runtime. Everything is seeded and deterministic.
 */
import { makeRng } from './data.ts';

export type Background = 'flat' | 'noise' | 'gradient' | 'texture' | 'clutter';

/**
 * A width x height RGB background. 'texture': blobs of a sinusoid 50-300 px across, plus noise;
 * 'clutter': a finer sinusoid (blobs 10-60 px) plus noise, and on odd seeds 60 flat rectangles of
 * 4-44 px (edges and corners at the sizes of small faces).
 */
export function background(kind: Background, width: number, height: number, seed: number): Uint8Array {
  const rnd = makeRng(seed);
  const out = new Uint8Array(width * height * 3);
  const base = [40 + 170 * rnd(), 40 + 170 * rnd(), 40 + 170 * rnd()];
  const end = [40 + 170 * rnd(), 40 + 170 * rnd(), 40 + 170 * rnd()];
  const fx = 0.02 + 0.1 * rnd(), fy = 0.02 + 0.1 * rnd();
  for (let y = 0, i = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++, i++) {
    let v: number;
    if (kind === 'flat') v = base[c];
    else if (kind === 'noise') v = base[c] + (rnd() - 0.5) * 120;
    else if (kind === 'gradient') {
      const t = (x / width + y / height) / 2;
      v = base[c] * (1 - t) + end[c] * t;
    } else if (kind === 'texture') v = base[c] + 60 * Math.sin(x * fx + c) * Math.cos(y * fy) + (rnd() - 0.5) * 30;
    else v = base[c] + 60 * Math.sin(x * fx * 5 + c) * Math.cos(y * fy * 5) + (rnd() - 0.5) * 40;
    out[i] = Math.max(0, Math.min(255, Math.round(v)));
  }
  if (kind === 'clutter' && seed % 2)
    for (let r = 0; r < 60; r++) {
      const x0 = Math.floor(rnd() * width), y0 = Math.floor(rnd() * height), w = 4 + Math.floor(rnd() * 40), h = 4 + Math.floor(rnd() * 40);
      const col = [rnd() * 255, rnd() * 255, rnd() * 255].map(Math.round);
      for (let y = y0; y < Math.min(height, y0 + h); y++) for (let x = x0; x < Math.min(width, x0 + w); x++) out.set(col, (y * width + x) * 3);
    }
  return out;
}

/** An affine map chip pixels -> canvas pixels (continuous coordinates). */
export interface Placement {
  /** canvas position of the chip's centre */
  cx: number;
  cy: number;
  /** side of the pasted chip in canvas pixels */
  size: number;
  /** in-plane rotation, degrees (counter-clockwise on screen) */
  angle: number;
}

/** Where a chip point (fractions of the chip side) lands on the canvas. */
export function placePoint(p: { x: number; y: number }, at: Placement): { x: number; y: number } {
  const a = (-at.angle * Math.PI) / 180;
  const u = (p.x - 0.5) * at.size, v = (p.y - 0.5) * at.size;
  return { x: at.cx + u * Math.cos(a) - v * Math.sin(a), y: at.cy + u * Math.sin(a) + v * Math.cos(a) };
}

/** Pastes an RGB chip (side chipSide) onto an RGB canvas in place, bilinear, rotated and scaled. */
export function pasteChip(canvas: Uint8Array, width: number, height: number, chip: Uint8Array, chipSide: number, at: Placement): void {
  const a = (-at.angle * Math.PI) / 180;
  const cos = Math.cos(a), sin = Math.sin(a);
  const k = chipSide / at.size;
  const r = (at.size * Math.SQRT2) / 2 + 2;
  const x0 = Math.max(0, Math.floor(at.cx - r)), x1 = Math.min(width - 1, Math.ceil(at.cx + r));
  const y0 = Math.max(0, Math.floor(at.cy - r)), y1 = Math.min(height - 1, Math.ceil(at.cy + r));
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) {
    // inverse rotation of the canvas pixel centre into chip coordinates
    const dx = x + 0.5 - at.cx, dy = y + 0.5 - at.cy;
    const u = (dx * cos + dy * sin) * k + chipSide / 2 - 0.5;
    const v = (-dx * sin + dy * cos) * k + chipSide / 2 - 0.5;
    if (u < -0.5 || v < -0.5 || u > chipSide - 0.5 || v > chipSide - 0.5) continue;
    const uc = Math.max(0, Math.min(chipSide - 1, u)), vc = Math.max(0, Math.min(chipSide - 1, v));
    const u0 = Math.min(chipSide - 2, Math.floor(uc)), v0 = Math.min(chipSide - 2, Math.floor(vc));
    const fu = uc - u0, fv = vc - v0;
    for (let c = 0; c < 3; c++) {
      const p = (yy: number, xx: number) => chip[(yy * chipSide + xx) * 3 + c];
      const val = (p(v0, u0) * (1 - fu) + p(v0, u0 + 1) * fu) * (1 - fv) + (p(v0 + 1, u0) * (1 - fu) + p(v0 + 1, u0 + 1) * fu) * fv;
      canvas[(y * width + x) * 3 + c] = Math.round(val);
    }
  }
}
