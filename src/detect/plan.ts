/**
 * The BlazeFace detector's plan, on the engine's plan scheme (src/engine/plan.ts): every buffer with
 * its size (the memory plan) and the steps of one detector run `{ name, kernel, args }`, as data;
 * nothing is allocated until src/detect/detector.ts places it (`Placement`) and binds the steps
 * (`bind`). With `tensors` null nothing is read: `detectorCost` sizes a configuration that way, before
 * a weight file's tensors are checked.
 *
 * The network is fully convolutional, so one set of buffers serves runs on inputs of any H x W whose
 * sides inputMultiple(cfg) divides (16) and whose area is at most `maxPixels` (the largest search
 * window, src/detect/detector.ts): `steps` is the run on the square inputSize input (the second and
 * third looks, video scans), `stepsFor(H, W)` the run on a larger window over the same buffers.
 *
 * Buffers (f32, HWC), each sized for the largest run: `input` (H x W x 3, the warped image in
 * [-1, 1]; only the stem reads it, so it is also the scratch of the depthwise outputs, `dw`, after
 * the stem); `a` / `b` (block input / output, swapped after each block); the skip path (the
 * zero-channel-padded, possibly max-pooled input, for blocks with a stride of 2 or more channels out
 * than in) is written into `b` first and the block's 1x1 conv adds it in place (f32_conv2d_packed
 * allows res == y), so it needs no buffer of its own; `scores` (N anchors) and `boxes` (N x coords):
 * each head writes its slice of these directly (a head's 1x1 conv output, h x w x anchors, is already
 * in anchor order), so the two outputs need no concatenation. The warp into `input` is not a step:
 * its matrix changes with every window, so the detector calls it before running the steps (as
 * src/estimator.ts calls the resize before a DAA plan).
 */
import { PlanBuilder, ref, type BufferSpec, type Step } from '../engine/plan.ts';
import { dequantize, type StoredTensor } from '../format.ts';
import { ACT } from '../kernels.ts';
import { packF32Weights } from '../pack-f32.ts';
import { anchorCount, blockGrids, inputMultiple, type DetectorConfig } from './arch.ts';

/**
 * Default largest detector input, in pixels (H x W): 512 x 384, the 32 px level of a 640 x 480
 * frame (scale 0.8) in one run. The buffers grow with it (about 84 bytes per pixel; 16.1 MiB here
 * against 1.7 MiB for 128 x 128 alone): docs/detect.md "Whole images" for the choice.
 */
export const DETECTOR_WINDOW_PIXELS = 512 * 384;

export interface DetectorPlan {
  config: DetectorConfig;
  /** every buffer, sized: the memory plan */
  builder: PlanBuilder;
  /** one detector run on the inputSize x inputSize input */
  steps: Step[];
  /** input: up to maxPixels x 3 f32 (inputSize x inputSize x 3 for `steps`) */
  input: BufferSpec;
  /** raw scores (logits): N of the run */
  scores: BufferSpec;
  /** raw regressors: N x coords of the run */
  boxes: BufferSpec;
  /** anchors N of the inputSize x inputSize run */
  anchors: number;
  /** the largest input (H x W pixels) the buffers hold */
  maxPixels: number;
  /**
   * The steps of one run on an H x W input over the same buffers, and its anchor count: H and W
   * multiples of inputMultiple(cfg), H * W <= maxPixels (else an Error).
   */
  stepsFor(height: number, width: number): { steps: Step[]; anchors: number };
}

const shape = (h: number, w: number, c: number) => `${h}x${w}x${c}`;

/** Elements of the largest input, a / b activation and depthwise output of a run on H x W (fractional for an area bound). */
function needs(cfg: DetectorConfig, height: number, width: number): { input: number; ab: number; dw: number; anchors: number } {
  const g = blockGrids(cfg, height, width);
  const s0 = { h: Math.ceil(height / 2), w: Math.ceil(width / 2) };
  let ab = s0.h * s0.w * cfg.stemChannels, dw = 0;
  cfg.blocks.forEach((b, i) => {
    const inp = i === 0 ? s0 : g[i - 1];
    ab = Math.max(ab, inp.h * inp.w * b.cin, g[i].h * g[i].w * b.cout);
    dw = Math.max(dw, g[i].h * g[i].w * b.cin);
  });
  return { input: height * width * 3, ab, dw, anchors: anchorCount(cfg, height, width) };
}

/**
 * Plans the detector of `cfg` with buffers for inputs of up to `maxPixels` pixels (at least the
 * square inputSize input). `tensors` null: sizes and steps only (what the detector would cost).
 */
export function planDetector(cfg: DetectorConfig, tensors: Map<string, StoredTensor> | null, maxPixels = DETECTOR_WINDOW_PIXELS): DetectorPlan {
  const builder = new PlanBuilder();
  const read = (name: string): Float32Array => {
    const t = tensors?.get(name);
    if (!t) throw new Error(`detector: missing weight ${name}`);
    return dequantize(t);
  };
  /** a weight tensor of n floats as it is in the file (one buffer, whatever the number of runs planned) */
  const weight = (name: string, n: number) => builder.once(name, () => builder.constF32(name, n, () => read(name)));
  /** a 1x1 conv's HWIO weights packed for f32_conv2d_packed */
  const packed1x1 = (name: string, cin: number, cout: number) =>
    builder.once(name, () => builder.constF32(name, cin * Math.ceil(cout / 8) * 8, () => packF32Weights(read(name), 1, cin, cout)));

  const S = cfg.inputSize;
  const pixels = Math.max(S * S, maxPixels);
  // the square run exactly, and a bound for every H x W of at most `pixels` (sides multiples of
  // inputMultiple: each map then has exactly H W / 4^k cells, at most those of a side sqrt(pixels))
  const side = Math.sqrt(pixels);
  const [sq, big] = [needs(cfg, S, S), needs(cfg, side, side)];
  const n = (k: 'input' | 'ab' | 'dw' | 'anchors') => Math.ceil(Math.max(sq[k], big[k]));
  const input = builder.f32('input', Math.max(n('input'), n('dw')), 'input');
  const dw = input;
  let a = builder.f32('a', n('ab'));
  let b = builder.f32('b', n('ab'));
  const scores = builder.f32('scores', n('anchors'), 'output');
  const boxes = builder.f32('boxes', n('anchors') * cfg.coords, 'output');
  const unit = inputMultiple(cfg);

  const stepsFor = (H: number, W: number): { steps: Step[]; anchors: number } => {
    if (!(Number.isInteger(H / unit) && Number.isInteger(W / unit) && H > 0 && W > 0) && !(H === S && W === S))
      throw new Error(`detector: input ${H} x ${W} is not a multiple of ${unit}`);
    const need = needs(cfg, H, W);
    if (need.input > input.bytes / 4 || need.dw > input.bytes / 4 || need.ab > a.bytes / 4 || need.anchors * cfg.coords > boxes.bytes / 4)
      throw new Error(`detector: input ${H} x ${W} exceeds the planned ${pixels} pixels`);
    const grids = blockGrids(cfg, H, W);
    const steps: Step[] = [];
    const s0 = { h: Math.ceil(H / 2), w: Math.ceil(W / 2) };
    let [x, y] = [a, b];
    steps.push({
      name: 'stem', kernel: 'f32_conv5x5s2_c3',
      args: [ref(input), H, W, ref(weight('stem.w', 75 * cfg.stemChannels)), ref(weight('stem.b', cfg.stemChannels)), ref(x), cfg.stemChannels, ACT.relu],
      macs: s0.h * s0.w * 75 * cfg.stemChannels, shapes: `${shape(H, W, 3)} -> ${shape(s0.h, s0.w, cfg.stemChannels)}`,
    });
    let g = s0;
    let anchorBase = 0;
    cfg.blocks.forEach((blk, i) => {
      const o = grids[i];
      steps.push({
        name: `block${i}/dw`, kernel: 'f32_dwconv3x3',
        args: [ref(x), g.h, g.w, blk.cin, ref(weight(`block${i}.dw.w`, 9 * blk.cin)), ref(weight(`block${i}.dw.b`, blk.cin)), ref(dw), blk.stride, ACT.none],
        macs: o.h * o.w * 9 * blk.cin, shapes: `${shape(g.h, g.w, blk.cin)} -> ${shape(o.h, o.w, blk.cin)}`,
      });
      let res = x;
      if (blk.stride === 2 || blk.cout !== blk.cin) {
        // the skip path goes where the block's output will be; the 1x1 conv below adds it in place
        steps.push({
          name: `block${i}/skip`, kernel: 'f32_pad_channels',
          args: [ref(x), g.h, g.w, blk.cin, ref(y), blk.cout, blk.stride],
          macs: 0, shapes: `${shape(g.h, g.w, blk.cin)} -> ${shape(o.h, o.w, blk.cout)}`,
        });
        res = y;
      }
      steps.push({
        name: `block${i}/pw`, kernel: 'f32_conv2d_packed',
        // 1x1 / stride 1 / pad 0 conv + bias, then + skip, then ReLU (the kernel's fused residual and activation)
        args: [ref(dw), o.h, o.w, blk.cin, ref(packed1x1(`block${i}.pw.w`, blk.cin, blk.cout)), ref(weight(`block${i}.pw.b`, blk.cout)), ref(y), blk.cout, 1, 1, 0, ACT.relu, ref(res)],
        macs: o.h * o.w * blk.cin * blk.cout, shapes: `${shape(o.h, o.w, blk.cin)} -> ${shape(o.h, o.w, blk.cout)}`,
      });
      [x, y] = [y, x];
      g = o;
      cfg.heads.forEach((h, j) => {
        if (h.after !== i) return;
        const head = (kind: 'cls' | 'reg', cout: number, dst: BufferSpec, offset: number) => {
          steps.push({
            name: `head${j}/${kind}`, kernel: 'f32_conv2d_packed',
            args: [ref(x), o.h, o.w, blk.cout, ref(packed1x1(`head${j}.${kind}.w`, blk.cout, cout)), ref(weight(`head${j}.${kind}.b`, cout)), ref(dst, offset), cout, 1, 1, 0, ACT.none, 0],
            macs: o.h * o.w * blk.cout * cout, shapes: `${shape(o.h, o.w, blk.cout)} -> ${shape(o.h, o.w, cout)}`,
          });
        };
        head('cls', h.anchors, scores, 4 * anchorBase);
        head('reg', h.anchors * cfg.coords, boxes, 4 * anchorBase * cfg.coords);
        anchorBase += o.h * o.w * h.anchors;
      });
    });
    return { steps, anchors: anchorBase };
  };
  const square = stepsFor(S, S);
  return { config: cfg, builder, steps: square.steps, input, scores, boxes, anchors: square.anchors, maxPixels: pixels, stepsFor };
}

/**
 * What a detector configuration costs once loaded, from its own plan: the bytes of every buffer
 * (exactly what the detector places in an estimator's arena) and the multiply-adds of one run.
 * Nothing is allocated and no weight is read, so it gates a hostile config first.
 */
export function detectorCost(cfg: DetectorConfig, maxPixels = DETECTOR_WINDOW_PIXELS): { memoryBytes: number; macs: number } {
  const p = planDetector(cfg, null, maxPixels);
  return { memoryBytes: p.builder.bytes, macs: p.steps.reduce((n, s) => n + s.macs, 0) };
}
