import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths pino masks in every log line, so credentials never reach the logs. */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.password',
  '*.token',
  '*.secret',
  '*.apiKey',
  'key',
];

export function createLogger(level: string, name = 'eventrag'): Logger {
  return pino({ name, level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}
