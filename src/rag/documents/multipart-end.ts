/**
 * Whether a multipart body really ended: the parser stops quietly when a body is cut between two
 * parts, which would store the parts before the cut as if the upload were whole. This watches the
 * raw body for the closing delimiter (`CRLF--boundary--`), in linear time and constant memory.
 */
import type { IncomingMessage } from 'node:http';

const BOUNDARY = /;\s*boundary=(?:"([^"]{1,200})"|([^;\s]{1,200}))/i;

/** Starts watching `raw`; the returned function tells whether the closing delimiter has been seen. */
export function watchClosingDelimiter(raw: IncomingMessage): () => boolean {
  const match = BOUNDARY.exec(String(raw.headers['content-type'] ?? ''));
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) return () => true; // no boundary: the parser refuses the body itself
  const delimiter = Buffer.from(`\r\n--${boundary}--`, 'latin1');
  let carry: Buffer = Buffer.from('\r\n'); // a body may start with its closing delimiter
  let seen = false;
  const onData = (chunk: Buffer) => {
    if (seen) return;
    const window = Buffer.concat([carry, chunk]);
    if (window.indexOf(delimiter) >= 0) {
      seen = true;
      raw.off('data', onData);
      return;
    }
    carry = window.subarray(Math.max(0, window.length - delimiter.length + 1));
  };
  raw.on('data', onData);
  return () => seen;
}
