import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { strToU8, zipSync } from 'fflate'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createEngine } from '../src/engine/create-engine.js'
import { convertLegacyOffice, legacyKind } from '../src/convert/office/legacy-convert.js'
import { DEFAULT_LIMITS, type ConverterContext } from '../src/options.js'

/**
 * A minimal OLE compound file (CFB, version 3): a FAT sector and one directory sector
 * holding the root entry and one stream entry named `stream` (UTF-16LE), as Word
 * (`WordDocument`), Excel (`Workbook`), PowerPoint (`PowerPoint Document`) and encrypted
 * OOXML (`EncryptedPackage`) files have.
 */
function makeCfb(stream: string): Uint8Array {
  const sector = 512
  const file = Buffer.alloc(sector * 3, 0)
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(file, 0)
  file.writeUInt16LE(0x3e, 0x18)
  file.writeUInt16LE(3, 0x1a)
  file.writeUInt16LE(0xfffe, 0x1c)
  file.writeUInt16LE(9, 0x1e)
  file.writeUInt16LE(6, 0x20)
  file.writeUInt32LE(1, 0x2c) // FAT sectors
  file.writeUInt32LE(1, 0x30) // first directory sector
  file.writeUInt32LE(4096, 0x38)
  file.writeUInt32LE(0xfffffffe, 0x3c)
  file.writeUInt32LE(0xfffffffe, 0x44)
  for (let i = 0; i < 109; i++) file.writeUInt32LE(i === 0 ? 0 : 0xffffffff, 0x4c + i * 4)
  // FAT (sector 0): sector 0 is the FAT, sector 1 the directory (end of chain).
  const fat = sector
  for (let i = 0; i < 128; i++) file.writeUInt32LE(0xffffffff, fat + i * 4)
  file.writeUInt32LE(0xfffffffd, fat)
  file.writeUInt32LE(0xfffffffe, fat + 4)
  const entry = (index: number, name: string, type: number, child: number) => {
    const at = sector * 2 + index * 128
    const encoded = Buffer.from(`${name}\0`, 'utf16le')
    encoded.copy(file, at)
    file.writeUInt16LE(encoded.byteLength, at + 0x40)
    file[at + 0x42] = type
    file[at + 0x43] = 1
    file.writeUInt32LE(0xffffffff, at + 0x44)
    file.writeUInt32LE(0xffffffff, at + 0x48)
    file.writeUInt32LE(child, at + 0x4c)
    file.writeUInt32LE(0xfffffffe, at + 0x74)
  }
  entry(0, 'Root Entry', 5, 1)
  entry(1, stream, 2, 0xffffffff)
  return file
}

/** A small DOCX: what the fake LibreOffice hands back. */
function makeDocx(): Uint8Array {
  const w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
  return zipSync({
    '[Content_Types].xml': strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    ),
    '_rels/.rels': strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    ),
    'word/document.xml': strToU8(`<?xml version="1.0" encoding="UTF-8"?><w:document ${w}><w:body><w:p><w:r><w:t>Converted by the fake LibreOffice.</w:t></w:r></w:p></w:body></w:document>`),
  })
}

let dir: string
let fakeBin: string
const originalPath = process.env.PATH

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'docloader-legacy-test-'))
  fakeBin = join(dir, 'bin')
  await import('node:fs/promises').then((fs) => fs.mkdir(fakeBin))
  await writeFile(join(dir, 'made.docx'), makeDocx())
})
afterAll(async () => {
  process.env.PATH = originalPath
  await rm(dir, { recursive: true, force: true })
})
afterEach(() => {
  process.env.PATH = originalPath
})

/** Puts a fake `soffice` shell script first on the PATH (and nothing else of LibreOffice). */
async function fakeSoffice(body: string): Promise<void> {
  const script = join(fakeBin, 'soffice')
  await writeFile(script, `#!/bin/sh\n${body}\n`)
  await chmod(script, 0o755)
  process.env.PATH = `${fakeBin}:/usr/bin:/bin`
}

/** Whether a process runs (a killed child not yet reaped is a zombie, state Z: not running). */
async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  return stat !== '' && !/^\d+ \(.*\) Z /.test(stat)
}

async function convert(bytes: Uint8Array, options: Parameters<ReturnType<typeof createEngine>['convert']>[1] = {}) {
  const engine = createEngine({ concurrency: 1 })
  try {
    return await engine.convert(bytes, options)
  } finally {
    await engine.close()
  }
}

describe('legacy Office files', () => {
  it('tells which legacy format an OLE file or RTF is', () => {
    expect(legacyKind(makeCfb('WordDocument'))).toBe('doc')
    expect(legacyKind(makeCfb('Workbook'))).toBe('xls')
    expect(legacyKind(makeCfb('PowerPoint Document'))).toBe('ppt')
    expect(legacyKind(Buffer.from('{\\rtf1\\ansi Hello}'))).toBe('rtf')
    expect(legacyKind(makeCfb('Something'))).toBeUndefined()
  })

  it('without LibreOffice: UNSUPPORTED_TYPE naming the packages that enable DOC/XLS/PPT/RTF', async () => {
    process.env.PATH = join(dir, 'nothing-here')
    const error = await convert(makeCfb('WordDocument')).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'UNSUPPORTED_TYPE' })
    expect((error as Error).message).toContain('LibreOffice')
    expect((error as Error).message).toContain('libreoffice-writer-nogui')
  })

  it('a password-protected OOXML file is ENCRYPTED, before LibreOffice is even looked for', async () => {
    await fakeSoffice(`echo called > "${join(dir, 'called')}"; exit 1`)
    await expect(convert(makeCfb('EncryptedPackage'))).rejects.toMatchObject({ code: 'ENCRYPTED' })
    await expect(readFile(join(dir, 'called'))).rejects.toThrow()
  })

  it('with soffice on the PATH: converts through it (private profile, --convert-to docx, --outdir) and reads the DOCX', async () => {
    const argsFile = join(dir, 'args.txt')
    await fakeSoffice(
      [
        `printf '%s\\n' "$@" > "${argsFile}"`,
        'outdir=""; prev=""; for a in "$@"; do if [ "$prev" = "--outdir" ]; then outdir="$a"; fi; prev="$a"; input="$a"; done',
        'mkdir -p "$outdir"',
        `cp "${join(dir, 'made.docx')}" "$outdir/$(basename "$input" .doc).docx"`,
      ].join('\n'),
    )
    const result = await convert(makeCfb('WordDocument'))
    expect(result.content).toContain('Converted by the fake LibreOffice.')
    expect(result.metadata.sourceFormat).toBe('legacy-office')
    expect(result.metadata.warnings).toContain('Converted from DOC to DOCX with LibreOffice first.')
    const args = (await readFile(argsFile, 'utf8')).trim().split('\n')
    expect(args[0]).toMatch(/^-env:UserInstallation=file:\/\/\/.*docloader-soffice-.*\/profile$/)
    expect(args).toEqual(expect.arrayContaining(['--headless', '--norestore', '--convert-to', 'docx', '--outdir']))
    expect(args.at(-1)).toMatch(/input\.doc$/)
  })

  it('a failing LibreOffice is CORRUPT_FILE', async () => {
    await fakeSoffice('echo "source file could not be loaded" >&2; exit 1')
    await expect(convert(makeCfb('Workbook'))).rejects.toMatchObject({ code: 'CORRUPT_FILE' })
  })

  it('kills the LibreOffice process tree on its time limit (TIMEOUT) and on the engine timeout', async () => {
    const pidFile = join(dir, 'pid')
    // The wrapper starts a child, as soffice starts soffice.bin; both must die.
    await fakeSoffice(`sleep 30 & echo $! > "${pidFile}"; wait`)
    const context: ConverterContext = {
      signal: new AbortController().signal,
      pageSelection: { resolve: (count) => Array.from({ length: count }, (_, i) => i + 1), all: true },
      limits: DEFAULT_LIMITS,
      setPagesTotal: () => {},
      pageDone: () => {},
      warn: () => {},
    }
    const started = performance.now()
    await expect(convertLegacyOffice(makeCfb('PowerPoint Document'), context, { timeoutMs: 500 })).rejects.toMatchObject({ code: 'TIMEOUT' })
    expect(performance.now() - started).toBeLessThan(5000)
    const pid = Number(await readFile(pidFile, 'utf8'))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(await isRunning(pid)).toBe(false)

    await rm(pidFile, { force: true })
    await expect(convert(makeCfb('PowerPoint Document'), { timeout: 800 })).rejects.toMatchObject({ code: 'TIMEOUT' })
    await new Promise((resolve) => setTimeout(resolve, 200))
    const second = Number(await readFile(pidFile, 'utf8'))
    expect(await isRunning(second)).toBe(false)
  })
})
