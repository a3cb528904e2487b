export interface Series {
  name: string;
  /** A CSS class that sets the stroke colour (see styles.css). */
  className: string;
  values: (number | null)[];
}

interface Props {
  title: string;
  times: number[];
  series: Series[];
  /** Top of the y axis; the data's maximum when omitted. */
  yMax?: number;
  formatY: (value: number) => string;
  empty: string;
}

const WIDTH = 640;
const HEIGHT = 200;
const PAD = { left: 52, right: 12, top: 10, bottom: 24 };

/** A dependency-free SVG line chart; gaps (null) break the line instead of drawing a false zero. */
export function LineChart({ title, times, series, yMax, formatY, empty }: Props) {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  if (times.length < 2 || all.length === 0) {
    return (
      <figure class="chart">
        <figcaption>{title}</figcaption>
        <p class="empty">{empty}</p>
      </figure>
    );
  }
  const top = yMax ?? Math.max(1, ...all) * 1.1;
  const t0 = times[0]!;
  const t1 = times[times.length - 1]!;
  const x = (t: number) => PAD.left + ((t - t0) / Math.max(1, t1 - t0)) * (WIDTH - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - v / top) * (HEIGHT - PAD.top - PAD.bottom);
  const path = (values: (number | null)[]) => {
    let d = '';
    let pen = false;
    values.forEach((value, index) => {
      if (value === null) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(times[index]!).toFixed(1)},${y(value).toFixed(1)}`;
      pen = true;
    });
    return d;
  };
  const latest = series.map((s) => {
    const last = [...s.values].reverse().find((v) => v !== null);
    return `${s.name} ${last === undefined || last === null ? '—' : formatY(last)}`;
  });
  const ticks = [0, 0.5, 1].map((f) => f * top);
  const label = (t: number) => new Date(t).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${title}: latest ${latest.join(', ')}`}>
        {ticks.map((tick) => (
          <g key={tick}>
            <line class="gridline" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} />
            <text class="axis" x={PAD.left - 6} y={y(tick) + 4} text-anchor="end">
              {formatY(tick)}
            </text>
          </g>
        ))}
        <text class="axis" x={PAD.left} y={HEIGHT - 6}>
          {label(t0)}
        </text>
        <text class="axis" x={WIDTH - PAD.right} y={HEIGHT - 6} text-anchor="end">
          {label(t1)}
        </text>
        {series.map((s) => (
          <g key={s.name}>
            <path class={`line ${s.className}`} d={path(s.values)} />
            {/* A point between two gaps has no segment to draw: show it as a dot. */}
            {s.values.map((value, index) =>
              value !== null && (s.values[index - 1] ?? null) === null && (s.values[index + 1] ?? null) === null ? (
                <circle
                  key={index}
                  class={`dot ${s.className}`}
                  cx={x(times[index]!)}
                  cy={y(value)}
                  r={s.className === 's-total' ? 5 : 3}
                />
              ) : null,
            )}
          </g>
        ))}
      </svg>
      <ul class="legend">
        {series.map((s, index) => (
          <li key={s.name}>
            <span class={`swatch ${s.className}`} aria-hidden="true" />
            {latest[index]}
          </li>
        ))}
      </ul>
    </figure>
  );
}
