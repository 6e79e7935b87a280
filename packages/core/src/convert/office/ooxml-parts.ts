import { posix } from 'node:path'
import type { DocumentMetadata } from '../../document.js'
import { openZip } from '../zip/read-zip.js'
import { parseXml } from './sax-reader.js'

/** The entries of an Office package (ZIP) that a converter reads, inflated one at a time on demand. */
export interface PackageReader {
  /** Whether the package has this entry (part names compare without case, as OPC says). */
  has(path: string): boolean
  /** The inflated bytes of one entry; fails with LIMIT_EXCEEDED past the archive's limits. */
  read(path: string): Promise<Uint8Array>
}

/**
 * Opens an OOXML or OpenDocument package through the safe ZIP reader: only the central
 * directory is read here, and each part is inflated when asked for, under the archive
 * limits (total size, entry count, compression ratio). Media are never inflated.
 */
export function openPackage(bytes: Uint8Array, signal?: AbortSignal): PackageReader {
  const archive = openZip(bytes, {}, signal)
  const byLowerName = new Map<string, string>()
  for (const entry of archive.entries) if (!byLowerName.has(entry.name.toLowerCase())) byLowerName.set(entry.name.toLowerCase(), entry.name)
  const nameOf = (path: string) => (archive.has(path) ? path : byLowerName.get(path.toLowerCase()))
  return {
    has: (path) => nameOf(path) !== undefined,
    read: (path) => archive.read(nameOf(path) ?? path),
  }
}

export interface Relationship {
  type: string
  /** Package path of the target, or the URL itself for external targets. */
  target: string
  external: boolean
}

/** `ppt/slides/slide1.xml` -> `ppt/slides/_rels/slide1.xml.rels`. */
export function relationshipsPathOf(part: string): string {
  const dir = posix.dirname(part)
  return `${dir === '.' ? '' : `${dir}/`}_rels/${posix.basename(part)}.rels`
}

/** Relationships of a part by id (`rId3`); empty when the part has none. */
export async function readRelationships(pkg: PackageReader, part: string, signal?: AbortSignal): Promise<Map<string, Relationship>> {
  const path = relationshipsPathOf(part)
  const relationships = new Map<string, Relationship>()
  if (!pkg.has(path)) return relationships
  const base = posix.dirname(part)
  await parseXml(
    await pkg.read(path),
    {
      open(name, attributes) {
        if (name !== 'Relationship' || !attributes.Id || attributes.Target === undefined) return
        const external = attributes.TargetMode === 'External'
        relationships.set(attributes.Id, {
          type: attributes.Type ?? '',
          target: external ? attributes.Target : resolvePartPath(base, attributes.Target),
          external,
        })
      },
    },
    { part: path, ...(signal ? { signal } : {}) },
  )
  return relationships
}

/** Resolves a relationship target against the folder of its source part, as a package path. */
export function resolvePartPath(baseDir: string, target: string): string {
  const decoded = safeDecode(target)
  const joined = decoded.startsWith('/') ? decoded.slice(1) : posix.join(baseDir === '.' ? '' : baseDir, decoded)
  return posix.normalize(joined).replace(/^(\.\.\/)+/, '')
}

function safeDecode(text: string): string {
  try {
    return decodeURI(text)
  } catch {
    return text
  }
}

/** The main part of a package (`ppt/presentation.xml`, `xl/workbook.xml`) from `_rels/.rels`. */
export async function findMainPart(pkg: PackageReader, fallback: string, signal?: AbortSignal): Promise<string> {
  const relationships = await readRelationships(pkg, '', signal)
  for (const relationship of relationships.values()) {
    if (relationship.type.endsWith('/officeDocument') && !relationship.external && pkg.has(relationship.target)) return relationship.target
  }
  return fallback
}

type PackageMetadata = Pick<DocumentMetadata, 'title' | 'author' | 'subject' | 'keywords' | 'creator' | 'createdAt' | 'modifiedAt' | 'language'>

/** Title, author, dates... from docProps/core.xml, and the application from docProps/app.xml. */
export async function readPackageMetadata(pkg: PackageReader, signal?: AbortSignal): Promise<PackageMetadata> {
  const metadata: PackageMetadata = {}
  const fields: Record<string, keyof PackageMetadata> = {
    title: 'title',
    creator: 'author',
    subject: 'subject',
    keywords: 'keywords',
    created: 'createdAt',
    modified: 'modifiedAt',
    language: 'language',
  }
  const options = signal ? { signal } : {}
  if (pkg.has('docProps/core.xml')) {
    let field: keyof PackageMetadata | undefined
    let text = ''
    await parseXml(
      await pkg.read('docProps/core.xml'),
      {
        open(name) {
          field = fields[name]
          text = ''
        },
        text(value) {
          if (field) text += value
        },
        close() {
          const value = text.trim()
          if (field && value) metadata[field] = value
          field = undefined
        },
      },
      { part: 'docProps/core.xml', ...options },
    )
  }
  if (pkg.has('docProps/app.xml')) {
    let inApplication = false
    let application = ''
    await parseXml(
      await pkg.read('docProps/app.xml'),
      {
        open(name) {
          inApplication = name === 'Application'
        },
        text(value) {
          if (inApplication) application += value
        },
        close() {
          inApplication = false
        },
      },
      { part: 'docProps/app.xml', ...options },
    )
    if (application.trim()) metadata.creator = application.trim()
  }
  return metadata
}

/** Whether an OOXML boolean attribute (`1`, `true`, `on`) is set. */
export function isTrue(value: string | undefined): boolean {
  return value === '1' || value === 'true' || value === 'on'
}
