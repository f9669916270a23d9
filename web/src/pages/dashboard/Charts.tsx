import { useId, useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { DailyRow, ProviderRate } from '../../types.ts';

// Mid-tone colours with at least 3:1 contrast on both the light and the dark background.
const palette = ['#2f7fd0', '#c2571a', '#2e8b57', '#9b59b6'];
const kinds = ['deposit', 'collection', 'withdrawal', 'transfer'];
const axis = { fill: 'currentColor', fontSize: 12 };
// Legend text in the page's text colour: series colours are for lines, not for reading.
const legendText = (value: string) => <span className="chart-legend">{value}</span>;
const tooltipStyle = {
  background: 'var(--surface)',
  border: '1px solid var(--border)',
  color: 'var(--fg)',
};

/**
 * One point per day and kind for a currency. Volumes are parsed to numbers here only to draw them;
 * no sum or other arithmetic is done on money.
 */
function seriesOf(daily: DailyRow[], currency: string) {
  const byDay = new Map<string, Record<string, string | number>>();
  for (const row of daily) {
    if (row.currency !== currency) continue;
    const point = byDay.get(row.day) ?? { day: row.day };
    point[row.kind] = Number(row.volume);
    byDay.set(row.day, point);
  }
  return [...byDay.values()].sort((a, b) => String(a.day).localeCompare(String(b.day)));
}

export default function Charts({ daily, providers }: { daily: DailyRow[]; providers: ProviderRate[] }) {
  const currencies = [...new Set(daily.map((d) => d.currency))].sort();
  const [chosen, setChosen] = useState('');
  const currency = currencies.includes(chosen) ? chosen : (currencies[0] ?? '');
  const selectId = useId();
  const points = seriesOf(daily, currency);
  const present = kinds.filter((k) => points.some((p) => p[k] !== undefined));
  const rates = providers.flatMap((p) =>
    typeof p.success_rate === 'number'
      ? [{ provider: p.provider, rate: Math.round(p.success_rate * 1000) / 10 }]
      : [],
  );

  return (
    <div className="charts">
      <figure className="card chart">
        <figcaption>
          <h2>Daily volume, last 30 days</h2>
          {currencies.length > 1 ? (
            <div className="field inline">
              <label htmlFor={selectId}>Chart currency</label>
              <select id={selectId} value={currency} onChange={(e) => setChosen(e.target.value)}>
                {currencies.map((c) => (
                  <option key={c}>{c}</option>
                ))}
              </select>
            </div>
          ) : null}
        </figcaption>
        {points.length === 0 ? (
          <p className="muted">No volume in the last 30 days.</p>
        ) : (
          <ResponsiveContainer width="100%" height={280}>
            <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
              <CartesianGrid stroke="currentColor" strokeOpacity={0.15} />
              <XAxis dataKey="day" tick={axis} stroke="currentColor" />
              <YAxis tick={axis} stroke="currentColor" width={80} />
              <Tooltip contentStyle={tooltipStyle} />
              <Legend formatter={legendText} />
              {present.map((kind) => (
                <Line
                  key={kind}
                  type="monotone"
                  isAnimationActive={false}
                  dataKey={kind}
                  name={`${kind} (${currency})`}
                  stroke={palette[kinds.indexOf(kind)]}
                  strokeWidth={2}
                  dot={false}
                  connectNulls
                />
              ))}
            </LineChart>
          </ResponsiveContainer>
        )}
      </figure>
      <figure className="card chart">
        <figcaption>
          <h2>Success rate per provider</h2>
        </figcaption>
        {rates.length === 0 ? (
          <p className="muted">No provider payments in the last 30 days.</p>
        ) : (
          <ResponsiveContainer width="100%" height={280}>
            <BarChart data={rates} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
              <CartesianGrid stroke="currentColor" strokeOpacity={0.15} />
              <XAxis dataKey="provider" tick={axis} stroke="currentColor" />
              <YAxis domain={[0, 100]} unit=" %" tick={axis} stroke="currentColor" />
              <Tooltip contentStyle={tooltipStyle} cursor={{ fillOpacity: 0.1 }} />
              <Bar dataKey="rate" name="Success rate" unit=" %" fill={palette[0]} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        )}
      </figure>
    </div>
  );
}
