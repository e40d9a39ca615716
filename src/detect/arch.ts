/**
 * The BlazeFace detector's architecture as data: a stem, a list of blocks and the heads that read
 * block outputs. The weight file's config holds it (scripts/convert-blazeface.ts writes it from the
 * .tflite graph); `detectorShapes` names every tensor the file must carry (src/detect/plan.ts plans
 * the buffers and steps of one run from it, and sizes it: `detectorCost`).
 *
 * Block (MediaPipe / BlazeFace "single BlazeBlock"):
 *   y = relu(pw(dw(x)) + skip),  dw: 3x3 depthwise, stride 1 or 2, TF "SAME" padding, + bias
 *                                pw: 1x1 conv cin -> cout, + bias
 *                                skip: x (stride 1) or 2x2 max pool of x (stride 2), zero channels cin..cout
 * Heads: 1x1 convs (no activation) from a block's output: `anchors` scores and `anchors * 16`
 * regressors (box cx, cy, w, h, then 6 keypoints x, y) per cell.
 */
export interface DetectorBlock {
  cin: number;
  cout: number;
  stride: 1 | 2;
}

export interface DetectorHead {
  /** index of the block whose output the head reads */
  after: number;
  /** anchors per cell */
  anchors: number;
}

export interface DetectorConfig {
  family: 'blazeface';
  /** square input side in pixels (128 for the short-range model) */
  inputSize: number;
  /** stem: 5x5 / stride 2 conv, 3 -> stemChannels, ReLU */
  stemChannels: number;
  blocks: DetectorBlock[];
  heads: DetectorHead[];
  /** values per anchor in the regressor output (4 box + 2 * keypoints) */
  coords: number;
  keypoints: number;
}

const fail = (msg: string): never => {
  throw new Error(msg);
};
const posInt = (v: unknown, what: string, max: number) =>
  typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max ? v : fail(`${what} must be an integer in 1..${max}, got ${String(v)}`);

/** Checks a raw JSON config and returns it typed; throws an Error naming the bad field. */
export function validateDetectorConfig(raw: unknown): DetectorConfig {
  if (!raw || typeof raw !== 'object') fail('detector config is not an object');
  const c = raw as Record<string, unknown>;
  if (c.family !== 'blazeface') fail(`family must be 'blazeface', got ${String(c.family)}`);
  const inputSize = posInt(c.inputSize, 'inputSize', 1024);
  const stemChannels = posInt(c.stemChannels, 'stemChannels', 1024);
  if (!Array.isArray(c.blocks) || c.blocks.length < 1 || c.blocks.length > 64) fail('blocks must be a list of 1..64 blocks');
  let side = Math.ceil(inputSize / 2);
  let ch = stemChannels;
  const blocks = (c.blocks as unknown[]).map((b, i) => {
    const o = (b ?? {}) as Record<string, unknown>;
    const cin = posInt(o.cin, `blocks[${i}].cin`, 1024);
    const cout = posInt(o.cout, `blocks[${i}].cout`, 1024);
    if (o.stride !== 1 && o.stride !== 2) fail(`blocks[${i}].stride must be 1 or 2`);
    if (cin !== ch) fail(`blocks[${i}].cin ${cin} does not follow the previous ${ch} channels`);
    if (cout < cin) fail(`blocks[${i}]: cout ${cout} < cin ${cin} (the skip path only pads channels)`);
    if (o.stride === 2) {
      if (side % 2) fail(`blocks[${i}]: stride 2 on an odd side ${side}`);
      side /= 2;
    }
    ch = cout;
    return { cin, cout, stride: o.stride as 1 | 2 };
  });
  if (!Array.isArray(c.heads) || c.heads.length < 1 || c.heads.length > 8) fail('heads must be a list of 1..8 heads');
  const heads = (c.heads as unknown[]).map((h, i) => {
    const o = (h ?? {}) as Record<string, unknown>;
    const after = typeof o.after === 'number' && Number.isInteger(o.after) && o.after >= 0 && o.after < blocks.length ? o.after : fail(`heads[${i}].after is not a block index`);
    return { after, anchors: posInt(o.anchors, `heads[${i}].anchors`, 64) };
  });
  const keypoints = posInt(c.keypoints, 'keypoints', 64);
  const coords = posInt(c.coords, 'coords', 256);
  if (coords !== 4 + 2 * keypoints) fail(`coords ${coords} != 4 + 2 * keypoints`);
  return { family: 'blazeface', inputSize, stemChannels, blocks, heads, coords, keypoints };
}

/** Spatial side of each block's output. */
export function blockSides(cfg: DetectorConfig): number[] {
  let side = Math.ceil(cfg.inputSize / 2);
  return cfg.blocks.map((b) => (side = b.stride === 2 ? side / 2 : side));
}

/**
 * Height and width of each block's output for an H x W input (the network is fully convolutional:
 * the same weights run on any input whose sides inputMultiple(cfg) divides; blockSides is the
 * square inputSize case).
 */
export function blockGrids(cfg: DetectorConfig, height: number, width: number): Array<{ h: number; w: number }> {
  let h = Math.ceil(height / 2), w = Math.ceil(width / 2);
  return cfg.blocks.map((b) => (b.stride === 2 ? { h: (h /= 2), w: (w /= 2) } : { h, w }));
}

/** Input sides must be multiples of this for every stride-2 step to see an even side (16 for BlazeFace). */
export function inputMultiple(cfg: DetectorConfig): number {
  return 2 ** (1 + cfg.blocks.filter((b) => b.stride === 2).length);
}

/** Number of anchors of an H x W input (default the square inputSize): sum over heads of cells * anchors. */
export function anchorCount(cfg: DetectorConfig, height = cfg.inputSize, width = cfg.inputSize): number {
  const g = blockGrids(cfg, height, width);
  return cfg.heads.reduce((n, h) => n + g[h.after].h * g[h.after].w * h.anchors, 0);
}

/** Every tensor the weight file carries for this config, with its shape (HWIO convs, [3, 3, C] depthwise). */
export function detectorShapes(cfg: DetectorConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  m.set('stem.w', [5, 5, 3, cfg.stemChannels]);
  m.set('stem.b', [cfg.stemChannels]);
  cfg.blocks.forEach((b, i) => {
    m.set(`block${i}.dw.w`, [3, 3, b.cin]);
    m.set(`block${i}.dw.b`, [b.cin]);
    m.set(`block${i}.pw.w`, [1, 1, b.cin, b.cout]);
    m.set(`block${i}.pw.b`, [b.cout]);
  });
  cfg.heads.forEach((h, j) => {
    const c = cfg.blocks[h.after].cout;
    m.set(`head${j}.cls.w`, [1, 1, c, h.anchors]);
    m.set(`head${j}.cls.b`, [h.anchors]);
    m.set(`head${j}.reg.w`, [1, 1, c, h.anchors * cfg.coords]);
    m.set(`head${j}.reg.b`, [h.anchors * cfg.coords]);
  });
  return m;
}
