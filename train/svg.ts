/** A minimal SVG line chart (no dependencies), for the figures in docs/. */
export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function ticks(lo: number, hi: number, n = 5): number[] {
  const span = hi - lo || 1;
  const step = 10 ** Math.floor(Math.log10(span / n));
  const err = span / n / step;
  const s = step * (err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1);
  const out: number[] = [];
  for (let v = Math.ceil(lo / s) * s; v <= hi + 1e-9; v += s) out.push(+v.toFixed(10));
  return out;
}

export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[], width = 640, height = 360): string {
  const m = { l: 60, r: 150, t: 36, b: 46 };
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const s of series)
    for (let i = 0; i < s.x.length; i++) {
      x0 = Math.min(x0, s.x[i]);
      x1 = Math.max(x1, s.x[i]);
      y0 = Math.min(y0, s.y[i]);
      y1 = Math.max(y1, s.y[i]);
    }
  const pad = (y1 - y0) * 0.05 || 1;
  y0 -= pad;
  y1 += pad;
  const W = width - m.l - m.r;
  const H = height - m.t - m.b;
  const px = (x: number) => m.l + ((x - x0) / (x1 - x0 || 1)) * W;
  const py = (y: number) => m.t + H - ((y - y0) / (y1 - y0 || 1)) * H;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${m.l + W / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
  ];
  for (const t of ticks(x0, x1)) parts.push(`<line x1="${px(t)}" x2="${px(t)}" y1="${m.t}" y2="${m.t + H}" stroke="#eee"/><text x="${px(t)}" y="${m.t + H + 16}" text-anchor="middle">${t}</text>`);
  for (const t of ticks(y0, y1)) parts.push(`<line x1="${m.l}" x2="${m.l + W}" y1="${py(t)}" y2="${py(t)}" stroke="#eee"/><text x="${m.l - 6}" y="${py(t) + 4}" text-anchor="end">${t}</text>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W}" height="${H}" fill="none" stroke="#888"/>`);
  parts.push(`<text x="${m.l + W / 2}" y="${height - 8}" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${m.t + H / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, k) => {
    const pts = Array.from({ length: s.x.length }, (_, i) => `${px(s.x[i]).toFixed(1)},${py(s.y[i]).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    const ly = m.t + 12 + k * 18;
    parts.push(`<line x1="${m.l + W + 12}" x2="${m.l + W + 32}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"/><text x="${m.l + W + 38}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
