// Small line charts as plain SVG text (no dependencies), for bench/RESULTS.md: a few series over a
// shared x axis, optional vertical marks (e.g. "snapshot taken"), axes with round tick labels.

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Vertical lines at these x values, each with a short label. */
  marks?: { x: number; label: string }[];
  width?: number;
  height?: number;
}

const PAD = { left: 56, right: 16, top: 28, bottom: 40 };

/** 1, 2 or 5 × a power of ten: about `count` steps over [0, max]. */
function niceStep(max: number, count: number): number {
  const raw = max / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const num = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(n < 1 ? 2 : 1));

export function lineChart(c: Chart): string {
  const w = c.width ?? 640;
  const h = c.height ?? 240;
  const all = c.series.flatMap((s) => s.points);
  const xMax = Math.max(1e-9, ...all.map((p) => p[0]), ...(c.marks ?? []).map((m) => m.x));
  const yMax = Math.max(1e-9, ...all.map((p) => p[1]));
  const xStep = niceStep(xMax, 6);
  const yStep = niceStep(yMax, 4);
  const xTop = Math.ceil(xMax / xStep) * xStep;
  const yTop = Math.ceil(yMax / yStep) * yStep;
  const px = (x: number) => PAD.left + (x / xTop) * (w - PAD.left - PAD.right);
  const py = (y: number) => h - PAD.bottom - (y / yTop) * (h - PAD.top - PAD.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="11">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<text x="${w / 2}" y="16" text-anchor="middle" font-size="13">${esc(c.title)}</text>`,
  ];
  for (let y = 0; y <= yTop + 1e-9; y += yStep) {
    out.push(`<line x1="${PAD.left}" x2="${w - PAD.right}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`);
    out.push(`<text x="${PAD.left - 4}" y="${py(y) + 4}" text-anchor="end">${num(y)}</text>`);
  }
  for (let x = 0; x <= xTop + 1e-9; x += xStep) {
    out.push(`<text x="${px(x)}" y="${h - PAD.bottom + 14}" text-anchor="middle">${num(x)}</text>`);
  }
  out.push(`<text x="${w / 2}" y="${h - 6}" text-anchor="middle">${esc(c.xLabel)}</text>`);
  out.push(`<text x="12" y="${h / 2}" text-anchor="middle" transform="rotate(-90 12 ${h / 2})">${esc(c.yLabel)}</text>`);
  for (const m of c.marks ?? []) {
    const x = px(m.x).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${PAD.top}" y2="${h - PAD.bottom}" stroke="#999" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${(px(m.x) + 3).toFixed(1)}" y="${PAD.top + 10}" fill="#666">${esc(m.label)}</text>`);
  }
  c.series.forEach((s, i) => {
    if (s.points.length > 0) {
      const d = s.points.map(([x, y], j) => `${j === 0 ? "M" : "L"}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join("");
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`);
    }
    const lx = PAD.left + 8 + i * 110;
    out.push(`<rect x="${lx}" y="${PAD.top - 2}" width="10" height="3" fill="${s.color}"/><text x="${lx + 14}" y="${PAD.top + 2}">${esc(s.name)}</text>`);
  });
  out.push(`<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${h - PAD.bottom}" stroke="#333"/>`);
  out.push(`<line x1="${PAD.left}" x2="${w - PAD.right}" y1="${h - PAD.bottom}" y2="${h - PAD.bottom}" stroke="#333"/>`);
  out.push("</svg>");
  return out.join("\n");
}
