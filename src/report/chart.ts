// Horizontal stacked bar charts as plain geometry for the report template, which lays them out as inline
// SVG: one bar per layer, one segment per series, widths proportional to the largest bar. No script.

export interface Series {
  /** CSS class of the segments (colours live in the page's style sheet). */
  cls: string;
  name: string;
}

export interface BarIn {
  label: string;
  /** Tooltip text (SVG <title>). */
  title: string;
  /** One value per series, in the series' order. */
  values: number[];
}

export interface Chart {
  id: string;
  title: string;
  caption: string;
  series: Series[];
  width: number;
  height: number;
  /** Right edge of the layer labels. */
  labelX: number;
  bars: { y: number; textY: number; label: string; title: string; value: string; valueX: number; segs: { cls: string; x: number; width: number }[] }[];
}

const WIDTH = 960, LABEL = 300, AREA = 540, ROW = 22, BAR = 16;

/** Thousands separated by commas: 35,096. */
export function int(v: number): string {
  return Math.round(v).toLocaleString('en-US');
}

export function barChart(id: string, title: string, caption: string, unit: string, series: Series[], bars: BarIn[]): Chart {
  const total = (b: BarIn) => b.values.reduce((s, v) => s + v, 0);
  const max = Math.max(1, ...bars.map(total));
  return {
    id, title, caption, series, width: WIDTH, height: bars.length * ROW + 4, labelX: LABEL - 8,
    bars: bars.map((b, i) => {
      let x = LABEL;
      const segs = b.values.map((v, k) => {
        const w = (AREA * v) / max;
        const seg = { cls: series[k].cls, x: round(x), width: round(w) };
        x += w;
        return seg;
      });
      const y = 2 + i * ROW;
      return { y, textY: y + BAR - 4, label: b.label, title: b.title, value: `${int(total(b))} ${unit}`, valueX: round(x + 6), segs };
    }),
  };
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
