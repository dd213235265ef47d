/**
 * Plain text from uploaded files: text, Markdown, HTML and PDF (via unpdf). HTML and PDF are read
 * in a worker thread (extract.pool.ts) under a time limit and a heap limit; every kind stops at
 * `maxTextBytes` of text and answers 413 past it. The content of an HTML or PDF file is handed
 * to the worker (transferred): do not use it after `extract`.
 */
import { AppError } from '../../platform/errors.js';
import { ExtractPool, type ExtractReply } from './extract.pool.js';

export type FileKind = 'text' | 'markdown' | 'html' | 'pdf';

export interface ExtractedFile {
  title: string | null;
  text: string;
  kind: FileKind;
}

export interface ExtractLimits {
  /** Most text (UTF-8 bytes) one file may yield. */
  maxTextBytes: number;
  /** Time limit of one HTML or PDF extraction. */
  timeoutMs: number;
  /** Heap limit of an extraction worker. */
  memoryMb: number;
  /** Extractions at once (default 2), waiting (default 8), and of those per tenant (default 4). */
  workers?: number;
  queue?: number;
  perTenant?: number;
}

export function kindOf(fileName: string, mimeType: string): FileKind | null {
  const ext = fileName.toLowerCase().split('.').pop() ?? '';
  if (mimeType === 'application/pdf' || ext === 'pdf') return 'pdf';
  if (mimeType === 'text/html' || ext === 'html' || ext === 'htm') return 'html';
  if (mimeType === 'text/markdown' || ext === 'md' || ext === 'markdown') return 'markdown';
  if (mimeType.startsWith('text/') || ext === 'txt') return 'text';
  return null;
}

/** The kind of an uploaded file, or 415 for anything but text, Markdown, HTML and PDF. */
export function fileKind(fileName: string, mimeType: string): FileKind {
  const kind = kindOf(fileName, mimeType);
  if (!kind) throw new AppError('UNSUPPORTED_MEDIA_TYPE', { detail: `${fileName} (${mimeType}): upload text, Markdown, HTML or PDF` });
  return kind;
}

/** The first ATX level-1 heading (`# Title`) of a Markdown text, found by a line scan. */
export function markdownTitle(text: string): string | null {
  for (let start = 0; start < text.length;) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end < 0 ? text.length : end);
    if (line.length > 1 && line[0] === '#' && (line[1] === ' ' || line[1] === '\t')) {
      const title = line.slice(2).trim();
      if (title) return title.slice(0, 1000);
    }
    if (end < 0) break;
    start = end + 1;
  }
  return null;
}

export function textTooLarge(fileName: string, maxTextBytes: number): AppError {
  return new AppError('DOCUMENT_TEXT_TOO_LARGE', {
    detail: `the text of ${fileName} is larger than ${maxTextBytes} bytes, the most one uploaded file may hold (UPLOAD_MAX_TEXT_BYTES, and never more than EVENT_MAX_BYTES)`,
    details: { limitBytes: maxTextBytes },
  });
}

function fromReply(fileName: string, kind: FileKind, reply: ExtractReply, maxTextBytes: number): ExtractedFile {
  if (reply.ok) return { title: reply.title, text: reply.text, kind };
  if (reply.code === 'DOCUMENT_TEXT_TOO_LARGE') throw textTooLarge(fileName, maxTextBytes);
  throw new AppError('DOCUMENT_UNREADABLE', { detail: `${fileName}: ${reply.detail ?? 'the file could not be read'}` });
}

/** The file's bytes as an ArrayBuffer the worker may own: its own buffer when it fills one (no copy), else a copy. */
function ownBytes(content: Uint8Array): ArrayBuffer {
  const whole = content.buffer instanceof ArrayBuffer && content.byteOffset === 0 && content.byteLength === content.buffer.byteLength;
  return whole ? content.buffer as ArrayBuffer : content.slice().buffer;
}

/** Extracts uploaded files; owns the worker pool (call `close()` on shutdown). */
export class TextExtractor {
  private readonly pool: ExtractPool;
  private readonly capacity: number;
  private readonly perTenant: number;
  private readonly reserved = new Map<string, number>();
  private reservedTotal = 0;

  constructor(private readonly limits: ExtractLimits) {
    const workers = limits.workers ?? 2;
    const queue = limits.queue ?? 8;
    this.pool = new ExtractPool({ workers, queue, timeoutMs: limits.timeoutMs, memoryMb: limits.memoryMb });
    this.capacity = workers + queue;
    this.perTenant = limits.perTenant ?? 4;
  }

  /** Most text one file may yield (bytes); a text or Markdown file is at most this large. */
  get maxTextBytes(): number {
    return this.limits.maxTextBytes;
  }

  /**
   * Reserves a place for an HTML or PDF file before the upload buffers it; answers 429 when the
   * workers and their queue are full, or the tenant already holds `perTenant` of the places (so
   * one tenant cannot keep the others' files waiting). Call the returned function when done.
   */
  reserve(kind: FileKind, tenantId: string): () => void {
    if (kind !== 'html' && kind !== 'pdf') return () => undefined;
    const held = this.reserved.get(tenantId) ?? 0;
    if (this.reservedTotal >= this.capacity || held >= this.perTenant) {
      throw new AppError('RATE_LIMITED', { detail: 'too many files are being extracted; retry shortly' });
    }
    this.reserved.set(tenantId, held + 1);
    this.reservedTotal += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.reservedTotal -= 1;
      const left = (this.reserved.get(tenantId) ?? 1) - 1;
      if (left > 0) this.reserved.set(tenantId, left);
      else this.reserved.delete(tenantId);
    };
  }

  /**
   * Extracts `content`, a buffer of its own (an HTML or PDF file's buffer is transferred to the
   * worker); `tenantId` takes turns with other tenants for the workers.
   */
  async extract(fileName: string, mimeType: string, content: Uint8Array, tenantId = ''): Promise<ExtractedFile> {
    const kind = fileKind(fileName, mimeType);
    const { maxTextBytes } = this.limits;
    if (kind === 'html' || kind === 'pdf') {
      return fromReply(fileName, kind, await this.pool.run({ kind, data: ownBytes(content), maxTextBytes }, tenantId), maxTextBytes);
    }
    if (content.length > maxTextBytes) throw textTooLarge(fileName, maxTextBytes);
    const text = new TextDecoder('utf-8').decode(content).trim();
    return { title: kind === 'markdown' ? markdownTitle(text) : null, text, kind };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
