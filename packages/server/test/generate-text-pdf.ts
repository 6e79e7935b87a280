/**
 * Writes a plain PDF of `pages` pages of `linesPerPage` text lines each (Helvetica, no
 * compression): slow or large inputs made on the spot instead of big committed fixtures.
 */
export function generateTextPdf(pages: number, linesPerPage = 50, options: { bloat?: number } = {}): Buffer {
  const objects: string[] = []
  const add = (body: string) => objects.push(body) // object number = index + 1
  add('<< /Type /Catalog /Pages 2 0 R >>')
  add('') // the page tree, filled in once the pages are known
  add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>')
  // `bloat`: an /Annots array of that many numbers on the first page, which the PDF reader
  // must parse into one big in-memory array (to exhaust a thread's heap quickly).
  const annots = options.bloat ? ` /Annots [${'0 '.repeat(options.bloat)}]` : ''
  const kids: number[] = []
  for (let page = 1; page <= pages; page++) {
    const lines: string[] = ['BT', '/F1 10 Tf', '12 TL', '50 800 Td']
    for (let line = 1; line <= linesPerPage; line++) {
      lines.push(`(Page ${page} line ${line}: the quick brown fox jumps over the lazy dog, again and again.) Tj T*`)
    }
    lines.push('ET')
    const stream = lines.join('\n')
    add(`<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`)
    const contents = objects.length
    add(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contents} 0 R${page === 1 ? annots : ''} >>`)
    kids.push(objects.length)
  }
  objects[1] = `<< /Type /Pages /Kids [${kids.map((kid) => `${kid} 0 R`).join(' ')}] /Count ${pages} >>`

  const chunks: string[] = ['%PDF-1.4\n']
  let length = chunks[0]!.length
  const offsets: number[] = []
  objects.forEach((body, index) => {
    offsets.push(length)
    const object = `${index + 1} 0 obj\n${body}\nendobj\n`
    chunks.push(object)
    length += Buffer.byteLength(object, 'latin1')
  })
  chunks.push(`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`)
  for (const offset of offsets) chunks.push(`${String(offset).padStart(10, '0')} 00000 n \n`)
  chunks.push(`trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`)
  return Buffer.from(chunks.join(''), 'latin1')
}
