export function percent(value: number | null | undefined, digits = 1): string {
  return typeof value === 'number' && Number.isFinite(value) ? `${(value * 100).toFixed(digits)}%` : '—';
}

export function count(value: number | null | undefined): string {
  return typeof value === 'number' ? value.toLocaleString('en-US') : '—';
}

export function bytes(value: number | null | undefined): string {
  if (typeof value !== 'number') return '—';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let size = value;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit++;
  }
  return `${size.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function toDate(value: number | string | null | undefined): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function time(value: number | string | null | undefined): string {
  const date = toDate(value);
  return date ? date.toLocaleTimeString('en-GB') : '—';
}

export function dateTime(value: number | string | null | undefined): string {
  const date = toDate(value);
  return date ? `${date.toISOString().slice(0, 10)} ${date.toLocaleTimeString('en-GB')}` : '—';
}

export function ago(value: number | string | null | undefined, now = Date.now()): string {
  const date = toDate(value);
  if (!date) return '—';
  const seconds = Math.max(0, Math.round((now - date.getTime()) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return `${Math.floor(seconds / 3600)} h ago`;
}

export function json(value: unknown): string {
  if (value === undefined) return '—';
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    // Only cycles or BigInts get here: a placeholder beats "[object Object]".
    return '(not representable as JSON)';
  }
}
