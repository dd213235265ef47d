/**
 * Answers for requests that fail before a route runs: Node's HTTP parser errors (headers too
 * large, malformed request lines, request timeouts) and Fastify's router errors (bad
 * percent-encoding, path parameters too long). Every one is problem+json with a stable code.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { MAX_ID_LENGTH } from '../platform/ids.js';
import { AppError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import { toAppError } from './errors.plugin.js';
import { problemBody, sendProblem } from './problem.js';

/** Longest path parameter: every id the API accepts (256 characters) can be read back by path. */
export const MAX_PARAM_LENGTH = MAX_ID_LENGTH;

/** Time to receive a whole request (headers and body); Node's default, which Fastify turns off. */
export const REQUEST_TIMEOUT_MS = 300_000;

/** What Node passes to `clientError` (at run time `rawPacket` is the Buffer being parsed). */
type ParseError = Error & { code?: string; rawPacket?: unknown };

/** Node's limit on the request line and headers together (`--max-http-header-size`). */
const MAX_HEADER_BYTES = 16 * 1024;

/** Fastify's `trustProxy` from TRUST_PROXY: off, any proxy, a hop count, or a list of addresses/CIDRs. */
export function trustProxyOption(setting: string | undefined): boolean | string[] | ((address: string, hop: number) => boolean) {
  const value = setting?.trim();
  if (!value) return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return (_address, hop) => hop < Number(value);
  return value.split(',').map((part) => part.trim()).filter(Boolean);
}

/** Fastify's `frameworkErrors`: router errors, answered like every other error. */
export function frameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let appError: AppError;
  if (error.code === 'FST_ERR_BAD_URL') appError = new AppError('URL_INVALID', { detail: 'the URL is not valid (malformed percent-encoding)' });
  else if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') appError = new AppError('URI_TOO_LONG', { detail: `a path parameter may have at most ${MAX_PARAM_LENGTH} characters` });
  else appError = toAppError(error);
  request.log.info({ code: appError.code }, 'request rejected');
  return sendProblem(reply, appError);
}

/** A request line alone (no line break yet) overflowed the header limit: the URL is too long. */
function isLongRequestLine(packet: Buffer | undefined): boolean {
  if (!packet) return false;
  const head = packet.subarray(0, MAX_HEADER_BYTES + 1).toString('latin1');
  return /^[A-Z]+ /.test(head) && !head.includes('\n');
}

function problemForParseError(error: ParseError): AppError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return isLongRequestLine(Buffer.isBuffer(error.rawPacket) ? error.rawPacket : undefined)
        ? new AppError('URI_TOO_LONG', { detail: `the request line may be at most ${MAX_HEADER_BYTES} bytes` })
        : new AppError('HEADERS_TOO_LARGE', { detail: `request line and headers may be at most ${MAX_HEADER_BYTES} bytes together` });
    case 'HPE_INVALID_URL':
      return new AppError('URL_INVALID', { detail: 'the URL contains characters HTTP does not allow' });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new AppError('REQUEST_TIMEOUT', { detail: 'the request was not received in time' });
    default:
      return new AppError('VALIDATION_FAILED', { detail: 'the request is not valid HTTP/1.1' });
  }
}

/**
 * The server's `clientError` handler: writes a problem+json answer (when nothing was written
 * on the connection yet) and closes the connection.
 */
export function clientErrorHandler(logger: Logger) {
  return (error: ParseError, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const appError = problemForParseError(error);
    logger.debug({ code: appError.code, parserCode: error.code }, 'client error');
    if (!socket.writable || socket.bytesWritten > 0) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify(problemBody(appError));
    const head = `HTTP/1.1 ${appError.status} ${STATUS_CODES[appError.status] ?? 'Error'}\r\nContent-Type: application/problem+json\r\n`
      + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
    socket.end(head + body);
    setTimeout(() => socket.destroy(), 1_000).unref(); // a peer that never closes its side
  };
}
