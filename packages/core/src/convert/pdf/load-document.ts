import { createRequire } from 'node:module'
import path from 'node:path'
import { DocloaderError } from '../../errors.js'

/** The pdfjs module type, without importing pdfjs at load time. */
export type Pdfjs = typeof import('pdfjs-dist/legacy/build/pdf.mjs')
export type PdfDocument = Awaited<ReturnType<Pdfjs['getDocument']>['promise']>
export type PdfPage = Awaited<ReturnType<PdfDocument['getPage']>>

let pdfjsPromise: Promise<Pdfjs> | undefined

/**
 * Loads pdfjs once, on first use, so importing @docloader/core does not load it.
 * Only the legacy build runs on Node 20.
 */
export function loadPdfjs(): Promise<Pdfjs> {
  pdfjsPromise ??= importPdfjs().catch((error: unknown) => {
    pdfjsPromise = undefined
    throw error
  })
  return pdfjsPromise
}

/**
 * The legacy build bundles core-js, which on Node 20 replaces `Array.prototype.push` and
 * `JSON.stringify`/`JSON.parse` process-wide with polyfills for edge cases (a push beyond
 * 2^32 elements, `JSON.rawJSON`) that neither pdfjs nor we rely on; the polyfilled `push`
 * is about ten times slower and `stringify` twenty times, in pdfjs and everywhere else. The
 * worker half is loaded here too (pdfjs would import it on the first document, polyfilling
 * again) and runs on this thread as pdfjs does in Node anyway; then the natives are put back.
 */
async function importPdfjs(): Promise<Pdfjs> {
  const natives = { push: Array.prototype.push, stringify: JSON.stringify, parse: JSON.parse }
  try {
    const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs')
    const workerModule = 'pdfjs-dist/legacy/build/pdf.worker.mjs'
    const worker = (await import(workerModule)) as { WorkerMessageHandler?: unknown }
    const global = globalThis as { pdfjsWorker?: { WorkerMessageHandler?: unknown } }
    if (worker.WorkerMessageHandler && !global.pdfjsWorker?.WorkerMessageHandler) global.pdfjsWorker = { WorkerMessageHandler: worker.WorkerMessageHandler }
    return pdfjs
  } finally {
    // eslint-disable-next-line no-extend-native -- putting the native back
    Array.prototype.push = natives.push
    JSON.stringify = natives.stringify
    JSON.parse = natives.parse
  }
}

let assetDir: string | undefined

/** Folder of the installed pdfjs-dist package: fonts, CMaps, wasm and ICC files live there. */
function pdfjsAssetDir(): string {
  assetDir ??= path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'))
  return assetDir
}

function assetPath(folder: string): string {
  return path.join(pdfjsAssetDir(), folder) + path.sep
}

/** A pdfjs loading task, so the caller can destroy it whatever happens. */
export interface OpenedDocument {
  task: ReturnType<Pdfjs['getDocument']>
  document: PdfDocument
}

/** Opens a PDF and maps pdfjs failures to our error codes. The caller destroys `task`. */
export async function openDocument(pdfjs: Pdfjs, bytes: Uint8Array, password: string | undefined): Promise<OpenedDocument> {
  const task = pdfjs.getDocument({
    // pdfjs may take ownership of the buffer: hand it a copy, never the caller's bytes.
    data: new Uint8Array(bytes),
    password,
    standardFontDataUrl: assetPath('standard_fonts'),
    cMapUrl: assetPath('cmaps'),
    cMapPacked: true,
    wasmUrl: assetPath('wasm'),
    iccUrl: assetPath('iccs'),
    isEvalSupported: false,
    useSystemFonts: false,
    disableFontFace: true,
    verbosity: 0,
  })
  try {
    return { task, document: await task.promise }
  } catch (error) {
    await task.destroy().catch(() => {})
    throw toPdfError(error, password !== undefined)
  }
}

/** Turns a pdfjs exception into a DocloaderError with a message that says what to do. */
export function toPdfError(error: unknown, passwordGiven: boolean): DocloaderError {
  if (error instanceof DocloaderError) return error
  const name = (error as { name?: unknown } | null)?.name
  const message = error instanceof Error ? error.message : String(error)
  if (name === 'PasswordException') {
    const wrong = passwordGiven || (error as { code?: unknown }).code === 2
    return new DocloaderError(
      'ENCRYPTED',
      wrong
        ? 'The PDF is password-protected and the password given is wrong. Check the password passed with --password or the `password` option.'
        : 'The PDF is password-protected. Pass its password with --password or the `password` option.',
      { cause: error },
    )
  }
  return new DocloaderError('CORRUPT_FILE', `The PDF could not be read (${message}). The file may be damaged or truncated.`, {
    cause: error,
  })
}
