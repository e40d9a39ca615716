/**
 * Timing on a noisy shared machine: contenders run interleaved in one process (round robin, the
 * order rotated every round), each sample is one call (or a batch of calls for sub-millisecond work),
 * and the summary is the median with p10/p90. Ratios are the median of the per-round paired ratios
 * (A and B timed back to back in the same round), which cancels most of the machine's drift.
 */

export interface Summary {
  n: number;
  median: number;
  p10: number;
  p90: number;
  min: number;
  mean: number;
}

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}

export function summarize(xs: number[]): Summary {
  const s = [...xs].sort((a, b) => a - b);
  return {
    n: s.length,
    median: quantile(s, 0.5),
    p10: quantile(s, 0.1),
    p90: quantile(s, 0.9),
    min: s[0],
    mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length),
  };
}

export interface Contender {
  name: string;
  /** the timed work (one call); a returned promise is awaited (and its overhead timed) */
  run: () => unknown;
  /** untimed, before every sample (e.g. select the interval) */
  setup?: () => void;
}

export interface RunOptions {
  rounds: number;
  /** untimed calls of each contender before the first round */
  warmup?: number;
  /** ... and at least this long (ms), at most 200 calls */
  warmupMs?: number;
  /** sub-ms contenders are repeated within a sample until it lasts about this long (ms) */
  minSampleMs?: number;
  /** progress label */
  label?: string;
}

export interface Timings {
  /** per-contender samples in ms per call, index = round */
  samples: Map<string, number[]>;
  /** calls per sample */
  inner: Map<string, number>;
}

const now = () => performance.now();

export async function runInterleaved(contenders: Contender[], opts: RunOptions): Promise<Timings> {
  const warmup = opts.warmup ?? 2;
  const minMs = opts.minSampleMs ?? 2;
  const inner = new Map<string, number>();
  for (const c of contenders) {
    let est = Infinity;
    // warm up (lets the engine tier up the wasm), then estimate the cost of one call
    const w0 = now();
    for (let i = 0; i < warmup || (now() - w0 < (opts.warmupMs ?? 0) && i < 200); i++) {
      c.setup?.();
      const t = now();
      const p = c.run();
      if (p instanceof Promise) await p;
      est = Math.min(est, now() - t);
    }
    if (!isFinite(est)) est = minMs;
    inner.set(c.name, Math.max(1, Math.min(1000, Math.ceil(minMs / Math.max(est, 1e-3)))));
  }
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const t0 = now();
  for (let r = 0; r < opts.rounds; r++) {
    for (let j = 0; j < contenders.length; j++) {
      const c = contenders[(j + r) % contenders.length];
      const k = inner.get(c.name)!;
      c.setup?.();
      const t = now();
      for (let i = 0; i < k; i++) {
        const p = c.run();
        if (p instanceof Promise) await p;
      }
      samples.get(c.name)!.push((now() - t) / k);
    }
    if (opts.label && process.stderr.isTTY) process.stderr.write(`\r  ${opts.label}: round ${r + 1}/${opts.rounds} (${((now() - t0) / 1000).toFixed(0)} s)   `);
  }
  if (opts.label && process.stderr.isTTY) process.stderr.write('\n');
  return { samples, inner };
}

export interface Ratio {
  /** median of the per-round ratios num/den */
  median: number;
  p10: number;
  p90: number;
}

/** per-round paired ratio samples(num) / samples(den) */
export function pairedRatio(t: Timings, num: string, den: string): Ratio {
  const a = t.samples.get(num);
  const b = t.samples.get(den);
  if (!a || !b) throw new Error(`ratio: unknown contender ${a ? den : num}`);
  const r = a.map((x, i) => x / b[i]);
  const s = summarize(r);
  return { median: s.median, p10: s.p10, p90: s.p90 };
}

export const fmt = (x: number, d = 2) => (Number.isFinite(x) ? (Math.abs(x) >= 100 ? x.toFixed(Math.max(0, d - 2)) : x.toFixed(d)) : String(x));
export const fmtMs = (s: Summary) => `${fmt(s.median, 3)} (${fmt(s.p10, 3)}–${fmt(s.p90, 3)})`;

/** markdown table */
export function mdTable(cols: string[], rows: Array<Array<string | number>>): string {
  return [`| ${cols.join(' | ')} |`, `|${cols.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
