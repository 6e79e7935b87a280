import { strToU8, zipSync } from 'fflate'

const NS =
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" office:version="1.3"'

export interface OdtParts {
  /** Inner XML of `<office:text>`. */
  body: string
  /** Inner XML of `<office:automatic-styles>` in content.xml. */
  automaticStyles?: string
  /** Inner XML of `<office:styles>` in styles.xml. */
  styles?: string
  /** Inner XML of `<office:meta>`. */
  meta?: string
  manifest?: string
}

/** A minimal ODT package (mimetype first and stored, as file-type and LibreOffice expect). */
export function makeOdt(parts: OdtParts): Uint8Array {
  const files: Record<string, Uint8Array | [Uint8Array, { level: 0 }]> = {
    mimetype: [strToU8('application/vnd.oasis.opendocument.text'), { level: 0 }],
    'META-INF/manifest.xml': strToU8(
      parts.manifest ??
        '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>',
    ),
    'content.xml': strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><office:document-content ${NS}><office:automatic-styles>${parts.automaticStyles ?? ''}</office:automatic-styles><office:body><office:text>${parts.body}</office:text></office:body></office:document-content>`,
    ),
    'styles.xml': strToU8(`<?xml version="1.0" encoding="UTF-8"?><office:document-styles ${NS}><office:styles>${parts.styles ?? ''}</office:styles></office:document-styles>`),
  }
  if (parts.meta) files['meta.xml'] = strToU8(`<?xml version="1.0" encoding="UTF-8"?><office:document-meta ${NS}><office:meta>${parts.meta}</office:meta></office:document-meta>`)
  return zipSync(files)
}
