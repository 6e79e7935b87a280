import { open, stat } from 'node:fs/promises'
import { basename, isAbsolute, relative, resolve, sep } from 'node:path'
import type { ErrorCode } from '@docloader/core'

/** A file to convert, with where its output goes relative to the output folder. */
export interface CollectedFile {
  /** Absolute path. */
  path: string
  /** The path as shown to the user. */
  display: string
  /** Output path relative to the output folder, without the output extension. */
  outputName: string
  /** Whether it was named on the command line, found in a folder or matched by a glob. */
  from: 'file' | 'folder' | 'glob'
}

/** An input that could not even be collected (missing path, empty folder, no glob match). */
export interface CollectFailure {
  input: string
  code: ErrorCode
  message: string
}

export interface Collected {
  files: CollectedFile[]
  failures: CollectFailure[]
  /** Files inside folders skipped because docloader cannot convert their type. */
  skipped: string[]
}

/**
 * Expands the command line's inputs: files as given, folders recursed (keeping only files
 * whose bytes are a supported type), glob patterns expanded. Order is kept, duplicates dropped.
 */
export async function collectInputs(inputs: string[], cwd = process.cwd()): Promise<Collected> {
  const { glob, isDynamicPattern } = await import('tinyglobby')
  const files: CollectedFile[] = []
  const failures: CollectFailure[] = []
  const skipped: string[] = []
  const seen = new Set<string>()
  const outputs = new Map<string, string>()
  const add = (path: string, outputName: string, from: CollectedFile['from']) => {
    if (seen.has(path)) return
    seen.add(path)
    const display = displayPath(path, cwd)
    // Two inputs mirroring to the same output (a/x.md and b/x.md given as folders a and b):
    // converting both would silently overwrite one result with the other.
    const owner = outputs.get(outputName)
    if (owner !== undefined) {
      failures.push({
        input: display,
        code: 'INVALID_OPTION',
        message: `Its output would overwrite the output of ${owner} (both are written as ${outputName}). Convert them in separate runs with different --out folders.`,
      })
      return
    }
    outputs.set(outputName, display)
    files.push({ path, display, outputName, from })
  }

  for (const input of inputs) {
    const absolute = resolve(cwd, input)
    const info = await stat(absolute).catch(() => undefined)
    if (info?.isFile()) {
      add(absolute, outputNameOf(absolute, cwd), 'file')
    } else if (info?.isDirectory()) {
      const members = (await glob('**/*', { cwd: absolute, onlyFiles: true, dot: false, followSymbolicLinks: false })).sort()
      let supported = 0
      for (const member of members) {
        const path = resolve(absolute, member)
        if (await isSupportedFile(path)) {
          supported++
          add(path, member.split('/').join(sep), 'folder')
        } else {
          skipped.push(displayPath(path, cwd))
        }
      }
      if (supported === 0) {
        failures.push({
          input,
          code: 'UNSUPPORTED_TYPE',
          message: `The folder ${input} holds no files docloader can convert (${members.length} file${members.length === 1 ? '' : 's'} looked at).`,
        })
      }
    } else if (isDynamicPattern(input)) {
      const matches = (await glob(input, { cwd, onlyFiles: true, absolute: true, dot: false })).sort()
      if (!matches.length) failures.push({ input, code: 'NOT_FOUND', message: `No files match the pattern ${input}.` })
      for (const match of matches) add(resolve(match), outputNameOf(resolve(match), cwd), 'glob')
    } else {
      failures.push({ input, code: 'NOT_FOUND', message: `${input} does not exist. Check the path.` })
    }
  }
  return { files, failures, skipped }
}

/** Output name mirroring the input path: relative to the working folder when inside it, else the file name. */
function outputNameOf(path: string, cwd: string): string {
  const rel = relative(cwd, path)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : basename(path)
}

function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}

/** Reads the first 64 KiB and asks the engine's detector whether it can convert the file. */
async function isSupportedFile(path: string): Promise<boolean> {
  const { detectType, SUPPORTED_FORMATS } = await import('@docloader/core')
  let handle
  try {
    handle = await open(path, 'r')
    const buffer = Buffer.alloc(64 * 1024)
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0)
    if (bytesRead === 0) return true // empty files are reported as EMPTY_FILE, not skipped
    const type = await detectType(buffer.subarray(0, bytesRead))
    return type.format !== undefined && SUPPORTED_FORMATS.has(type.format)
  } catch {
    return true // unreadable: let the conversion report why
  } finally {
    await handle?.close()
  }
}
