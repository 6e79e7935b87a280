/**
 * Mammoth renders footnotes and endnotes as numbered lists at the end, linked both ways.
 * Markdown output has no anchors to link to, so the references stay as their `[1]` text,
 * the back-links (`↑`) go, and each list gets a heading: "Footnotes", "Endnotes".
 * Mammoth escapes document text, so these patterns only ever match its own markup.
 */
export function rewriteNotes(html: string): string {
  return html
    .replace(/<a href="#(?:foot|end)note-ref-[\w-]+">↑<\/a>/g, '')
    .replace(/<a href="#(?:foot|end)note-[\w-]+" id="(?:foot|end)note-ref-[\w-]+">([^<]*)<\/a>/g, '$1')
    .replace('<ol><li id="footnote-', '<h2>Footnotes</h2><ol><li id="footnote-')
    .replace('<ol><li id="endnote-', '<h2>Endnotes</h2><ol><li id="endnote-')
}
