/**
 * How log lines look: one JSON object per line (for log shippers) or readable lines for a
 * terminal (pino-pretty). LOG_FORMAT decides; unset, a terminal outside production gets pretty.
 */
import type { DestinationStream } from 'pino';
import { build as prettyStream } from 'pino-pretty';

export type LogFormat = 'json' | 'pretty';

export interface LogFormatSettings {
  LOG_FORMAT?: LogFormat | undefined;
  NODE_ENV?: string | undefined;
}

/** LOG_FORMAT when set; otherwise pretty when stdout is a terminal and NODE_ENV is not production. */
export function chooseLogFormat(settings: LogFormatSettings, isTTY: boolean): LogFormat {
  if (settings.LOG_FORMAT) return settings.LOG_FORMAT;
  return isTTY && settings.NODE_ENV !== 'production' ? 'pretty' : 'json';
}

/**
 * The destination for createLogger: undefined (pino's JSON on stdout) or a pino-pretty stream,
 * written synchronously so the last lines before an exit are not lost.
 */
export function logDestination(settings: LogFormatSettings, isTTY = Boolean(process.stdout.isTTY)): DestinationStream | undefined {
  if (chooseLogFormat(settings, isTTY) === 'json') return undefined;
  return prettyStream({ sync: true, colorize: isTTY, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' });
}
