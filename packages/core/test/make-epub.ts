import { strToU8, zipSync } from 'fflate'

export interface EpubChapter {
  href: string
  /** Inner HTML of `<body>`. */
  body: string
  /** In the spine (reading order) at this position; manifest order is reversed to prove the spine rules. */
  linear?: boolean
}

/** A minimal EPUB 3 with the chapters in spine order (the manifest lists them backwards). */
export function makeEpub(chapters: EpubChapter[], options: { title?: string; author?: string; extra?: Record<string, string> } = {}): Uint8Array {
  const items = chapters.map((chapter, i) => `<item id="c${i}" href="${chapter.href}" media-type="application/xhtml+xml"/>`).reverse()
  const files: Record<string, Uint8Array | [Uint8Array, { level: 0 }]> = {
    mimetype: [strToU8('application/epub+zip'), { level: 0 }],
    'META-INF/container.xml': strToU8('<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>'),
    'OEBPS/content.opf': strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">urn:uuid:1</dc:identifier><dc:title>${options.title ?? 'A Book'}</dc:title><dc:creator>${options.author ?? 'An Author'}</dc:creator><dc:language>en</dc:language></metadata>` +
        `<manifest>${items.join('')}<item id="css" href="style.css" media-type="text/css"/></manifest><spine>${chapters.map((_, i) => `<itemref idref="c${i}"/>`).join('')}</spine></package>`,
    ),
  }
  for (const chapter of chapters) {
    files[`OEBPS/${decodeURIComponent(chapter.href)}`] = strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE html><html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title><link rel="stylesheet" href="style.css"/></head><body>${chapter.body}</body></html>`,
    )
  }
  files['OEBPS/style.css'] = strToU8('p { margin: 0 }')
  for (const [name, text] of Object.entries(options.extra ?? {})) files[name] = strToU8(text)
  return zipSync(files)
}
