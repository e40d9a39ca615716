/** Two small dependency-free SVG charts: latency vs interval (lines), and grouped horizontal bars. */

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

function logTicks(lo: number, hi: number): number[] {
  const t: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) t.push(v);
    }
  return t;
}
const tickLabel = (v: number) => (v >= 1 ? String(+v.toPrecision(3)) : String(+v.toPrecision(2)));

export interface Series {
  name: string;
  points: Array<{ x: number; y: number; lo: number; hi: number }>;
}

/** Panels of log-y line charts over categorical x (the intervals). */
export function lineChart(title: string, panels: Array<{ title: string; series: Series[] }>, xs: number[], yLabel: string): string {
  const pw = 420;
  const ph = 300;
  const m = { l: 60, r: 20, t: 50, b: 50 };
  const W = panels.length * (pw + m.l + m.r);
  const H = ph + m.t + m.b + 30;
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<rect width="100%" height="100%" fill="white"/>`, `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15">${esc(title)}</text>`];
  panels.forEach((p, pi) => {
    const ox = pi * (pw + m.l + m.r) + m.l;
    const oy = m.t;
    const all = p.series.flatMap((s) => s.points.flatMap((q) => [q.lo, q.hi, q.y])).filter((v) => v > 0 && isFinite(v));
    const lo = Math.min(...all) * 0.8;
    const hi = Math.max(...all) * 1.25;
    const X = (i: number) => ox + (pw * (i + 0.5)) / xs.length;
    const Y = (v: number) => oy + ph - (ph * (Math.log(v) - Math.log(lo))) / (Math.log(hi) - Math.log(lo));
    out.push(`<text x="${ox + pw / 2}" y="${oy - 10}" text-anchor="middle" font-size="13">${esc(p.title)}</text>`);
    out.push(`<rect x="${ox}" y="${oy}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
    for (const v of logTicks(lo, hi)) {
      out.push(`<line x1="${ox}" x2="${ox + pw}" y1="${Y(v)}" y2="${Y(v)}" stroke="#eee"/>`);
      out.push(`<text x="${ox - 5}" y="${Y(v) + 4}" text-anchor="end">${tickLabel(v)}</text>`);
    }
    xs.forEach((x, i) => out.push(`<text x="${X(i)}" y="${oy + ph + 16}" text-anchor="middle">${x}</text>`));
    out.push(`<text x="${ox + pw / 2}" y="${oy + ph + 34}" text-anchor="middle">interval k (templates = ceil(100 / k))</text>`);
    out.push(`<text transform="translate(${ox - 45},${oy + ph / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
    p.series.forEach((s, si) => {
      const c = COLORS[si % COLORS.length];
      const pts = s.points.map((q) => `${X(xs.indexOf(q.x))},${Y(q.y)}`).join(' ');
      out.push(`<polyline points="${pts}" fill="none" stroke="${c}" stroke-width="2"/>`);
      for (const q of s.points) {
        const x = X(xs.indexOf(q.x));
        out.push(`<line x1="${x}" x2="${x}" y1="${Y(q.lo)}" y2="${Y(q.hi)}" stroke="${c}"/>`);
        out.push(`<circle cx="${x}" cy="${Y(q.y)}" r="3" fill="${c}"><title>${esc(`${s.name} k=${q.x}: ${q.y.toFixed(3)} ms (p10 ${q.lo.toFixed(3)}, p90 ${q.hi.toFixed(3)})`)}</title></circle>`);
      }
      out.push(`<rect x="${ox + 10}" y="${oy + 10 + si * 18}" width="12" height="12" fill="${c}"/><text x="${ox + 28}" y="${oy + 21 + si * 18}">${esc(s.name)}</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n');
}

export interface Bar {
  group: string;
  label: string;
  median: number;
  p10: number;
  p90: number;
  ours: boolean;
}

/** Horizontal bars (log x) with p10-p90 whiskers, one block per group. */
export function barChart(title: string, bars: Bar[], xLabel: string): string {
  const rowH = 20;
  const labelW = 330;
  const pw = 520;
  const groups = [...new Set(bars.map((b) => b.group))];
  const H = 60 + groups.length * 26 + bars.length * rowH + 40;
  const W = labelW + pw + 120;
  const vals = bars.flatMap((b) => [b.p10, b.p90, b.median]).filter((v) => v > 0 && isFinite(v));
  const lo = Math.min(...vals) * 0.7;
  const hi = Math.max(...vals) * 1.3;
  const X = (v: number) => labelW + (pw * (Math.log(v) - Math.log(lo))) / (Math.log(hi) - Math.log(lo));
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<rect width="100%" height="100%" fill="white"/>`, `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15">${esc(title)}</text>`];
  const top = 40;
  const bottom = H - 40;
  for (const v of logTicks(lo, hi)) {
    out.push(`<line x1="${X(v)}" x2="${X(v)}" y1="${top}" y2="${bottom}" stroke="#eee"/>`);
    out.push(`<text x="${X(v)}" y="${bottom + 14}" text-anchor="middle">${tickLabel(v)}</text>`);
  }
  out.push(`<text x="${labelW + pw / 2}" y="${bottom + 30}" text-anchor="middle">${esc(xLabel)}</text>`);
  let y = top + 6;
  for (const g of groups) {
    out.push(`<text x="6" y="${y + 14}" font-weight="bold">${esc(g)}</text>`);
    y += 22;
    for (const b of bars.filter((x) => x.group === g)) {
      const c = b.ours ? '#1f77b4' : '#aaaaaa';
      out.push(`<text x="${labelW - 6}" y="${y + 13}" text-anchor="end">${esc(b.label)}</text>`);
      out.push(`<rect x="${labelW}" y="${y + 3}" width="${Math.max(1, X(b.median) - labelW)}" height="${rowH - 6}" fill="${c}"><title>${esc(`${b.label}: ${b.median.toFixed(3)} ms (p10 ${b.p10.toFixed(3)}, p90 ${b.p90.toFixed(3)})`)}</title></rect>`);
      out.push(`<line x1="${X(b.p10)}" x2="${X(b.p90)}" y1="${y + rowH / 2}" y2="${y + rowH / 2}" stroke="black"/>`);
      out.push(`<text x="${X(Math.max(b.p90, b.median)) + 5}" y="${y + 13}">${b.median >= 100 ? b.median.toFixed(0) : b.median.toPrecision(3)} ms</text>`);
      y += rowH;
    }
    y += 4;
  }
  out.push('</svg>');
  return out.join('\n');
}
