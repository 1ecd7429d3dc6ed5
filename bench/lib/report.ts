/** A column of a plain-text table: right-aligned unless `left`. */
export interface Column {
  header: string;
  left?: boolean;
}

/** Renders rows under headers with aligned columns; `null` cells print as "–". */
export function renderTable(columns: Column[], rows: (string | number | null)[][]): string[] {
  const cells = rows.map((row) => row.map((c) => (c === null ? '–' : String(c))));
  const widths = columns.map((col, i) => Math.max(col.header.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (columns[i].left ? v.padEnd(widths[i]) : v.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)];
}

/** Requests or sets per second: no decimals once it's large enough that they are noise. */
export function fmtRate(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

export function fmtMs(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/** `a / b` as "0.42×"; null when either side is missing. */
export function fmtRatio(a: number | null | undefined, b: number | null | undefined): string | null {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  const r = a / b;
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

/** Rounds for the JSON line: enough precision to compare runs, none of the float noise. */
export function round(n: number, digits = 3): number {
  if (!Number.isFinite(n)) return n;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
