/**
 * A DAA plan placed in one estimator's memory and bound to its kernels. `run({ interval, head })`
 * is one estimate on the image already in the input buffer; interval and head are arguments of the
 * call, never stored in the plan: the only per-call state is the template tables the head reads,
 * written (as an input, like the image) when the interval differs from the last one written.
 */
import { templateIndices } from '../../arch.ts';
import type { Arena } from '../../arena.ts';
import type { WeightSource } from '../../engine/ops.ts';
import { bind, Placement, type Program, type Step } from '../../engine/plan.ts';
import type { Kernels } from '../../kernels.ts';
import { templateTable, type HeadMode, type TemplateTable } from './head.ts';
import { defaultHead, headSteps, type DaaPlan } from './plan.ts';

export interface DaaRunOptions {
  /** use every interval-th template age (1 = all) */
  interval: number;
  head: HeadMode;
  /** run the steps' alternative kernels (int8 3x3: direct instead of Winograd; the same bits) */
  alt?: boolean;
}

export class DaaModel {
  readonly at: Placement;
  private readonly encoder: Program;
  private readonly encoderAlt: Program | null;
  private readonly heads = new Map<string, Program>();
  private readonly table: TemplateTable | null;
  /** the interval whose templates the head's tables hold (0: none yet) */
  private written = 0;

  constructor(readonly plan: DaaPlan, private readonly k: Kernels, arena: Arena, weights: WeightSource) {
    this.at = new Placement(arena, plan.builder.buffers);
    this.encoder = bind(plan.encoder, k, this.at);
    this.encoderAlt = plan.encoder.some((s) => s.alt) ? bind(plan.encoder, k, this.at, 'alt') : null;
    const w = (n: string) => {
      const v = weights.get(n);
      if (!v) throw new Error(`graph: missing weight ${n}`);
      return v;
    };
    this.table = plan.head ? templateTable(plan.cfg, plan.eShape[2], w) : null;
    if (plan.head) bind(plan.head.setup, k, this.at).run();
  }

  get defaultHead(): HeadMode {
    return defaultHead(this.plan);
  }

  /** byte offset of the input X (inputSize x inputSize x 3 f32) */
  get input(): number {
    return this.at.ptr(this.plan.input);
  }

  /** templates an estimate at `interval` returns */
  templates(interval: number): number {
    // the length of templateIndices(T, interval): 0, interval, 2 interval, ... < T
    return this.plan.head ? Math.ceil(this.plan.cfg.numTemplates / interval) : 1;
  }

  /** The programs of one estimate: encoder, then head (bound once per interval and head mode). */
  programs(o: DaaRunOptions): Program[] {
    if (o.head === 'factorised' && this.plan.head && this.plan.head.tc !== 1) throw new Error('per-channel templates have no factorised head');
    const nSel = this.templates(o.interval);
    const key = `${o.head}/${nSel}`;
    let head = this.heads.get(key);
    if (!head) this.heads.set(key, (head = bind(headSteps(this.plan, o.head, nSel), this.k, this.at)));
    return [o.alt && this.encoderAlt ? this.encoderAlt : this.encoder, head];
  }

  /** Runs one estimate on the input buffer; returns the offset and count of the per-template estimates. */
  run(o: DaaRunOptions): { ptr: number; count: number } {
    const [encoder, head] = this.programs(o);
    this.writeTemplates(o.interval);
    encoder.run();
    head.run();
    return this.finish(o);
  }

  /** X -> E only (calibration, tools) */
  runEncoder(): void {
    this.encoder.run();
  }

  /** Writes the templates of `interval` contiguously into the head's tables (an input of the head). */
  writeTemplates(interval: number): void {
    const head = this.plan.head;
    if (!head || !this.table || interval === this.written) return;
    const { t, s, age, tc } = this.table;
    const idx = templateIndices(this.plan.cfg.numTemplates, interval);
    const mem = this.at.arena.memory.buffer;
    const ts = new Float32Array(mem, this.at.ptr(head.tSel), idx.length * tc);
    const ss = new Float32Array(mem, this.at.ptr(head.sSel), idx.length * tc);
    const as = new Float32Array(mem, this.at.ptr(head.ageSel), idx.length);
    idx.forEach((j, i) => {
      ts.set(t.subarray(j * tc, (j + 1) * tc), i * tc);
      ss.set(s.subarray(j * tc, (j + 1) * tc), i * tc);
      as[i] = age[j];
    });
    this.written = interval;
  }

  /** where an estimate's per-template values are (offset, count) */
  output(o: DaaRunOptions): { ptr: number; count: number } {
    const head = this.plan.head;
    if (!head) return { ptr: this.at.ptr(this.plan.regressionOut!), count: 1 };
    return { ptr: this.at.ptr(head.perTemplate), count: this.templates(o.interval) };
  }

  /** After the head's kernels: the naive head leaves D_j, the estimate is age_j - D_j. */
  finish(o: DaaRunOptions): { ptr: number; count: number } {
    const { ptr, count } = this.output(o);
    const head = this.plan.head;
    if (head && o.head === 'naive') {
      const mem = this.at.arena.memory.buffer;
      const pt = new Float32Array(mem, ptr, count);
      const ag = new Float32Array(mem, this.at.ptr(head.ageSel), count);
      for (let j = 0; j < count; j++) pt[j] = ag[j] - pt[j];
    }
    return { ptr, count };
  }

  /** encoder output E and its shape */
  features(): { ptr: number; shape: [number, number, number] } {
    return { ptr: this.at.ptr(this.plan.e), shape: this.plan.eShape };
  }

  /** byte offset of an encoder tensor by name */
  tensor(name: string): number {
    const b = this.plan.tensors.get(name);
    if (!b) throw new Error(`no tensor ${name}`);
    return this.at.ptr(b);
  }

  /** every step of one estimate, in order (for printing and profiling) */
  steps(o: DaaRunOptions): Step[] {
    return this.programs(o).flatMap((p) => [...p.steps]);
  }
}
