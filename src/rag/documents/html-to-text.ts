/**
 * Readable text of an HTML page through htmlparser2's tokeniser, never a regex over the markup.
 * The tokeniser is used directly, without htmlparser2's Parser: the Parser keeps a stack of open
 * elements that costs O(depth) per tag, so a megabyte of `<b>` or `<h1>` would be quadratic.
 * Here every token costs O(1): the work is linear in the input, however it is nested.
 *
 * Script, style, noscript, template and head content is dropped, block elements become paragraph
 * breaks, headings Markdown headings, list items `- `. Entities are decoded; invalid numeric
 * references (`&#x110000;`, `&#xD800;`) become U+FFFD.
 */
import { Tokenizer } from 'htmlparser2';
import { BoundedText } from './bounded-text.js';

const SKIPPED = new Set(['script', 'style', 'noscript', 'template', 'head']);
const BLOCKS = new Set([
  'p', 'div', 'section', 'article', 'li', 'tr', 'ul', 'ol', 'table', 'blockquote', 'pre', 'header', 'footer', 'main',
  'nav', 'aside', 'dl', 'dt', 'dd', 'figure', 'figcaption', 'form', 'fieldset', 'address', 'details', 'summary', 'hr',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'body', 'caption',
]);
/** Inline elements join their text with the text around them; any other tag separates words. */
const INLINE = new Set(['a', 'abbr', 'b', 'bdi', 'bdo', 'cite', 'code', 'data', 'del', 'dfn', 'em', 'i', 'ins', 'kbd', 'mark', 'q', 's', 'samp', 'small', 'span', 'strong', 'sub', 'sup', 'time', 'u', 'var', 'font']);
const TITLE_MAX_CHARACTERS = 1000;
const REPLACEMENT = '\uFFFD';

export interface HtmlText {
  title: string | null;
  text: string;
  /** True when the text went over `maxBytes` (then `text` is incomplete). */
  overflow: boolean;
}

function headingLevel(name: string): number {
  return name.length === 2 && name[0] === 'h' && name[1]! >= '1' && name[1]! <= '6' ? Number(name[1]) : 0;
}

function character(codepoint: number): string {
  if (codepoint <= 0 || codepoint > 0x10ffff || (codepoint >= 0xd800 && codepoint <= 0xdfff)) return REPLACEMENT;
  return String.fromCodePoint(codepoint);
}

/** Converts the tokens of one document; `skipped` counts open skipped elements by name. */
class TextBuilder {
  readonly out: BoundedText;
  readonly title = new BoundedText(TITLE_MAX_CHARACTERS * 4);
  private readonly skipped = new Map<string, number>();
  private skipDepth = 0;
  private inTitle = false;
  private sawTitle = false;

  constructor(maxBytes: number) {
    this.out = new BoundedText(maxBytes);
  }

  open(name: string): void {
    if (name === 'body') this.unskip('head', Number.MAX_SAFE_INTEGER); // <body> ends an unclosed <head>
    if (name === 'title' && !this.sawTitle) this.inTitle = true;
    if (SKIPPED.has(name)) { this.skipped.set(name, (this.skipped.get(name) ?? 0) + 1); this.skipDepth += 1; }
    if (this.skipDepth > 0) return;
    const level = headingLevel(name);
    if (level > 0) { this.out.paragraph(); this.out.marker('#'.repeat(level)); }
    else if (name === 'li') { this.out.lineBreak(); this.out.marker('-'); }
    else if (name === 'br') this.out.lineBreak();
    else if (BLOCKS.has(name)) this.out.paragraph();
    else if (!INLINE.has(name)) this.out.space();
  }

  close(name: string): void {
    if (name === 'title' && this.inTitle) { this.inTitle = false; this.sawTitle = true; }
    if (SKIPPED.has(name)) { this.unskip(name, 1); return; }
    if (this.skipDepth > 0) return;
    if (name === 'br') this.out.lineBreak(); // </br> is read as <br>
    else if (BLOCKS.has(name)) this.out.paragraph();
    else if (!INLINE.has(name)) this.out.space();
  }

  text(text: string): void {
    if (this.inTitle) this.title.push(text);
    else if (this.skipDepth === 0) this.out.push(text);
  }

  private unskip(name: string, count: number): void {
    const open = this.skipped.get(name) ?? 0;
    const closed = Math.min(open, count);
    this.skipped.set(name, open - closed);
    this.skipDepth -= closed;
  }
}

/** Text of `html`, at most `maxBytes` of it (UTF-8); past that, tokenising stops and `overflow` is set. */
export function htmlToText(html: string, maxBytes = Number.MAX_SAFE_INTEGER): HtmlText {
  const builder = new TextBuilder(maxBytes);
  let tagName = '';
  const tokenizer: Tokenizer = new Tokenizer({ decodeEntities: true }, {
    ontext: (start, end) => {
      builder.text(html.slice(start, end));
      if (builder.out.overflow) tokenizer.pause();
    },
    ontextentity: (codepoint) => builder.text(character(codepoint)),
    onopentagname: (start, end) => { tagName = html.slice(start, end).toLowerCase(); },
    onopentagend: () => builder.open(tagName),
    onselfclosingtag: () => builder.open(tagName),
    onclosetag: (start, end) => builder.close(html.slice(start, end).toLowerCase()),
    onattribdata() {}, onattribentity() {}, onattribend() {}, onattribname() {},
    oncdata() {}, oncomment() {}, ondeclaration() {}, onprocessinginstruction() {}, onend() {},
  });
  tokenizer.write(html);
  if (!builder.out.overflow) tokenizer.end();
  const title = builder.title.toString().slice(0, TITLE_MAX_CHARACTERS);
  return { title: title || null, text: builder.out.toString(), overflow: builder.out.overflow };
}
