import { parseInstant } from '#shared/connectors/types.ts';

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

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The zone's offset from UTC at an instant, in ms (Asia/Ho_Chi_Minh: +7 h). */
function offsetAt(at: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(at)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  const local = Date.UTC(parts.year ?? 0, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
  return local - (at - (((at % 1000) + 1000) % 1000));
}

/**
 * The instant at which the zone's clocks show `wall` (ms of a UTC-read wall time). Two passes
 * settle the offset across a DST change; a wall time skipped by a spring-forward lands just after it.
 */
function wallClockToUtc(wall: number, timeZone: string): number {
  const first = offsetAt(wall, timeZone);
  const guess = wall - first;
  const second = offsetAt(guess, timeZone);
  return second === first ? guess : wall - second;
}

/** Whether Intl knows the zone (the shop was validated at creation; an old record might not be). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}
