/**
 * Body of the text extraction worker thread (started through extract-worker.entry.mjs): turns
 * HTML and PDF bytes into text off the main thread, accumulating at most `maxTextBytes`. The
 * thread's heap is capped by the pool (`resourceLimits`), and it is terminated on a time-out.
 * unpdf is loaded before the thread reports ready, so a job's time limit covers only its work.
 */
import { parentPort } from 'node:worker_threads';
import { getDocumentProxy } from 'unpdf';
import { BoundedText } from './bounded-text.js';
import type { ExtractJob, ExtractReply } from './extract.pool.js';
import { htmlToText } from './html-to-text.js';

interface TextItemLike { str?: string; hasEOL?: boolean }

async function pdfToText(data: Uint8Array, maxBytes: number): Promise<{ text: string; overflow: boolean }> {
  const out = new BoundedText(maxBytes);
  const pdf = await getDocumentProxy(data, { stopAtErrors: false, verbosity: 0 });
  try {
    for (let number = 1; number <= pdf.numPages && !out.overflow; number += 1) {
      const page = await pdf.getPage(number);
      const reader = page.streamTextContent().getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const item of (value as { items: TextItemLike[] }).items) {
          if (typeof item.str === 'string') out.push(item.str);
          if (item.hasEOL) out.lineBreak();
        }
        if (out.overflow) { await reader.cancel(new Error('text limit reached')).catch(() => undefined); break; }
      }
      page.cleanup();
      out.lineBreak();
    }
  } finally {
    await pdf.destroy();
  }
  return { text: out.toString(), overflow: out.overflow };
}

export async function runJob(job: ExtractJob): Promise<ExtractReply> {
  const data = new Uint8Array(job.data);
  if (job.kind === 'html') {
    const html = new TextDecoder('utf-8').decode(data);
    const { title, text, overflow } = htmlToText(html, job.maxTextBytes);
    return overflow ? { ok: false, code: 'DOCUMENT_TEXT_TOO_LARGE' } : { ok: true, title, text };
  }
  try {
    const { text, overflow } = await pdfToText(data, job.maxTextBytes);
    return overflow ? { ok: false, code: 'DOCUMENT_TEXT_TOO_LARGE' } : { ok: true, title: null, text };
  } catch (error) {
    return { ok: false, code: 'DOCUMENT_UNREADABLE', detail: `not a readable PDF: ${(error as Error).message}`.slice(0, 300) };
  }
}

const port = parentPort;
if (port) {
  port.on('message', (job: ExtractJob) => {
    runJob(job).then(
      (reply) => port.postMessage(reply),
      (error: unknown) => port.postMessage({ ok: false, code: 'DOCUMENT_UNREADABLE', detail: String((error as Error)?.message ?? error).slice(0, 300) } satisfies ExtractReply),
    );
  });
  port.postMessage({ ready: true });
}
