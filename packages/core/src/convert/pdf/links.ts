import { constants, inflateSync } from 'node:zlib'
import type { PdfDocument, Pdfjs } from './load-document.js'
import type { Box, Run } from './types.js'

export interface LinkArea extends Box {
  url: string
}

interface Annotation {
  pageIndex?: number
  subtype?: string
  url?: string
  unsafeUrl?: string
  rect?: number[]
}

/**
 * Link annotations of the selected pages, by page number, read in one pass over the document.
 * `page.getAnnotations()` would extract each page's text a second time (to find the text under
 * each link, which the display layer wants); `getAnnotationsByType` does not.
 */
export async function readLinks(pdfjs: Pdfjs, document: PdfDocument, selected: number[]): Promise<Map<number, unknown[]>> {
  const wanted = new Set(selected)
  const skip = new Set<number>()
  for (let n = 1; n <= document.numPages; n++) if (!wanted.has(n)) skip.add(n - 1)
  const byPage = new Map<number, unknown[]>()
  const annotations = (await document.getAnnotationsByType(new Set([pdfjs.AnnotationType.LINK]), skip)) ?? []
  for (const raw of annotations) {
    const annotation = raw as Annotation
    if (typeof annotation.pageIndex !== 'number') continue
    const number = annotation.pageIndex + 1
    const list = byPage.get(number)
    if (list) list.push(annotation)
    else byPage.set(number, [annotation])
  }
  return byPage
}

/** Link annotations with a URL, as boxes in top-down page coordinates. */
export function linkAreas(annotations: readonly unknown[], pageTransform: number[]): LinkArea[] {
  const [a = 1, b = 0, c = 0, d = -1, e = 0, f = 0] = pageTransform
  const areas: LinkArea[] = []
  for (const raw of annotations) {
    const annotation = raw as Annotation
    const url = annotation.url ?? annotation.unsafeUrl
    if (annotation.subtype !== 'Link' || typeof url !== 'string' || !annotation.rect || annotation.rect.length < 4) continue
    const [rx0, ry0, rx1, ry1] = annotation.rect as [number, number, number, number]
    const xs = [a * rx0 + c * ry0 + e, a * rx1 + c * ry1 + e]
    const ys = [b * rx0 + d * ry0 + f, b * rx1 + d * ry1 + f]
    areas.push({ url, x0: Math.min(...xs), x1: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys) })
  }
  return areas
}

/**
 * Sets `href` on the runs a link covers, splitting a run where the link covers only part of
 * it (character positions estimated from the run's width).
 */
export function applyLinks(runs: Run[], areas: LinkArea[]): Run[] {
  if (areas.length === 0) return runs
  const out: Run[] = []
  for (const run of runs) {
    const y = run.baseline - 0.3 * run.size
    const area = areas.find((l) => y >= l.top - 1 && y <= l.bottom + 1 && l.x0 < run.x1 - 0.5 && l.x1 > run.x0 + 0.5)
    if (!area) {
      out.push(run)
      continue
    }
    const width = run.x1 - run.x0
    const n = run.text.length
    const charWidth = n > 0 && width > 0 ? width / n : 1
    const i0 = Math.max(0, Math.min(n, Math.round((area.x0 - run.x0) / charWidth)))
    const i1 = Math.max(i0, Math.min(n, Math.round((area.x1 - run.x0) / charWidth)))
    if (i1 - i0 === 0) {
      out.push(run)
      continue
    }
    const piece = (from: number, to: number, href?: string): void => {
      if (to <= from) return
      const part: Run = { ...run, text: run.text.slice(from, to), x0: run.x0 + from * charWidth, x1: run.x0 + to * charWidth }
      if (href) part.href = href
      out.push(part)
    }
    piece(0, i0)
    piece(i0, i1, area.url)
    piece(i1, n)
  }
  return out
}

/**
 * Whether a document can hold URL links. Reading annotations makes pdfjs extract the page text
 * a second time (to find the text under each link), so it is skipped when neither the file
 * nor its compressed object streams contain a `/URI` action.
 */
export function mayHaveUrlLinks(bytes: Uint8Array): boolean {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const text = buffer.toString('latin1')
  if (text.includes('/URI')) return true
  const objectStream = /\/Type\s*\/ObjStm/g
  let match: RegExpExecArray | null
  while ((match = objectStream.exec(text))) {
    const start = text.indexOf('stream', match.index)
    if (start < 0) return true
    let offset = start + 'stream'.length
    if (text[offset] === '\r') offset++
    if (text[offset] === '\n') offset++
    try {
      const inflated = inflateSync(buffer.subarray(offset, offset + 4 * 1024 * 1024), { finishFlush: constants.Z_SYNC_FLUSH })
      if (inflated.toString('latin1').includes('/URI')) return true
    } catch {
      return true // not Flate, encrypted or damaged: cannot tell
    }
  }
  return false
}
