import { posix } from 'node:path'
import type { Page } from '../../document.js'
import { DocloaderError } from '../../errors.js'
import type { Converter } from '../../options.js'
import { htmlToBlocks } from '../html/html-to-blocks.js'
import { parseXml } from '../office/sax-reader.js'
import { type ZipArchive, openZip } from '../zip/read-zip.js'

interface Package {
  /** Chapter documents (package paths) in spine order. */
  spine: string[]
  metadata: { title?: string; author?: string; language?: string; subject?: string; keywords?: string; createdAt?: string }
}

/** The IDPF and Adobe font-obfuscation methods: they hide fonts, not text, and need no key. */
const FONT_OBFUSCATION = new Set(['http://www.idpf.org/2008/embedding', 'http://ns.adobe.com/pdf/enc#RC'])

/**
 * EPUB: META-INF/container.xml names the package document (OPF); its spine lists the
 * chapters in reading order. Each chapter (XHTML) goes through the HTML module and becomes
 * one Page (`pages` selects chapters). Title, author, language come from the OPF metadata.
 * Chapters are inflated one at a time under the archive limits; images are never read.
 * Chapters encrypted by DRM fail with ENCRYPTED.
 */
export const convertEpub: Converter = async (bytes, context) => {
  const { signal } = context
  const archive = openZip(bytes, {}, signal)
  const opfPath = await findPackageDocument(archive, signal)
  const pkg = await readPackage(archive, opfPath, signal)
  await refuseDrm(archive, pkg.spine, signal)

  const selected = context.pageSelection.resolve(pkg.spine.length)
  if (selected.length > context.limits.maxPages) {
    throw new DocloaderError(
      'LIMIT_EXCEEDED',
      `The book has ${pkg.spine.length} chapters${context.pageSelection.all ? '' : ` (${selected.length} selected)`}, more than the limit of ${context.limits.maxPages}. Select fewer chapters with --pages or the \`pages\` option, or raise limits.maxPages.`,
      { details: { pageCount: pkg.spine.length, selected: selected.length, maxPages: context.limits.maxPages } },
    )
  }
  context.setPagesTotal(selected.length)

  const pages: Page[] = []
  for (const number of selected) {
    signal.throwIfAborted()
    const path = pkg.spine[number - 1]!
    const { blocks } = htmlToBlocks(new TextDecoder('utf-8').decode(await archive.read(path)), { findMain: false })
    pages.push({ number, blocks })
    context.pageDone()
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
  return { pages, metadata: { ...pkg.metadata, pageCount: pkg.spine.length, pagesConverted: pages.length } }
}

async function findPackageDocument(archive: ZipArchive, signal: AbortSignal): Promise<string> {
  if (!archive.has('META-INF/container.xml')) {
    throw new DocloaderError('CORRUPT_FILE', 'The EPUB is damaged: it has no META-INF/container.xml naming its package document.')
  }
  let path: string | undefined
  await parseXml(
    await archive.read('META-INF/container.xml'),
    {
      open(name, attributes) {
        if (name === 'rootfile' && !path && attributes['full-path'] && (attributes['media-type'] ?? 'application/oebps-package+xml') === 'application/oebps-package+xml') {
          path = normalise(attributes['full-path'])
        }
      },
    },
    { part: 'META-INF/container.xml', signal },
  )
  if (!path || !archive.has(path)) {
    throw new DocloaderError('CORRUPT_FILE', `The EPUB is damaged: its package document ${path ? `"${path}" ` : ''}is missing.`)
  }
  return path
}

async function readPackage(archive: ZipArchive, opfPath: string, signal: AbortSignal): Promise<Package> {
  const base = posix.dirname(opfPath)
  const manifest = new Map<string, { href: string; mediaType: string }>()
  const spineIds: string[] = []
  const metadata: Package['metadata'] = {}
  const subjects: string[] = []
  const fields = new Set(['title', 'creator', 'language', 'subject', 'date', 'description'])
  let inMetadata = false
  let field: string | undefined
  let text = ''
  await parseXml(
    await archive.read(opfPath),
    {
      open(name, attributes) {
        if (name === 'metadata') inMetadata = true
        else if (inMetadata && fields.has(name)) {
          field = name
          text = ''
        } else if (name === 'item' && attributes.id && attributes.href) {
          manifest.set(attributes.id, { href: resolveHref(base, attributes.href), mediaType: attributes['media-type'] ?? '' })
        } else if (name === 'itemref' && attributes.idref) {
          spineIds.push(attributes.idref)
        }
      },
      text(value) {
        if (field) text += value
      },
      close(name) {
        if (name === 'metadata') inMetadata = false
        if (!field || name !== field) return
        const value = text.replace(/\s+/g, ' ').trim()
        if (value) {
          if (field === 'title') metadata.title ??= value
          else if (field === 'creator') metadata.author ??= value
          else if (field === 'language') metadata.language ??= value
          else if (field === 'subject') subjects.push(value)
          else if (field === 'description') metadata.subject ??= value
          else if (field === 'date') metadata.createdAt ??= value
        }
        field = undefined
      },
    },
    { part: opfPath, signal },
  )
  if (subjects.length) metadata.keywords = subjects.join(', ')
  const spine = spineIds
    .map((id) => manifest.get(id))
    .filter((item): item is { href: string; mediaType: string } => !!item && /html|xml/i.test(item.mediaType || 'xhtml') && archive.has(item.href))
    .map((item) => item.href)
  if (!spine.length) throw new DocloaderError('CORRUPT_FILE', `The EPUB is damaged: the spine of ${opfPath} lists no chapter that is in the file.`)
  return { spine, metadata }
}

/** ENCRYPTED when META-INF/encryption.xml encrypts a chapter with anything but font obfuscation (DRM). */
async function refuseDrm(archive: ZipArchive, spine: string[], signal: AbortSignal): Promise<void> {
  if (!archive.has('META-INF/encryption.xml')) return
  const chapters = new Set(spine)
  let method = ''
  let drm = false
  await parseXml(
    await archive.read('META-INF/encryption.xml'),
    {
      open(name, attributes) {
        if (name === 'EncryptedData') method = ''
        else if (name === 'EncryptionMethod') method = attributes.Algorithm ?? ''
        else if (name === 'CipherReference' && attributes.URI && !FONT_OBFUSCATION.has(method) && chapters.has(normalise(safeDecode(attributes.URI)))) drm = true
      },
    },
    { part: 'META-INF/encryption.xml', signal },
  )
  if (drm) {
    throw new DocloaderError('ENCRYPTED', 'The EPUB is protected by DRM (its chapters are encrypted). docloader cannot read DRM-protected books; use a DRM-free copy.')
  }
}

function resolveHref(base: string, href: string): string {
  const path = safeDecode(href.split('#')[0]!)
  return normalise(base === '.' ? path : posix.join(base, path))
}

function normalise(path: string): string {
  return posix.normalize(path).replace(/^(\.\.\/)+/, '').replace(/^\//, '')
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
