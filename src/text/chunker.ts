/**
 * Chunking: packs paragraphs, then sentences, then words into chunks of at most `size`
 * characters, repeating the last ≤ `overlap` characters' worth of units at the start of the
 * next chunk. With `markdown`, headings start new sections, fenced code stays whole where it
 * fits, and each chunk is prefixed with its heading path (`Guide > Install`).
 */
export interface ChunkOptions {
  /** Largest chunk in characters (excluding the heading prefix); ≥ 50. */
  size: number;
  /** Characters repeated from the previous chunk; < size / 2. */
  overlap: number;
  markdown: boolean;
}

export interface TextChunk {
  /** Position in the document, from 0. */
  index: number;
  /** Chunk text, with the heading path as first line when markdown headings apply. */
  text: string;
  /** Heading path (`A > B`), or null. */
  heading: string | null;
}

export const DEFAULT_CHUNK_OPTIONS: Readonly<ChunkOptions> = Object.freeze({ size: 1200, overlap: 150, markdown: true });

interface Section {
  heading: string | null;
  body: string;
}

/** Splits a document's text into chunks. Empty or blank text gives no chunks. */
export function chunkText(text: string, options: ChunkOptions = DEFAULT_CHUNK_OPTIONS): TextChunk[] {
  const size = Math.max(50, Math.floor(options.size));
  const overlap = Math.max(0, Math.min(Math.floor(options.overlap), Math.floor(size / 2) - 1));
  const sections = options.markdown ? markdownSections(text) : [{ heading: null, body: text }];
  const chunks: TextChunk[] = [];
  for (const section of sections) {
    for (const body of packUnits(splitUnits(section.body, size), size, overlap)) {
      const prefix = section.heading ? `${section.heading}\n` : '';
      chunks.push({ index: chunks.length, text: prefix + body, heading: section.heading });
    }
  }
  return chunks;
}

const WHITESPACE = /\s/;
/** A heading is repeated at the top of each of its section's chunks: an over-long one is cut. */
const HEADING_MAX_CHARACTERS = 200;

/**
 * An ATX heading line (`## Title ##`): 1 to 6 `#`, whitespace, the text, an optional closing run
 * of `#`. Scanned by hand, linear in the line: the regex it replaces backtracked polynomially on
 * long runs of spaces (a 5 KB line blocked the event loop for minutes).
 */
function atxHeading(line: string): { level: number; text: string } | null {
  let level = 0;
  while (level < line.length && line[level] === '#') level += 1;
  if (level === 0 || level > 6 || level === line.length || !WHITESPACE.test(line[level]!)) return null;
  const body = line.slice(level).trim();
  if (!body) return null;
  let end = body.length;
  while (end > 0 && body[end - 1] === '#') end -= 1;
  const text = body.slice(0, end).trimEnd() || body;
  return { level, text: text.slice(0, HEADING_MAX_CHARACTERS) };
}

/** Sections at markdown headings (ATX `#`), outside fenced code, with their heading paths. */
function markdownSections(text: string): Section[] {
  const sections: Section[] = [];
  const path: string[] = [];
  let lines: string[] = [];
  let inFence = false;
  const flush = () => {
    const body = lines.join('\n').trim();
    if (body) sections.push({ heading: path.length > 0 ? path.filter(Boolean).join(' > ') : null, body });
    lines = [];
  };
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const heading = inFence ? null : atxHeading(line);
    if (!heading) {
      lines.push(line);
      continue;
    }
    flush();
    const { level } = heading;
    path.length = Math.min(path.length, level - 1);
    while (path.length < level - 1) path.push('');
    path.push(heading.text);
  }
  flush();
  return sections;
}

interface Unit {
  text: string;
  /** Starts a paragraph (joined with a newline, else with a space). */
  opens: boolean;
}

/** Sentences of paragraphs (a fenced code block that fits stays one unit). */
function splitUnits(body: string, size: number): Unit[] {
  const units: Unit[] = [];
  for (const block of paragraphs(body)) {
    const pieces = /^\s*(```|~~~)/.test(block) && block.length <= size ? [block] : sentences(block);
    pieces.flatMap((sentence) => hardSplit(sentence, size)).forEach((text, i) => units.push({ text, opens: i === 0 }));
  }
  return units;
}

function paragraphs(body: string): string[] {
  const blocks: string[] = [];
  let current: string[] = [];
  let inFence = false;
  for (const line of body.split(/\r?\n/)) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    if (!inFence && line.trim() === '') {
      if (current.length > 0) blocks.push(current.join('\n').trim());
      current = [];
    } else current.push(line);
  }
  if (current.length > 0) blocks.push(current.join('\n').trim());
  return blocks.filter(Boolean);
}

/** Sentences: split after . ! ? followed by space and an upper-case letter, digit or quote. */
export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?…])\s+(?=["'„“(\[]?[\p{Lu}\p{N}])/u)
    .map((sentence) => sentence.trim())
    .filter(Boolean);
}

/** Splits an over-long sentence at word boundaries (or mid-word when a word is too long). */
function hardSplit(sentence: string, size: number): string[] {
  if (sentence.length <= size) return [sentence];
  const parts: string[] = [];
  let current = '';
  for (const word of sentence.split(/\s+/)) {
    for (let i = 0; i < word.length; i += size) {
      const piece = word.slice(i, i + size);
      if (current && current.length + 1 + piece.length > size) {
        parts.push(current);
        current = piece;
      } else current = current ? `${current} ${piece}` : piece;
    }
  }
  if (current) parts.push(current);
  return parts;
}

/** Greedy packing of units into chunks with unit-aligned overlap. */
function packUnits(units: Unit[], size: number, overlap: number): string[] {
  const chunks: string[] = [];
  let current: Unit[] = [];
  for (const unit of units) {
    if (current.length > 0 && join(current).length + 1 + unit.text.length > size) {
      chunks.push(join(current));
      current = tail(current, overlap, size - unit.text.length - 1);
    }
    current.push(unit);
  }
  if (current.length > 0) chunks.push(join(current));
  return chunks;
}

function join(units: Unit[]): string {
  return units.map((unit, i) => (i === 0 ? '' : unit.opens ? '\n' : ' ') + unit.text).join('');
}

/** The last units of a chunk whose total length fits both `overlap` and the room left. */
function tail(units: Unit[], overlap: number, room: number): Unit[] {
  const kept: Unit[] = [];
  let length = 0;
  for (let i = units.length - 1; i >= 0; i -= 1) {
    const unit = units[i]!;
    if (length + unit.text.length + 1 > Math.min(overlap, room)) break;
    kept.unshift(unit);
    length += unit.text.length + 1;
  }
  return kept;
}
