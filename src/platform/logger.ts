import { pino, type DestinationStream, type Logger } from 'pino';
import { logSerializers, REDACT_PATHS, REDACTED } from './log-redaction.js';

export type { Logger };

/**
 * The process logger. Credentials never reach it: see log-redaction.ts (headers, credential query
 * parameters in every URL, API keys and JWTs in error messages). `destination` defaults to stdout.
 */
export function createLogger(level: string, name = 'eventrag', destination?: DestinationStream): Logger {
  const options = { name, level, serializers: logSerializers, redact: { paths: REDACT_PATHS, censor: REDACTED } };
  return destination ? pino(options, destination) : pino(options);
}
