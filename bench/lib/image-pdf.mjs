// A minimal image-only PDF writer for the benchmarks: one JPEG per page, drawn over the whole
// page (as scanners and img2pdf make them), every page its own image object. No dependency.
import fs from 'node:fs'

/**
 * Writes `pages` ({ jpeg: Buffer, width, height, dpi, channels: 1 | 3 }) as a PDF at `file`,
 * each page sized to its image at its resolution.
 */
export function writeImagePdf(file, pages) {
  const chunks = []
  const offsets = []
  let length = 0
  const push = (data) => {
    const buffer = typeof data === 'string' ? Buffer.from(data, 'latin1') : data
    chunks.push(buffer)
    length += buffer.length
  }
  const object = (number, body) => {
    offsets[number] = length
    push(`${number} 0 obj\n`)
    for (const part of [body].flat()) push(part)
    push('\nendobj\n')
  }
  push('%PDF-1.4\n%\xE2\xE3\xCF\xD3\n')
  // Objects: 1 catalog, 2 page tree, then per page: page, content stream, image.
  const pageIds = pages.map((_, index) => 3 + index * 3)
  object(1, '<< /Type /Catalog /Pages 2 0 R >>')
  object(2, `<< /Type /Pages /Count ${pages.length} /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] >>`)
  pages.forEach((page, index) => {
    const [pageId, contentId, imageId] = [pageIds[index], pageIds[index] + 1, pageIds[index] + 2]
    const w = round((page.width / page.dpi) * 72)
    const h = round((page.height / page.dpi) * 72)
    const content = `q ${w} 0 0 ${h} 0 0 cm /Im0 Do Q`
    object(pageId, `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${w} ${h}] /Resources << /XObject << /Im0 ${imageId} 0 R >> >> /Contents ${contentId} 0 R >>`)
    object(contentId, [`<< /Length ${content.length} >>\nstream\n`, content, '\nendstream'])
    object(imageId, [
      `<< /Type /XObject /Subtype /Image /Width ${page.width} /Height ${page.height} /ColorSpace /${page.channels === 1 ? 'DeviceGray' : 'DeviceRGB'} /BitsPerComponent 8 /Filter /DCTDecode /Length ${page.jpeg.length} >>\nstream\n`,
      page.jpeg,
      '\nendstream',
    ])
  })
  const count = 3 + pages.length * 3
  const xref = length
  push(`xref\n0 ${count}\n0000000000 65535 f \n`)
  for (let number = 1; number < count; number++) push(`${String(offsets[number]).padStart(10, '0')} 00000 n \n`)
  push(`trailer\n<< /Size ${count} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`)
  fs.writeFileSync(file, Buffer.concat(chunks))
}

function round(value) {
  return Math.round(value * 100) / 100
}
