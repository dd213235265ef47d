/** Builders for upload tests: multipart bodies and a PDF "flate bomb". */
import { deflateSync } from 'node:zlib';

export interface Part {
  name: string;
  filename?: string;
  type?: string;
  content: string | Buffer;
}

export const BOUNDARY = '----eventrag-upload';

/** A multipart/form-data body (with `boundary`) of `parts`, closed unless `close` is false. */
export function multipartBody(parts: Part[], boundary = BOUNDARY, close = true): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename === undefined ? '' : `; filename="${part.filename}"`}`;
    const type = part.type ? `\r\nContent-Type: ${part.type}` : '';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n`, 'utf8'));
    chunks.push(Buffer.isBuffer(part.content) ? part.content : Buffer.from(part.content, 'utf8'));
    chunks.push(Buffer.from('\r\n'));
  }
  if (close) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

export const multipartHeaders = (boundary = BOUNDARY) => ({ 'content-type': `multipart/form-data; boundary=${boundary}` });

/** A file part. */
export const file = (filename: string, type: string, content: string | Buffer): Part => ({ name: 'file', filename, type, content });

/**
 * A one-page PDF whose FlateDecode content stream inflates to `megabytes` MB of text-showing
 * operators, while the file itself stays small. `lines`: 50 lines of text per screen; `no-text`:
 * text state operators only, so reading it is all work and no text (only a time limit stops it).
 */
export function flateBombPdf(megabytes: number, layout: 'lines' | 'no-text' = 'lines'): Buffer {
  const line = (y: number) => `1 0 0 1 72 ${y} Tm (All work and no play makes a dull upload) Tj `;
  const screen = layout === 'lines' ? Array.from({ length: 50 }, (_, i) => line(720 - i * 14)).join('') : '1 0 0 1 72 700 Tm 0 Tc 0 Tw ';
  const content = Buffer.from(`BT /F1 12 Tf ${screen.repeat(Math.ceil((megabytes * 1024 * 1024) / screen.length))}ET`, 'latin1');
  const stream = deflateSync(content, { level: 9 });
  const objects: Buffer[] = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    Buffer.concat([Buffer.from(`<< /Length ${stream.length} /Filter /FlateDecode >>\nstream\n`), stream, Buffer.from('\nendstream')]),
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ].map((body) => (Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1')));
  const chunks: Buffer[] = [Buffer.from('%PDF-1.4\n')];
  let length = chunks[0]!.length;
  const offsets: number[] = [];
  for (const [i, body] of objects.entries()) {
    offsets.push(length);
    const object = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')]);
    chunks.push(object);
    length += object.length;
  }
  const table = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  chunks.push(Buffer.from(`${table}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`, 'latin1'));
  return Buffer.concat(chunks);
}
