import { crc32 } from 'node:zlib'
import { Inflate } from 'fflate'
import { DocloaderError } from '../../errors.js'

/**
 * Limits on what one ZIP archive may expand to. DOCX, PPTX, XLSX, ODF and EPUB files are
 * ZIP containers, and a few kilobytes of deflate can expand to gigabytes, so every limit
 * is checked against the bytes actually inflated, never against sizes the archive declares.
 */
export interface ZipLimits {
  /**
   * Most bytes all entries read from one archive may inflate to, together.
   * @default 536870912 (512 MiB)
   */
  maxTotalBytes?: number
  /**
   * Most entries the archive may list in its central directory.
   * @default 20000
   */
  maxEntries?: number
  /**
   * Highest compression ratio (inflated / compressed bytes) one entry may reach once it
   * has inflated past `ratioThreshold` bytes. Text compresses 5-20:1; zip bombs 1000:1.
   * @default 200
   */
  maxRatio?: number
  /**
   * Size an entry may inflate to before `maxRatio` applies (small entries of repetitive
   * XML legitimately compress very well).
   * @default 1048576 (1 MiB)
   */
  ratioThreshold?: number
}

export const DEFAULT_ZIP_LIMITS: Required<ZipLimits> = {
  maxTotalBytes: 512 * 1024 * 1024,
  maxEntries: 20_000,
  maxRatio: 200,
  ratioThreshold: 1024 * 1024,
}

/** One file listed in the archive's central directory. */
export interface ZipEntry {
  name: string
  /** Size the archive declares for the inflated entry. Informative only: never trusted. */
  declaredSize: number
  /** Size of the stored (compressed) data. */
  compressedSize: number
  /** General-purpose flag bit 0: the entry is encrypted and cannot be read. */
  encrypted: boolean
  /** Whether the name ends in `/`. */
  directory: boolean
}

export interface ZipArchive {
  /** Entries in central-directory order (the first of any duplicate names). */
  readonly entries: readonly ZipEntry[]
  /** Whether an entry of that exact name exists. */
  has(name: string): boolean
  /**
   * Inflates one entry, counting its real bytes against the archive's limits.
   * Throws NOT_FOUND for a missing name, LIMIT_EXCEEDED past a limit, ENCRYPTED for an
   * encrypted entry, CORRUPT_FILE for damaged data, CANCELLED when the signal aborts.
   */
  read(name: string): Promise<Uint8Array>
  /** `read` decoded as UTF-8 (a byte-order mark is dropped). */
  readText(name: string): Promise<string>
  /** Bytes inflated so far by all reads of this archive. */
  readonly inflatedBytes: number
}

const EOCD_SIGNATURE = 0x06054b50
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50
const ZIP64_EOCD_SIGNATURE = 0x06064b50
const CENTRAL_SIGNATURE = 0x02014b50
const LOCAL_SIGNATURE = 0x04034b50
/** Compressed bytes pushed into the inflater at a time: deflate expands at most ~1032:1, so one push yields at most ~8 MiB. */
const INPUT_CHUNK = 8 * 1024
/** Give the event loop a turn (time limits, cancel messages) after this many inflated bytes. */
const YIELD_EVERY = 16 * 1024 * 1024

interface EntryRecord extends ZipEntry {
  method: number
  crc: number
  localOffset: number
}

/**
 * Opens a ZIP archive held in memory. Only the central directory is parsed here; entries
 * are inflated one at a time by `read`, so a huge entry that is never read costs nothing.
 * Throws CORRUPT_FILE when no valid central directory is found (truncated, not a ZIP),
 * LIMIT_EXCEEDED when it lists more than `maxEntries` entries.
 */
export function openZip(bytes: Uint8Array, limits: ZipLimits = {}, signal?: AbortSignal): ZipArchive {
  const limit = { ...DEFAULT_ZIP_LIMITS, ...withoutUndefined(limits) }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const { count, directoryOffset, directorySize } = findCentralDirectory(bytes, view)
  if (count > limit.maxEntries) throw tooManyEntries(count, limit.maxEntries)
  if (directoryOffset + directorySize > bytes.byteLength) throw corrupt('its central directory runs past the end of the file (truncated?)')

  const records: EntryRecord[] = []
  const byName = new Map<string, EntryRecord>()
  const decoder = new TextDecoder('utf-8')
  let at = directoryOffset
  const end = directoryOffset + directorySize
  while (at + 46 <= end && view.getUint32(at, true) === CENTRAL_SIGNATURE) {
    if (records.length >= limit.maxEntries) throw tooManyEntries(records.length + 1, limit.maxEntries)
    const flags = view.getUint16(at + 8, true)
    const method = view.getUint16(at + 10, true)
    const crc = view.getUint32(at + 16, true)
    let compressedSize = view.getUint32(at + 20, true)
    let declaredSize = view.getUint32(at + 24, true)
    const nameLength = view.getUint16(at + 28, true)
    const extraLength = view.getUint16(at + 30, true)
    const commentLength = view.getUint16(at + 32, true)
    let localOffset = view.getUint32(at + 42, true)
    const nameStart = at + 46
    if (nameStart + nameLength + extraLength > end) throw corrupt('an entry of its central directory is cut short')
    const name = decoder.decode(bytes.subarray(nameStart, nameStart + nameLength))
    // ZIP64: sizes and offset saturated at 0xFFFFFFFF are in the extra field (id 1), in this order.
    if (compressedSize === 0xffffffff || declaredSize === 0xffffffff || localOffset === 0xffffffff) {
      let extra = nameStart + nameLength
      const extraEnd = extra + extraLength
      while (extra + 4 <= extraEnd) {
        const id = view.getUint16(extra, true)
        const size = view.getUint16(extra + 2, true)
        if (id === 1) {
          let field = extra + 4
          const read64 = () => {
            if (field + 8 > extra + 4 + size) throw corrupt('a ZIP64 extra field is cut short')
            const value = Number(view.getBigUint64(field, true))
            field += 8
            return value
          }
          if (declaredSize === 0xffffffff) declaredSize = read64()
          if (compressedSize === 0xffffffff) compressedSize = read64()
          if (localOffset === 0xffffffff) localOffset = read64()
          break
        }
        extra += 4 + size
      }
    }
    const record: EntryRecord = {
      name,
      declaredSize,
      compressedSize,
      encrypted: (flags & 1) === 1,
      directory: name.endsWith('/'),
      method,
      crc,
      localOffset,
    }
    records.push(record)
    if (!byName.has(name)) byName.set(name, record)
    at = nameStart + nameLength + extraLength + commentLength
  }
  if (records.length < count) throw corrupt(`its central directory lists ${count} entries but holds ${records.length}`)

  let inflatedBytes = 0
  const archive: ZipArchive = {
    entries: records.filter((record) => byName.get(record.name) === record).map(({ name, declaredSize, compressedSize, encrypted, directory }) => ({ name, declaredSize, compressedSize, encrypted, directory })),
    has: (name) => byName.has(name),
    get inflatedBytes() {
      return inflatedBytes
    },
    async read(name) {
      const record = byName.get(name)
      if (!record) throw new DocloaderError('NOT_FOUND', `The archive has no entry named "${name}".`, { details: { entry: name } })
      if (record.encrypted) {
        throw new DocloaderError('ENCRYPTED', `The archive entry "${name}" is encrypted; docloader cannot read password-protected ZIP entries. Remove the password and try again.`, { details: { entry: name } })
      }
      const data = storedData(bytes, view, record)
      if (record.method === 0) {
        addInflated(data.byteLength)
        return checkCrc(record, data.slice())
      }
      if (record.method !== 8) {
        throw corrupt(`its entry "${name}" uses compression method ${record.method}; only stored (0) and deflate (8) are supported`)
      }
      const chunks: Uint8Array[] = []
      let entryBytes = 0
      let consumed = 0
      let sinceYield = 0
      const inflater = new Inflate((chunk) => {
        entryBytes += chunk.byteLength
        sinceYield += chunk.byteLength
        addInflated(chunk.byteLength)
        if (entryBytes > limit.ratioThreshold && entryBytes / Math.max(1, consumed) > limit.maxRatio) {
          throw new DocloaderError(
            'LIMIT_EXCEEDED',
            `The archive entry "${name}" expands more than ${limit.maxRatio}:1 (compression-ratio limit): past ${entryBytes} bytes from ${consumed} compressed. This looks like a zip bomb; raise maxRatio only for trusted files.`,
            { details: { limit: 'maxRatio', entry: name, value: limit.maxRatio } },
          )
        }
        if (chunk.byteLength) chunks.push(chunk)
      })
      try {
        let offset = 0
        do {
          if (signal?.aborted) throw signal.reason ?? new DocloaderError('CANCELLED', 'The conversion was cancelled.')
          const piece = data.subarray(offset, offset + INPUT_CHUNK)
          offset += piece.byteLength
          consumed += piece.byteLength
          inflater.push(piece, offset >= data.byteLength)
          if (sinceYield >= YIELD_EVERY) {
            sinceYield = 0
            await new Promise((resolve) => setImmediate(resolve))
          }
        } while (offset < data.byteLength)
      } catch (error) {
        if (error instanceof DocloaderError || signal?.aborted) throw error
        throw corrupt(`its entry "${name}" could not be inflated (${(error as Error).message})`, error)
      }
      return checkCrc(record, concat(chunks, entryBytes))
    },
    async readText(name) {
      return new TextDecoder('utf-8').decode(await archive.read(name))
    },
  }

  function addInflated(bytesOut: number): void {
    inflatedBytes += bytesOut
    if (inflatedBytes > limit.maxTotalBytes) {
      throw new DocloaderError(
        'LIMIT_EXCEEDED',
        `The archive inflates to more than ${limit.maxTotalBytes} bytes (total decompressed-size limit). Raise maxTotalBytes only for trusted files.`,
        { details: { limit: 'maxTotalBytes', value: limit.maxTotalBytes } },
      )
    }
  }

  return archive
}

/**
 * Inflates every entry once under the limits and throws on the first problem. For callers
 * that hand the bytes to a library without limits of its own (mammoth's jszip).
 */
export async function validateZip(archive: ZipArchive): Promise<void> {
  for (const entry of archive.entries) {
    if (!entry.directory) await archive.read(entry.name)
  }
}

/**
 * Whether bytes are a password-protected OOXML file (DOCX, XLSX, PPTX): Office stores
 * those as an OLE compound file (CFB) holding an `EncryptedPackage` stream, which
 * file-type reports as `cfb`. Reads the CFB directory; false for anything else.
 */
export function isEncryptedOffice(bytes: Uint8Array): boolean {
  const magic = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]
  if (bytes.byteLength < 512 || magic.some((byte, i) => bytes[i] !== byte)) return false
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const sectorShift = view.getUint16(0x1e, true)
  if (sectorShift !== 9 && sectorShift !== 12) return false
  const sectorSize = 1 << sectorShift
  const sectorCount = Math.floor((bytes.byteLength - sectorSize) / sectorSize) + 1
  const sectorOffset = (sector: number) => sectorSize + sector * sectorSize
  const valid = (sector: number) => sector >= 0 && sector < sectorCount && sectorOffset(sector) + sectorSize <= bytes.byteLength

  // FAT sector numbers: 109 in the header, the rest along the DIFAT chain.
  const fatSectors: number[] = []
  for (let i = 0; i < 109; i++) {
    const sector = view.getUint32(0x4c + i * 4, true)
    if (sector >= 0xfffffffa) break
    fatSectors.push(sector)
  }
  let difat = view.getUint32(0x44, true)
  for (let guard = 0; difat < 0xfffffffa && valid(difat) && guard < sectorCount; guard++) {
    const base = sectorOffset(difat)
    for (let i = 0; i < sectorSize / 4 - 1; i++) {
      const sector = view.getUint32(base + i * 4, true)
      if (sector < 0xfffffffa) fatSectors.push(sector)
    }
    difat = view.getUint32(base + sectorSize - 4, true)
  }
  const next = (sector: number): number => {
    const index = sector * 4
    const fatSector = fatSectors[Math.floor(index / sectorSize)]
    if (fatSector === undefined || !valid(fatSector)) return 0xfffffffe
    return view.getUint32(sectorOffset(fatSector) + (index % sectorSize), true)
  }

  const wanted = new Set(['EncryptedPackage', 'EncryptionInfo'])
  let sector = view.getUint32(0x30, true)
  for (let guard = 0; valid(sector) && guard < sectorCount; guard++) {
    const base = sectorOffset(sector)
    for (let entry = base; entry + 128 <= base + sectorSize; entry += 128) {
      const nameBytes = view.getUint16(entry + 0x40, true)
      if (nameBytes < 2 || nameBytes > 64) continue
      let name = ''
      for (let i = 0; i < nameBytes - 2; i += 2) name += String.fromCharCode(view.getUint16(entry + i, true))
      if (wanted.has(name)) return true
    }
    sector = next(sector)
  }
  return false
}

function findCentralDirectory(bytes: Uint8Array, view: DataView): { count: number; directoryOffset: number; directorySize: number } {
  if (bytes.byteLength < 22) throw corrupt('it is too short to be a ZIP archive (truncated?)')
  const lowest = Math.max(0, bytes.byteLength - 22 - 0xffff)
  for (let at = bytes.byteLength - 22; at >= lowest; at--) {
    if (view.getUint32(at, true) !== EOCD_SIGNATURE) continue
    const commentLength = view.getUint16(at + 20, true)
    if (at + 22 + commentLength > bytes.byteLength) continue
    let count = view.getUint16(at + 10, true)
    let directorySize = view.getUint32(at + 12, true)
    let directoryOffset = view.getUint32(at + 16, true)
    if ((count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) && at >= 20 && view.getUint32(at - 20, true) === ZIP64_LOCATOR_SIGNATURE) {
      const zip64 = Number(view.getBigUint64(at - 20 + 8, true))
      if (zip64 + 56 > bytes.byteLength || view.getUint32(zip64, true) !== ZIP64_EOCD_SIGNATURE) throw corrupt('its ZIP64 end record is missing')
      count = Number(view.getBigUint64(zip64 + 32, true))
      directorySize = Number(view.getBigUint64(zip64 + 40, true))
      directoryOffset = Number(view.getBigUint64(zip64 + 48, true))
    }
    return { count, directoryOffset, directorySize }
  }
  throw corrupt('no ZIP end-of-central-directory record was found (truncated or not a ZIP file)')
}

function storedData(bytes: Uint8Array, view: DataView, record: EntryRecord): Uint8Array {
  const at = record.localOffset
  if (at + 30 > bytes.byteLength || view.getUint32(at, true) !== LOCAL_SIGNATURE) throw corrupt(`the local header of its entry "${record.name}" is missing`)
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true)
  const end = start + record.compressedSize
  if (end > bytes.byteLength) throw corrupt(`its entry "${record.name}" runs past the end of the file (truncated?)`)
  return bytes.subarray(start, end)
}

function checkCrc(record: EntryRecord, data: Uint8Array): Uint8Array {
  if (crc32(data) >>> 0 !== record.crc >>> 0) throw corrupt(`its entry "${record.name}" fails its CRC check (damaged data)`)
  return data
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(length)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.byteLength
  }
  return out
}

function corrupt(why: string, cause?: unknown): DocloaderError {
  return new DocloaderError('CORRUPT_FILE', `The file is a damaged ZIP container: ${why}.`, cause === undefined ? {} : { cause })
}

function tooManyEntries(count: number, max: number): DocloaderError {
  return new DocloaderError('LIMIT_EXCEEDED', `The archive lists ${count} entries, more than the limit of ${max} (entry-count limit). Raise maxEntries only for trusted files.`, {
    details: { limit: 'maxEntries', value: max, actual: count },
  })
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
