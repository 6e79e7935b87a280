import { spawn } from 'node:child_process'
import { constants } from 'node:fs'
import { access, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { DocloaderError } from '../../errors.js'
import type { Converter, ConverterContext } from '../../options.js'
import { isEncryptedOffice } from '../zip/read-zip.js'

/** Legacy binary formats and the OOXML format LibreOffice turns each into. */
const TARGETS = { doc: 'docx', rtf: 'docx', xls: 'xlsx', ppt: 'pptx' } as const
type LegacyKind = keyof typeof TARGETS

export interface LegacyOptions {
  /**
   * Longest a LibreOffice conversion may run before its process tree is killed (TIMEOUT).
   * @default 120000
   */
  timeoutMs?: number
}

const INSTALL_HINT =
  'Install LibreOffice to convert DOC, XLS, PPT and RTF files: on Debian or Ubuntu `apt-get install libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui`, so that `soffice` is on the PATH.'

/**
 * DOC, XLS, PPT and RTF: converted to DOCX, XLSX or PPTX by a headless LibreOffice
 * (`soffice` on the PATH, private profile, time limit, killed on cancel), then read by
 * the matching converter. Without LibreOffice: UNSUPPORTED_TYPE saying how to enable them.
 * A password-protected DOCX/XLSX/PPTX (an OLE file holding an EncryptedPackage) is
 * ENCRYPTED before anything runs.
 */
export const convertLegacy: Converter = (bytes, context) => convertLegacyOffice(bytes, context)

export async function convertLegacyOffice(bytes: Uint8Array, context: ConverterContext, options: LegacyOptions = {}): ReturnType<Converter> {
  if (isEncryptedOffice(bytes)) {
    throw new DocloaderError(
      'ENCRYPTED',
      'The file is a password-protected Office document (an encrypted DOCX, XLSX or PPTX). docloader cannot decrypt Office files: open it in Office or LibreOffice, remove the password and save it again.',
    )
  }
  const kind = legacyKind(bytes)
  if (!kind) {
    throw new DocloaderError('UNSUPPORTED_TYPE', 'The file is an OLE compound file that is not a Word, Excel or PowerPoint document (no WordDocument, Workbook or PowerPoint Document stream); docloader cannot convert it.')
  }
  const soffice = await findOnPath(['soffice', 'libreoffice'])
  if (!soffice) {
    throw new DocloaderError('UNSUPPORTED_TYPE', `The file is a legacy ${kind.toUpperCase()} document, which docloader converts only through LibreOffice, and LibreOffice is not installed. ${INSTALL_HINT}`, {
      details: { format: kind },
    })
  }
  const target = TARGETS[kind]
  const work = await mkdtemp(join(tmpdir(), 'docloader-soffice-'))
  try {
    const input = join(work, `input.${kind}`)
    const outDir = join(work, 'out')
    await writeFile(input, bytes)
    await runSoffice(
      soffice,
      [`-env:UserInstallation=${pathToFileURL(join(work, 'profile')).href}`, '--headless', '--norestore', '--nologo', '--nodefault', '--nolockcheck', '--convert-to', target, '--outdir', outDir, input],
      options.timeoutMs ?? 120_000,
      context.signal,
    )
    const produced = (await readdir(outDir).catch(() => [] as string[])).find((name) => name.toLowerCase().endsWith(`.${target}`))
    if (!produced) {
      throw new DocloaderError('CORRUPT_FILE', `LibreOffice could not convert the ${kind.toUpperCase()} file (no ${target.toUpperCase()} came out); the file may be damaged.`)
    }
    const converted = await readFile(join(outDir, produced))
    const { loadConverter } = await import('../../engine/converters.js')
    const convert = await loadConverter(target)
    const result = await convert(converted, context)
    context.warn(`Converted from ${kind.toUpperCase()} to ${target.toUpperCase()} with LibreOffice first.`)
    return result
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/** Which legacy format bytes are: RTF by its header, OLE files by their main stream's name. */
export function legacyKind(bytes: Uint8Array): LegacyKind | undefined {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buffer.subarray(0, 5).toString('latin1') === '{\\rtf') return 'rtf'
  if (buffer.readUInt32BE(0) !== 0xd0cf11e0) return undefined
  const has = (name: string) => buffer.indexOf(Buffer.from(`${name}\0`, 'utf16le')) !== -1
  if (has('WordDocument')) return 'doc'
  if (has('Workbook') || has('Book')) return 'xls'
  if (has('PowerPoint Document')) return 'ppt'
  return undefined
}

/** The first of these commands found as an executable file on the PATH. */
async function findOnPath(names: string[]): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of names) {
      const candidate = join(dir, name)
      try {
        await access(candidate, constants.X_OK)
        return candidate
      } catch {
        // not here
      }
    }
  }
  return undefined
}

/**
 * Runs LibreOffice in its own process group, so a timeout or cancel kills it and every
 * helper it started (soffice.bin), never only the wrapper script.
 */
function runSoffice(command: string, args: string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HOME: process.env.HOME ?? tmpdir() } })
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString()
    })
    let settled = false
    const killTree = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL')
      } catch {
        child.kill('SIGKILL')
      }
    }
    const finish = (error?: unknown) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      if (error) reject(error)
      else resolve()
    }
    const timer = setTimeout(() => {
      killTree()
      finish(new DocloaderError('TIMEOUT', `LibreOffice took longer than ${Math.round(timeoutMs / 1000)} s to convert the file and was stopped. The file may be very large or damaged.`))
    }, timeoutMs)
    const onAbort = () => {
      killTree()
      finish(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    child.on('error', (error) => finish(new DocloaderError('UNSUPPORTED_TYPE', `LibreOffice could not be started (${error.message}). ${INSTALL_HINT}`, { cause: error })))
    child.on('close', (code) => {
      if (code === 0) finish()
      else finish(new DocloaderError('CORRUPT_FILE', `LibreOffice failed to convert the file (exit code ${code}${stderr.trim() ? `: ${stderr.trim().split('\n')[0]}` : ''}); the file may be damaged.`))
    })
  })
}
