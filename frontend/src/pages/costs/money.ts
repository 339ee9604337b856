// Cost formatting and date ranges for the costs page. Pure.

/** "£1.23"; negative amounts keep their sign before the symbol. */
export function money(v: number, symbol: string, digits = 2): string {
  const sign = v < 0 ? "-" : "";
  return `${sign}${symbol}${Math.abs(v).toFixed(digits)}`;
}

const ymd = (d: Date) => d.toISOString().slice(0, 10);

/** The last `days` days up to and including `now`'s UTC day, as the API's dates. */
export function dayRange(now: Date, days: number): { start_date: string; end_date: string } {
  const start = new Date(now.getTime() - (days - 1) * 86_400_000);
  return { start_date: ymd(start), end_date: ymd(now) };
}
