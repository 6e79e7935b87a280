import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import path from 'node:path'
import { ocrFailed } from './ocr-errors.js'

/** Folder of a `@tesseract.js-data/<lang>` package holding the model tesseract.js uses. */
export type TesseractModel = '4.0.0_best_int' | '4.0.0'

const LANGUAGE_CODE = /^[a-z]{3}(?:_[a-z]+)*$/i

/**
 * Finds the gzipped traineddata of a language in its npm package
 * (`@tesseract.js-data/<lang>`), looked up from this package and then from the working
 * directory, so a language the user added to their own project is found. Throws OCR_FAILED
 * naming the package to install: tesseract.js itself would throw an uncaught exception.
 */
export function languageDataFile(language: string, model: TesseractModel): string {
  if (!LANGUAGE_CODE.test(language)) {
    throw ocrFailed('tesseract', `\`${language}\` is not a tesseract language code (expected three letters such as eng, deu or chi_sim).`, false)
  }
  const packageName = `@tesseract.js-data/${language}`
  const from = [createRequire(import.meta.url), createRequire(path.join(process.cwd(), 'package.json'))]
  for (const require of from) {
    let dir: string
    try {
      dir = path.dirname(require.resolve(`${packageName}/package.json`))
    } catch {
      continue
    }
    const file = path.join(dir, model, `${language}.traineddata.gz`)
    if (existsSync(file)) return file
  }
  throw ocrFailed(
    'tesseract',
    `no language data for \`${language}\`. Install the npm package ${packageName} (e.g. \`npm install ${packageName}\`) next to @docloader/core; nothing is downloaded at run time.`,
    false,
    undefined,
    { language, package: packageName },
  )
}

/**
 * The `langPath` for tesseract.js: the language's own package folder, or for several
 * languages (tesseract.js takes one folder) a folder in the system temp directory holding
 * links to each package's file. Nothing is written to the working directory.
 */
export async function languagePath(languages: readonly string[], model: TesseractModel): Promise<string> {
  const files = languages.map((language) => languageDataFile(language, model))
  if (files.length === 1) return path.dirname(files[0]!)
  const dir = path.join(tmpdir(), `docloader-tessdata-${createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 16)}`)
  await mkdir(dir, { recursive: true })
  for (const file of files) {
    const link = path.join(dir, path.basename(file))
    if (existsSync(link)) continue
    await symlink(file, link).catch(async () => {
      if (!existsSync(link)) await copyFile(file, link)
    })
  }
  return dir
}
