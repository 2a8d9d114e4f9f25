import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Observability, configured once. Every line of a request carries shopId (and customerId where
 * known) through appendKeys; no email, phone, name or address is ever logged.
 */
export const logger = new Logger({
  serviceName: 'rapport',
  logLevel: (process.env.LOG_LEVEL as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | undefined) ?? 'INFO',
});
