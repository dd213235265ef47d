/** Plain text from uploaded files: text, Markdown, HTML and PDF (via unpdf). */
import { AppError } from '../../platform/errors.js';

export interface ExtractedFile {
  title: string | null;
  text: string;
  kind: 'text' | 'markdown' | 'html' | 'pdf';
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** Readable text of an HTML page: scripts and styles dropped, block elements become line breaks, headings become Markdown headings. */
export function htmlToText(html: string): { title: string | null; text: string } {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1];
  const body = html
    .replace(/<(script|style|noscript|template|head)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<h([1-6])[^>]*>/gi, (_m, level: string) => `\n\n${'#'.repeat(Number(level))} `)
    .replace(/<\/(p|div|section|article|li|tr|h[1-6]|ul|ol|table|blockquote|pre)>/gi, '\n\n')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<li[^>]*>/gi, '- ')
    .replace(/<[^>]+>/g, ' ');
  const text = decodeEntities(body).replace(/[ \t\f\v]+/g, ' ').replace(/ *\n */g, '\n').replace(/\n{3,}/g, '\n\n').trim();
  return { title: title ? decodeEntities(title).trim() : null, text };
}

function kindOf(fileName: string, mimeType: string): ExtractedFile['kind'] | null {
  const ext = fileName.toLowerCase().split('.').pop() ?? '';
  if (mimeType === 'application/pdf' || ext === 'pdf') return 'pdf';
  if (mimeType === 'text/html' || ext === 'html' || ext === 'htm') return 'html';
  if (mimeType === 'text/markdown' || ext === 'md' || ext === 'markdown') return 'markdown';
  if (mimeType.startsWith('text/') || ext === 'txt') return 'text';
  return null;
}

export async function extractText(fileName: string, mimeType: string, content: Buffer): Promise<ExtractedFile> {
  const kind = kindOf(fileName, mimeType);
  if (!kind) throw new AppError('UNSUPPORTED_MEDIA_TYPE', { detail: `${fileName} (${mimeType}): upload text, Markdown, HTML or PDF` });
  if (kind === 'pdf') {
    const { extractText: pdfText } = await import('unpdf');
    try {
      const { text } = await pdfText(new Uint8Array(content), { mergePages: true });
      return { title: null, text: text.trim(), kind };
    } catch (error) {
      throw new AppError('VALIDATION_FAILED', { detail: `${fileName} is not a readable PDF: ${(error as Error).message}`, cause: error });
    }
  }
  const text = content.toString('utf8');
  if (kind === 'html') return { ...htmlToText(text), kind };
  const heading = kind === 'markdown' ? /^#\s+(.+)$/m.exec(text)?.[1]?.trim() ?? null : null;
  return { title: heading, text: text.trim(), kind };
}
