import { constants, crc32, deflateRawSync } from 'node:zlib'

/**
 * A ZIP whose entry `bombName` inflates to `megabytes` MiB of zeros, built from one
 * compressed MiB repeated (deflate blocks concatenate), so making it is fast and never
 * holds the inflated bytes. `others` are added as small deflated entries first.
 */
export function makeZipBomb(megabytes: number, bombName = 'word/document.xml', others: Record<string, Uint8Array> = {}): Uint8Array {
  const zeros = Buffer.alloc(1024 * 1024)
  const block = deflateRawSync(zeros, { level: 9, finishFlush: constants.Z_SYNC_FLUSH })
  let crc = 0
  for (let i = 0; i < megabytes; i++) crc = crc32(zeros, crc)
  const data = Buffer.concat([...Array.from({ length: megabytes }, () => block), deflateRawSync(Buffer.alloc(0))])
  const entries = [
    ...Object.entries(others).map(([name, content]) => ({ name, data: deflateRawSync(content), crc: crc32(content), size: content.byteLength })),
    { name: bombName, data, crc, size: megabytes * 1024 * 1024 },
  ]
  return writeZip(entries)
}

function writeZip(entries: { name: string; data: Uint8Array; crc: number; size: number }[]): Uint8Array {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const entry of entries) {
    const name = Buffer.from(entry.name)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(8, 8)
    local.writeUInt32LE(entry.crc >>> 0, 14)
    local.writeUInt32LE(entry.data.byteLength, 18)
    local.writeUInt32LE(entry.size, 22)
    local.writeUInt16LE(name.byteLength, 26)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(8, 10)
    central.writeUInt32LE(entry.crc >>> 0, 16)
    central.writeUInt32LE(entry.data.byteLength, 20)
    central.writeUInt32LE(entry.size, 24)
    central.writeUInt16LE(name.byteLength, 28)
    central.writeUInt32LE(offset, 42)
    locals.push(local, name, Buffer.from(entry.data))
    centrals.push(central, name)
    offset += 30 + name.byteLength + entry.data.byteLength
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(directory.byteLength, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}
