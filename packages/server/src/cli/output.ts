/** Formatting for humans: aligned tables, durations, a redrawn progress bar. */

export interface Writer {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Left-aligned columns separated by two spaces; the header row is upper-cased. */
export function table(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers.map((header) => header.toUpperCase())), ...rows.map(line)].join('\n') + '\n';
}

export function progressBar(percent: number, width = 30): string {
  const clamped = Math.max(0, Math.min(100, percent));
  const filled = Math.round((clamped / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${clamped.toFixed(0).padStart(3)}%`;
}

/**
 * Draws progress on one line of a terminal (carriage return), or one line per change when the output
 * is a pipe, so logs of `jobs add --wait` stay readable.
 */
export class ProgressLine {
  private last = '';
  constructor(private readonly out: Writer) {}

  update(percent: number, message?: string): void {
    const text = `${progressBar(percent)}${message ? ` ${message}` : ''}`;
    if (text === this.last) return;
    this.last = text;
    if (this.out.isTTY) this.out.write(`\r\x1b[2K${text}`);
    else this.out.write(`${text}\n`);
  }

  done(): void {
    if (this.out.isTTY && this.last) this.out.write('\n');
  }
}

export function ago(timestamp: number | null | undefined, now = Date.now()): string {
  if (!timestamp) return '-';
  const seconds = Math.max(0, Math.round((now - timestamp) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m ago`;
  return `${Math.round(seconds / 3600)}h ago`;
}
