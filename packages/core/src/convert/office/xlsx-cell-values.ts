/**
 * Cell values as a spreadsheet shows them: numbers through their number format (decimals,
 * thousands separators, percent, scientific), dates and times as ISO 8601, booleans as
 * TRUE/FALSE. Shared by the XLSX and ODS converters.
 */

/** What a cell holds, for header detection. */
export const CellKind = { Empty: 0, Text: 1, Number: 2, Date: 3, Boolean: 4, Error: 5 } as const
export type CellKind = (typeof CellKind)[keyof typeof CellKind]

/** A parsed number format, reduced to what display needs. */
export type NumberFormat =
  | { kind: 'general' }
  | { kind: 'text' }
  | { kind: 'fixed'; decimals: number; thousands: boolean; percent: boolean }
  | { kind: 'scientific'; decimals: number }
  | { kind: 'date'; date: boolean; time: boolean; seconds: boolean; elapsedHours: boolean }

const GENERAL: NumberFormat = { kind: 'general' }

/** Built-in number formats of SpreadsheetML (ECMA-376 18.8.30) that are not General. */
const BUILT_IN: Record<number, string> = {
  1: '0',
  2: '0.00',
  3: '#,##0',
  4: '#,##0.00',
  9: '0%',
  10: '0.00%',
  11: '0.00E+00',
  12: '# ?/?',
  13: '# ??/??',
  14: 'yyyy-mm-dd',
  15: 'd-mmm-yy',
  16: 'd-mmm',
  17: 'mmm-yy',
  18: 'h:mm AM/PM',
  19: 'h:mm:ss AM/PM',
  20: 'h:mm',
  21: 'h:mm:ss',
  22: 'yyyy-mm-dd h:mm',
  37: '#,##0 ;(#,##0)',
  38: '#,##0 ;[Red](#,##0)',
  39: '#,##0.00;(#,##0.00)',
  40: '#,##0.00;[Red](#,##0.00)',
  45: 'mm:ss',
  46: '[h]:mm:ss',
  47: 'mmss.0',
  48: '##0.0E+0',
  49: '@',
}

/** Locale-dependent built-in ids that are dates in East Asian locales. */
const BUILT_IN_DATES = new Set([27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 50, 51, 52, 53, 54, 55, 56, 57, 58])

/** The number format of a built-in id or a custom format code. */
export function numberFormatOf(id: number, custom: Map<number, string>): NumberFormat {
  const code = custom.get(id) ?? BUILT_IN[id]
  if (code === undefined) return BUILT_IN_DATES.has(id) ? { kind: 'date', date: true, time: false, seconds: false, elapsedHours: false } : GENERAL
  return parseFormatCode(code)
}

/** Reads the first section of a format code (`#,##0.00;[Red]-#,##0.00` -> fixed, 2 decimals). */
export function parseFormatCode(code: string): NumberFormat {
  const section = splitSections(code)[0] ?? ''
  // Literal text, escapes and colours/locales never decide the kind.
  const bare = section
    .replace(/"[^"]*"/g, '')
    .replace(/\\./g, '')
    .replace(/_.|\*./g, '')
    .replace(/\[(?![hms]+\])[^\]]*\]/gi, '')
  if (/^\s*general\s*$/i.test(bare) || !bare.trim()) return GENERAL
  if (bare.trim() === '@') return { kind: 'text' }
  // AM/PM means a time; `m` alone (no digit placeholders) is a month.
  const lower = bare.toLowerCase().replace(/am\/pm|a\/p/g, 'h')
  if (/[ydhs]/.test(lower) || (/m/.test(lower) && !/[0#?]/.test(lower))) {
    const date = /[yd]/.test(lower) || (/m/.test(lower) && !/[hs]/.test(lower))
    const time = /[hs]/.test(lower)
    return { kind: 'date', date, time, seconds: /s/.test(lower), elapsedHours: /\[h+\]/.test(lower) }
  }
  if (/e[+-]/i.test(bare)) {
    const mantissa = /\.([0#?]+)/.exec(bare)
    return { kind: 'scientific', decimals: mantissa?.[1]?.length ?? 0 }
  }
  if (/[0#?]/.test(bare)) {
    const decimals = /\.([0#?]+)/.exec(bare)?.[1]?.length ?? 0
    return { kind: 'fixed', decimals, thousands: /[0#?],[0#?]/.test(bare), percent: bare.includes('%') }
  }
  return GENERAL
}

function splitSections(code: string): string[] {
  const sections: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < code.length; i++) {
    const char = code[i]!
    if (char === '"') quoted = !quoted
    if (char === '\\' && !quoted) {
      current += char + (code[i + 1] ?? '')
      i++
      continue
    }
    if (char === ';' && !quoted) {
      sections.push(current)
      current = ''
    } else current += char
  }
  sections.push(current)
  return sections
}

/** A number shown through its format. */
export function formatNumber(value: number, format: NumberFormat, date1904 = false): { text: string; kind: CellKind } {
  if (!Number.isFinite(value)) return { text: String(value), kind: CellKind.Number }
  switch (format.kind) {
    case 'general':
    case 'text':
      return { text: generalNumber(value), kind: CellKind.Number }
    case 'fixed': {
      const shown = format.percent ? value * 100 : value
      let text = shown.toFixed(Math.min(20, format.decimals))
      if (format.thousands) text = groupThousands(text)
      return { text: format.percent ? `${text}%` : text, kind: CellKind.Number }
    }
    case 'scientific':
      return { text: value.toExponential(Math.min(20, format.decimals)).replace(/e\+?(-?)(\d)$/, 'E+$10$2').replace('E+-', 'E-'), kind: CellKind.Number }
    case 'date':
      return { text: serialToIso(value, format, date1904), kind: CellKind.Date }
  }
}

/** Excel's General format: up to 15 significant digits, no trailing zeros. */
export function generalNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value)
  const rounded = Number(value.toPrecision(15))
  const text = String(rounded)
  return text.includes('e') ? rounded.toExponential().replace(/e\+?/, 'E+').replace('E+-', 'E-') : text
}

function groupThousands(text: string): string {
  const dot = text.indexOf('.')
  const end = dot === -1 ? text.length : dot
  const start = text.charCodeAt(0) === 45 ? 1 : 0
  if (end - start <= 3) return text
  let out = text.slice(0, start)
  const first = (end - start) % 3 || 3
  out += text.slice(start, start + first)
  for (let i = start + first; i < end; i += 3) out += `,${text.slice(i, i + 3)}`
  return out + text.slice(end)
}

const DAY_MS = 86_400_000

/**
 * A date serial number as ISO 8601: `2024-03-05`, `2024-03-05 14:30:00`, or `14:30` for a
 * time alone. The 1900 system counts the non-existent 29 February 1900 (serial 60), as
 * Lotus 1-2-3 did; the 1904 system (old Mac workbooks) starts on 1 January 1904.
 */
export function serialToIso(serial: number, format: Extract<NumberFormat, { kind: 'date' }>, date1904: boolean): string {
  if (format.elapsedHours) {
    const totalSeconds = Math.round(serial * 86_400)
    const hours = Math.floor(totalSeconds / 3600)
    const rest = totalSeconds - hours * 3600
    return `${hours}:${pad(Math.floor(rest / 60))}${format.seconds ? `:${pad(rest % 60)}` : ''}`
  }
  const epoch = date1904 ? Date.UTC(1904, 0, 1) : serial >= 61 ? Date.UTC(1899, 11, 30) : Date.UTC(1899, 11, 31)
  const wholeDays = Math.floor(serial)
  let seconds = Math.round((serial - wholeDays) * 86_400)
  let days = wholeDays
  if (seconds >= 86_400) {
    days++
    seconds -= 86_400
  }
  const day = isoDay(epoch, days)
  if (day === undefined) return generalNumber(serial)
  const time = `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor((seconds % 3600) / 60))}${format.seconds || seconds % 60 ? `:${pad(seconds % 60)}` : ''}`
  if (!format.date) return time
  if (!format.time && !seconds) return day
  return `${day} ${time}`
}

/** An ISO date-time value (ODS `office:date-value`, XLSX `t="d"`) trimmed of a midnight time. */
export function isoDateText(value: string): string {
  const match = /^(-?\d{4,}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?)?/.exec(value.trim())
  if (!match) return value.trim()
  const [, day, time] = match
  if (!time || /^00:00(:00)?$/.test(time)) return day!
  return `${day} ${time.length === 5 ? `${time}:00` : time}`
}

/** Days repeat a lot in a sheet: remember the last few thousand ISO dates. */
const dayCache = new Map<number, string>()

function isoDay(epoch: number, days: number): string | undefined {
  const time = epoch + days * DAY_MS
  let day = dayCache.get(time)
  if (day === undefined) {
    const date = new Date(time)
    if (Number.isNaN(date.getTime())) return undefined
    day = date.toISOString().slice(0, 10)
    if (dayCache.size > 4096) dayCache.clear()
    dayCache.set(time, day)
  }
  return day
}

function pad(value: number): string {
  return String(value).padStart(2, '0')
}
