import { DocloaderError } from '../../errors.js'
import type { ZipArchive } from '../zip/read-zip.js'

/**
 * Inflates every part a DOCX reader may open, once, under the archive limits (so a zip
 * bomb fails here with LIMIT_EXCEEDED before a library without limits sees it), and
 * refuses XML parts that declare a DTD: Office never writes one, and a DTD is how
 * external-entity (XXE) and entity-expansion attacks start. Media files are skipped:
 * they are never read.
 */
export async function checkPartsSafe(archive: ZipArchive): Promise<void> {
  for (const entry of archive.entries) {
    if (entry.directory) continue
    const xml = /\.(xml|rels)$/i.test(entry.name)
    if (!xml && /(^|\/)media\//i.test(entry.name)) continue
    const data = await archive.read(entry.name)
    if (xml && declaresDtd(data)) {
      throw new DocloaderError('CORRUPT_FILE', `The document's part ${entry.name} declares a DTD, which Office files never do; it is refused so no entity is ever resolved.`, {
        details: { part: entry.name },
      })
    }
  }
}

/** Whether the XML prolog (before the root element) holds a `<!DOCTYPE`. */
export function declaresDtd(data: Uint8Array): boolean {
  const utf16 = (data[0] === 0xff && data[1] === 0xfe) || (data[0] === 0xfe && data[1] === 0xff) || (data[1] === 0 && data[0] !== 0)
  const head = new TextDecoder(utf16 ? (data[0] === 0xfe || (data[0] === 0 && data[1] !== 0) ? 'utf-16be' : 'utf-16le') : 'utf-8').decode(data.subarray(0, 1 << 16))
  let at = head.charCodeAt(0) === 0xfeff ? 1 : 0
  for (;;) {
    while (at < head.length && /\s/.test(head[at]!)) at++
    if (head.startsWith('<?', at)) {
      const end = head.indexOf('?>', at + 2)
      if (end === -1) return false
      at = end + 2
    } else if (head.startsWith('<!--', at)) {
      const end = head.indexOf('-->', at + 4)
      if (end === -1) return false
      at = end + 3
    } else {
      return /^<!doctype/i.test(head.slice(at, at + 9)) || (head.length >= 1 << 16 && at >= head.length)
    }
  }
}
