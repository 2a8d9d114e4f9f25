/**
 * Wall-clock time in a shop's time zone and the instants it names, through Intl (no tz database of
 * our own). One formatter per zone: building an Intl.DateTimeFormat costs far more than using one,
 * and the backtest and an import ask for thousands of instants of one zone.
 */

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

/** The zone's offset from UTC at an instant, in ms (Asia/Ho_Chi_Minh: +7 h). Throws for a zone Intl does not know. */
export function zoneOffset(at: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(at)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  const local = Date.UTC(parts.year ?? 0, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
  return local - (at - (((at % 1000) + 1000) % 1000));
}

/**
 * The instant at which the zone's clocks show `wall` (ms of a UTC-read wall time). Two passes
 * settle the offset across a DST change; a wall time skipped by a spring-forward lands just after it.
 */
export function wallClockToUtc(wall: number, timeZone: string): number {
  const first = zoneOffset(wall, timeZone);
  const guess = wall - first;
  const second = zoneOffset(guess, timeZone);
  return second === first ? guess : wall - second;
}
