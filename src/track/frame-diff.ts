/**
 * Near-duplicate frames: a webcam or a video decoder often hands over the same picture twice (a
 * 15 fps camera in a 30 fps stream, a paused video, a still scene). Detecting and estimating on it
 * again costs the same and tells nothing new: repeated readings of the same pixels are not
 * independent, and the age filter would count them as if they were.
 *
 * The measure is cheap and robust to sensor noise: the frame is cut into GRID_X x GRID_Y cells, and
 * in each cell SAMPLES x SAMPLES pixels and their right-hand neighbours are read (6,144 pixels in
 * all, whatever the frame size) for two numbers: the mean luma, and the mean absolute luma step to
 * the neighbour (the cell's detail: what blur takes away while the mean stays put). The difference
 * of two frames is the largest change of either number over the cells, in grey levels. Averaging 16
 * samples divides pixel noise by 4; taking the largest cell keeps a face that moves in one corner
 * from being diluted by a still background. A frame is compared with the last frame that was
 * processed (not the previous one), so a slow change adds up until it counts.
 */

export const GRID_X = 16;
export const GRID_Y = 12;
export const SAMPLES = 4;
const CELLS = GRID_X * GRID_Y;

/** Pixels as the estimator takes them: RGBA, RGB or grey bytes, row-major. */
export interface PixelFrame {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

/** Whether `f` looks like a PixelFrame whose data length fits 4, 3 or 1 channels. */
export function isPixelFrame(f: unknown): f is PixelFrame {
  if (!f || typeof f !== 'object') return false;
  const { data, width, height } = f as Partial<PixelFrame>;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) return false;
  if (typeof width !== 'number' || typeof height !== 'number' || !(width >= 1 && height >= 1)) return false;
  const px = width * height;
  return data.length === px * 4 || data.length === px * 3 || data.length === px;
}

export class FrameDiff {
  /** per cell: mean luma, then mean absolute step (2 values a cell) */
  private ref = new Float32Array(2 * CELLS);
  private cur = new Float32Array(2 * CELLS);
  private offsets = new Int32Array(CELLS * SAMPLES * SAMPLES);
  private width = 0;
  private height = 0;
  private channels = 0;
  private hasRef = false;

  /**
   * The largest change of a cell's mean luma or mean luma step (grey levels, 0..255) between `f` and
   * the reference frame; Infinity when there is no reference or the size or channel count changed.
   * Call `accept` to make `f` the reference.
   */
  measure(f: PixelFrame): number {
    const { data, width, height } = f;
    const ch = data.length / (width * height);
    if (width !== this.width || height !== this.height || ch !== this.channels) {
      this.layout(width, height, ch);
      this.hasRef = false;
    }
    const offs = this.offsets, cur = this.cur;
    const per = SAMPLES * SAMPLES;
    // the neighbour: one pixel right (one left in the last column)
    const next = width > 1 ? ch : 0;
    for (let c = 0, k = 0; c < CELLS; c++) {
      let s = 0, g = 0;
      if (ch === 1)
        for (let i = 0; i < per; i++, k++) {
          const o = offs[k], o2 = o + (offs[k] % width === width - 1 ? -next : next);
          s += data[o];
          g += Math.abs(data[o2] - data[o]);
        }
      else
        for (let i = 0; i < per; i++, k++) {
          const o = offs[k], o2 = o + (((offs[k] / ch) | 0) % width === width - 1 ? -next : next);
          const a = 0.299 * data[o] + 0.587 * data[o + 1] + 0.114 * data[o + 2];
          const b = 0.299 * data[o2] + 0.587 * data[o2 + 1] + 0.114 * data[o2 + 2];
          s += a;
          g += Math.abs(b - a);
        }
      cur[2 * c] = s / per;
      cur[2 * c + 1] = g / per;
    }
    if (!this.hasRef) return Infinity;
    let worst = 0;
    for (let i = 0; i < 2 * CELLS; i++) worst = Math.max(worst, Math.abs(cur[i] - this.ref[i]));
    return worst;
  }

  /** The frame last measured becomes the reference. */
  accept(): void {
    const t = this.ref;
    this.ref = this.cur;
    this.cur = t;
    this.hasRef = true;
  }

  /** Forget the reference (the next frame measures Infinity). */
  reset(): void {
    this.hasRef = false;
  }

  private layout(width: number, height: number, ch: number): void {
    this.width = width;
    this.height = height;
    this.channels = ch;
    for (let gy = 0, k = 0; gy < GRID_Y; gy++)
      for (let gx = 0; gx < GRID_X; gx++)
        for (let sy = 0; sy < SAMPLES; sy++)
          for (let sx = 0; sx < SAMPLES; sx++, k++) {
            const x = Math.min(width - 1, Math.floor(((gx + (sx + 0.5) / SAMPLES) * width) / GRID_X));
            const y = Math.min(height - 1, Math.floor(((gy + (sy + 0.5) / SAMPLES) * height) / GRID_Y));
            this.offsets[k] = (y * width + x) * ch;
          }
  }
}
