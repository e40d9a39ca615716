/**
 * Picks the faster of two interchangeable ways to run the same computation by timing real calls.
 * Used for the int8 3x3 convolutions of the relaxed-SIMD build: qs8_conv3x3_winograd and
 * qs8_conv2d give the same bits, and which is faster depends on the engine (measured: Winograd
 * 1.8-2.2x faster on Node 20's V8 and on Bun's JavaScriptCore, the direct kernel 1.2x faster on
 * Deno 2.9's V8 15, which lowers the relaxed i8 dot product better). Choosing by time therefore
 * changes speed only, never a result.
 *
 * The first 2 * (warmup + samples) calls alternate the two ways, A (the default) first, so that a
 * process that estimates once runs A; warm-up calls are not counted; then the way with the lower
 * median stays (A on a tie). Where the clock does not advance during a call (Cloudflare Workers
 * freeze it while a request computes) every sample reads 0 and A stays.
 */
export class TimedChoice {
  private readonly times: [number[], number[]] = [[], []];
  private calls = 0;
  private decided = false;
  /** true: A was chosen (or is still being compared and is current) */
  private a = true;

  constructor(
    private readonly warmup = 2,
    private readonly samples = 4,
  ) {}

  /** Runs `fn(useA)` with the current choice; while comparing, times it and alternates. */
  run(fn: (useA: boolean) => void): void {
    if (this.decided) {
      fn(this.a);
      return;
    }
    const a = this.calls % 2 === 0;
    const t0 = performance.now();
    try {
      fn(a);
    } finally {
      const dt = performance.now() - t0;
      if (this.calls >= 2 * this.warmup) this.times[a ? 0 : 1].push(dt);
      this.calls++;
      if (this.calls >= 2 * (this.warmup + this.samples)) this.decide();
    }
  }

  /** The current choice: 'a' or 'b' (after the comparison, the faster one). */
  get choice(): 'a' | 'b' {
    return this.a ? 'a' : 'b';
  }

  get comparing(): boolean {
    return !this.decided;
  }

  private decide(): void {
    const med = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1];
    this.a = !(med(this.times[1]) < med(this.times[0]));
    this.decided = true;
  }
}
