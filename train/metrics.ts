/**
 * Age-estimation metrics: MAE, cumulative accuracy CA(k) (share of |pred - truth| <= k years),
 * mean signed error, MAE per age band (bands by the true age), and, when the model reports a
 * per-image spread (e.g. the std of the per-template estimates), the Pearson correlation between
 * that spread and the absolute error; given group labels per image (e.g. UTKFace's race and gender),
 * the MAE and mean signed error of each group.
 */

export interface AgeBand {
  band: string;
  /** inclusive bounds on the true age (hi = Infinity for the last band; a true age t belongs to
   *  the band with lo <= t < next band's lo, so fractional ages fall in the lower band) */
  lo: number;
  hi: number;
  n: number;
  /** NaN when the band is empty */
  mae: number;
}

export interface AgeMetrics {
  n: number;
  mae: number;
  /** percentages (0..100) of |err| <= 3 / 5 / 7 years */
  ca3: number;
  ca5: number;
  ca7: number;
  /** mean of pred - truth */
  meanSignedError: number;
  bands: AgeBand[];
  /** Pearson(spread, |err|); null without spread or when either side has zero variance */
  spreadErrorCorrelation: number | null;
  /** selective prediction: MAE over the share of images (50, 80, 100 %) with the smallest spread; null without spread */
  selective: Array<{ coverage: number; n: number; mae: number }> | null;
  /** per grouping (e.g. 'race', 'gender'): each group's error, groups in name order; absent without groupings */
  groups?: Record<string, GroupError[]>;
}

export interface GroupError {
  group: string;
  n: number;
  mae: number;
  meanSignedError: number;
}

/** Shares of the images, kept by smallest spread, that `selective` reports. */
export const SELECTIVE_COVERAGES = [50, 80, 100] as const;

export const AGE_BANDS: ReadonlyArray<{ band: string; lo: number; hi: number }> = [
  { band: '0-12', lo: 0, hi: 12 },
  { band: '13-19', lo: 13, hi: 19 },
  { band: '20-39', lo: 20, hi: 39 },
  { band: '40-59', lo: 40, hi: 59 },
  { band: '60+', lo: 60, hi: Infinity },
];

function bandOf(t: number): number {
  for (let k = AGE_BANDS.length - 1; k > 0; k--) if (t >= AGE_BANDS[k].lo) return k;
  return 0;
}

/** Pearson correlation; null when n < 2 or a side has zero variance. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  const n = a.length;
  if (n !== b.length) throw new Error(`pearson: lengths differ (${n} vs ${b.length})`);
  if (n < 2) return null;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma, db = b[i] - mb;
    sab += da * db; saa += da * da; sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return null;
  return sab / Math.sqrt(saa * sbb);
}

/**
 * `groupings` maps a grouping's name to one group label per image (same order as `pred`), e.g.
 * { race: ['White', 'Asian', ...] }: AgeMetrics.groups then holds each group's MAE and signed error.
 */
export function ageMetrics(pred: ArrayLike<number>, truth: ArrayLike<number>, spread?: ArrayLike<number>, groupings?: Record<string, ReadonlyArray<string>>): AgeMetrics {
  const n = pred.length;
  if (truth.length !== n) throw new Error(`ageMetrics: ${n} predictions but ${truth.length} true ages`);
  if (spread && spread.length !== n) throw new Error(`ageMetrics: ${n} predictions but ${spread.length} spreads`);
  for (const [name, labels] of Object.entries(groupings ?? {}))
    if (labels.length !== n) throw new Error(`ageMetrics: ${n} predictions but ${labels.length} '${name}' labels`);
  const absErr = new Float64Array(n);
  let sumAbs = 0, sumSigned = 0, c3 = 0, c5 = 0, c7 = 0;
  const bn = new Array<number>(AGE_BANDS.length).fill(0);
  const bs = new Array<number>(AGE_BANDS.length).fill(0);
  for (let i = 0; i < n; i++) {
    const p = pred[i], t = truth[i];
    if (!Number.isFinite(p)) throw new Error(`ageMetrics: prediction ${i} is ${p}`);
    if (!Number.isFinite(t)) throw new Error(`ageMetrics: true age ${i} is ${t}`);
    const e = p - t;
    const a = Math.abs(e);
    absErr[i] = a;
    sumAbs += a;
    sumSigned += e;
    if (a <= 3) c3++;
    if (a <= 5) c5++;
    if (a <= 7) c7++;
    const k = bandOf(t);
    bn[k]++;
    bs[k] += a;
  }
  return {
    n,
    mae: sumAbs / n,
    ca3: (100 * c3) / n,
    ca5: (100 * c5) / n,
    ca7: (100 * c7) / n,
    meanSignedError: sumSigned / n,
    bands: AGE_BANDS.map((b, k) => ({ ...b, n: bn[k], mae: bn[k] ? bs[k] / bn[k] : NaN })),
    spreadErrorCorrelation: spread ? pearson(spread, absErr) : null,
    selective: spread ? selectiveMae(absErr, spread) : null,
    ...(groupings ? { groups: Object.fromEntries(Object.entries(groupings).map(([name, labels]) => [name, groupErrors(pred, truth, labels)])) } : {}),
  };
}

function groupErrors(pred: ArrayLike<number>, truth: ArrayLike<number>, labels: ReadonlyArray<string>): GroupError[] {
  const acc = new Map<string, { n: number; abs: number; signed: number }>();
  for (let i = 0; i < labels.length; i++) {
    const g = acc.get(labels[i]) ?? { n: 0, abs: 0, signed: 0 };
    const e = pred[i] - truth[i];
    g.n++;
    g.abs += Math.abs(e);
    g.signed += e;
    acc.set(labels[i], g);
  }
  return [...acc.entries()]
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([group, g]) => ({ group, n: g.n, mae: g.abs / g.n, meanSignedError: g.signed / g.n }));
}

/** MAE over the images with the smallest spread, for each share in SELECTIVE_COVERAGES (ties keep input order). */
function selectiveMae(absErr: Float64Array, spread: ArrayLike<number>): Array<{ coverage: number; n: number; mae: number }> {
  const order = Array.from({ length: absErr.length }, (_, i) => i).sort((x, y) => spread[x] - spread[y] || x - y);
  return SELECTIVE_COVERAGES.map((coverage) => {
    const k = Math.max(1, Math.round((absErr.length * coverage) / 100));
    let s = 0;
    for (let j = 0; j < k; j++) s += absErr[order[j]];
    return { coverage, n: k, mae: s / k };
  });
}

const fmt = (v: number | null, d = 2) => (v === null || Number.isNaN(v) ? '-' : v.toFixed(d));

/** A markdown section: a heading, the overall metrics table and the per-band MAE table. */
export function metricsMarkdown(m: AgeMetrics, title = 'Age estimation'): string {
  const lines = [
    `### ${title}`,
    '',
    '| n | MAE (years) | CA(3) % | CA(5) % | CA(7) % | mean signed error | corr(spread, abs err) |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    `| ${m.n} | ${fmt(m.mae, 3)} | ${fmt(m.ca3, 1)} | ${fmt(m.ca5, 1)} | ${fmt(m.ca7, 1)} | ${m.meanSignedError >= 0 ? '+' : ''}${fmt(m.meanSignedError, 3)} | ${fmt(m.spreadErrorCorrelation, 3)} |`,
    '',
    '| true age | n | MAE (years) |',
    '|---|---:|---:|',
    ...m.bands.map((b) => `| ${b.band} | ${b.n} | ${fmt(b.mae, 3)} |`),
    '',
  ];
  if (m.selective)
    lines.push('| faces kept (smallest spread first) | n | MAE (years) |', '|---:|---:|---:|', ...m.selective.map((r) => `| ${r.coverage} % | ${r.n} | ${fmt(r.mae, 3)} |`), '');
  for (const [name, groups] of Object.entries(m.groups ?? {}))
    lines.push(`| ${name} | n | MAE (years) | mean signed error |`, '|---|---:|---:|---:|', ...groups.map((g) => `| ${g.group} | ${g.n} | ${fmt(g.mae, 3)} | ${g.meanSignedError >= 0 ? '+' : ''}${fmt(g.meanSignedError, 3)} |`), '');
  return lines.join('\n');
}
