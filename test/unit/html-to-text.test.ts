import { describe, expect, it } from 'vitest';
import { BoundedText } from '../../src/rag/documents/bounded-text.js';
import { markdownTitle } from '../../src/rag/documents/extract-text.js';
import { htmlToText } from '../../src/rag/documents/html-to-text.js';

describe('htmlToText', () => {
  it('keeps readable text: title, headings, paragraphs, lists, entities; drops scripts, styles and head', () => {
    const html = `<!doctype html><html><head><title>Security &amp; Safety</title><style>p{color:red}</style>
      <script>alert("x")</script></head><body><!-- hidden --><h1>Laptops</h1><p>Encrypt every <b>lap</b>top disk &amp; lock&nbsp;screens.</p>
      <h2>Lists</h2><ul><li>one</li><li>two<br>lines</li></ul><noscript>enable js</noscript><template><p>tpl</p></template>
      <div>caf&eacute; &lt;tag&gt; &#233; &#x20AC;</div><table><tr><td>a</td><td>b</td></tr></table></body></html>`;
    const { title, text, overflow } = htmlToText(html);
    expect(title).toBe('Security & Safety');
    expect(overflow).toBe(false);
    expect(text).toBe('# Laptops\n\nEncrypt every laptop disk & lock screens.\n\n## Lists\n\n- one\n\n- two\nlines\n\ncafé <tag> é €\n\na b');
    for (const hidden of ['alert', 'color:red', 'hidden', 'enable js', 'tpl', 'Security']) expect(text).not.toContain(hidden);
  });

  it('decodes invalid numeric character references to U+FFFD instead of throwing', () => {
    const { text } = htmlToText('<p>a &#x110000; b &#xD800; c &#0; d &#99999999999; e</p>');
    expect(text).toBe('a \uFFFD b \uFFFD c \uFFFD d \uFFFD e');
  });

  it('treats unterminated comments, scripts and tags as the end of the text', () => {
    expect(htmlToText('<p>before</p><!-- never closed <p>after</p>').text).toBe('before');
    expect(htmlToText('<p>before</p><script>never closed <p>after</p>').text).toBe('before');
    expect(htmlToText('<p>kept</p><div class="x').text).toBe('kept');
  });

  // Each input is 1 MB: the regex converter this replaces needed 12.5 s for 200 KB of '<!--'
  // (quadratic), so these would run for minutes and fail by the test timeout.
  it.each([
    ['<!--', '<!--'.repeat(250_000)],
    ['<script', '<script'.repeat(150_000)],
    ['<style>', '<style>'.repeat(150_000)],
    ['<a ', '<a '.repeat(350_000)],
    ['<', '<'.repeat(1_000_000)],
    ['&#', '&#'.repeat(500_000)],
    ['<title>', `<title>${'x<title>'.repeat(120_000)}`],
    ['<h1>', '<h1>'.repeat(250_000)],
    ['<b>', '<b>'.repeat(330_000)],
    ['<div></x>', '<div></x>'.repeat(110_000)],
  ])('completes on 1 MB of %j with sane text', (_name, html) => {
    const { text } = htmlToText(html);
    expect(typeof text).toBe('string');
    expect(text.length).toBeLessThanOrEqual(html.length);
    expect(text).not.toMatch(/\n{3,}| {2,}/);
  });

  it('stops at maxBytes and says so', () => {
    const html = `<p>${'word '.repeat(100_000)}</p>`;
    const capped = htmlToText(html, 1000);
    expect(capped.overflow).toBe(true);
    expect(Buffer.byteLength(capped.text)).toBeLessThanOrEqual(1000);
    expect(htmlToText(html).overflow).toBe(false);
  });
});

describe('BoundedText', () => {
  it('normalises whitespace like the previous converter and counts UTF-8 bytes', () => {
    const out = new BoundedText(100);
    out.push('  a \t b \n\n\n\n c  ');
    out.paragraph();
    out.push('ü');
    expect(out.toString()).toBe('a b\n\nc\n\nü');
    expect(out.byteLength).toBe(Buffer.byteLength('a b\n\nc\n\nü'));
    out.push('x'.repeat(200));
    expect(out.overflow).toBe(true);
    expect(out.toString()).toBe('a b\n\nc\n\nü');
  });
});

describe('markdownTitle', () => {
  it('finds the first level-1 heading by a line scan', () => {
    expect(markdownTitle('intro\n## Sub\n# Title here \nbody')).toBe('Title here');
    expect(markdownTitle('#hashtag\n#\n#   \n')).toBeNull();
    expect(markdownTitle(`#${' \n'.repeat(500_000)}`)).toBeNull();
  });
});
