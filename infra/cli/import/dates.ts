import { parseInstant } from '#shared/connectors/types.ts';
import { wallClockToUtc, zoneOffset } from '#shared/domain/time-zone.ts';

/**
 * A date or date-time from an import file → an ISO instant. With a zone (`Z`, `+07:00`) it is that
 * instant; without one (`2024-03-01`, `2024-03-01 14:30`) it is the wall-clock time in the shop's
 * time zone — a shop's "1 March" is its own day, not UTC's. Undefined when it is not a real date.
 */
export function instantIn(text: string, timeZone: string): string | undefined {
  const value = text.trim();
  const full = /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? `${value}T00:00:00`
    : /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}$/.test(value)
      ? `${value}:00`
      : value;
  const zoned = parseInstant(full, 'refuse');
  if (zoned) return zoned;
  // Read as if UTC only to check the calendar and get the wall-clock fields; then shift by the zone.
  const wall = parseInstant(full, 'utc');
  if (!wall) return undefined;
  const utc = wallClockToUtc(Date.parse(wall), timeZone);
  return Number.isFinite(utc) ? new Date(utc).toISOString() : undefined;
}

/** Whether Intl knows the zone (the shop was validated at creation; an old record might not be). */
export function isTimeZone(timeZone: string): boolean {
  try {
    zoneOffset(0, timeZone);
    return true;
  } catch {
    return false;
  }
}
