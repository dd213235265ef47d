/**
 * Accumulates extracted text with normalised whitespace (runs of spaces become one space, spaces
 * around line breaks go, at most one empty line in a row, trimmed) and stops accumulating once
 * the text is larger than `maxBytes` (UTF-8): extraction never holds more than the limit allows.
 */

/** One token per match: a line break, a run of other whitespace, or a run of non-whitespace. Linear: the classes are disjoint. */
const TOKENS = /\n|[^\S\n]+|\S+/g;
const HAS_SPACE = /\s/;

export class BoundedText {
  private readonly parts: string[] = [];
  private bytes = 0;
  private pendingSpace = false;
  private pendingBreaks = 0;
  /** True once the text went over `maxBytes`; later input is ignored. */
  overflow = false;

  constructor(private readonly maxBytes: number) {}

  /** Appends text; line breaks in it count as line breaks, other whitespace as one space. */
  push(text: string): void {
    if (this.overflow || text.length === 0) return;
    if (!HAS_SPACE.test(text)) { this.word(text); return; }
    for (const match of text.matchAll(TOKENS)) {
      const token = match[0];
      if (token === '\n') this.pendingBreaks += 1;
      else if (/^\s/.test(token)) this.pendingSpace = true;
      else this.word(token);
      if (this.overflow) return;
    }
  }

  /** A paragraph boundary (an empty line), as block elements and pages make. */
  paragraph(): void {
    this.pendingBreaks = Math.max(this.pendingBreaks, 2);
  }

  /** A marker word followed by a space, such as `##` before a heading or `-` before a list item. */
  marker(word: string): void {
    if (this.overflow) return;
    this.word(word);
    this.pendingSpace = true;
  }

  /** A line break. */
  lineBreak(): void {
    this.pendingBreaks += 1;
  }

  /** A word separator (an inline boundary that is not a line break). */
  space(): void {
    this.pendingSpace = true;
  }

  private word(token: string): void {
    const separator = this.parts.length === 0 ? '' : this.pendingBreaks > 0 ? '\n'.repeat(Math.min(this.pendingBreaks, 2)) : this.pendingSpace ? ' ' : '';
    this.pendingBreaks = 0;
    this.pendingSpace = false;
    this.bytes += separator.length + Buffer.byteLength(token, 'utf8');
    if (this.bytes > this.maxBytes) {
      this.overflow = true;
      return;
    }
    if (separator) this.parts.push(separator);
    this.parts.push(token);
  }

  /** UTF-8 size of the text so far. */
  get byteLength(): number {
    return this.bytes;
  }

  toString(): string {
    return this.parts.join('');
  }
}
