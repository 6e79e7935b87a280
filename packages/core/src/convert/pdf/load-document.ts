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
  pdfjsPromise ??= import('pdfjs-dist/legacy/build/pdf.mjs').catch((error: unknown) => {
    pdfjsPromise = undefined
    throw error
  })
  return pdfjsPromise
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
