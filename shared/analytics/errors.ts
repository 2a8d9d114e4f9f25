/**
 * What the analytics commands throw, knowing nothing of the CLI: the caller maps a usage error to
 * exit code 2 (with a pointer to --help) and a data error to exit code 1.
 */

/** The command was called wrongly (a missing or malformed option). */
export class AnalyticsUsageError extends Error {
  override name = 'AnalyticsUsageError';
}

/** The input could not be read or is not what the format says. */
export class AnalyticsDataError extends Error {
  override name = 'AnalyticsDataError';
}
