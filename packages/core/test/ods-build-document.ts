import { strToU8, zipSync } from 'fflate'

/** An OpenDocument package: `mimetype` first and stored, as the format requires. */
export function buildOpenDocument(mimeType: string, content: string, meta = ''): Uint8Array {
  return zipSync({
    mimetype: [strToU8(mimeType), { level: 0 }],
    'content.xml': strToU8(content),
    ...(meta ? { 'meta.xml': strToU8(meta) } : {}),
    'META-INF/manifest.xml': strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="${mimeType}"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>`,
    ),
  })
}
