import type { Pdfjs } from './load-document.js'
import type { Mark, Segment } from './types.js'

export interface PageGraphics {
  /** Thin horizontal and vertical lines and rectangles: table rulings. */
  segments: Segment[]
  /** Small shapes: possible list bullets drawn as paths. */
  marks: Mark[]
}

interface OperatorList {
  fnArray: number[]
  argsArray: unknown[]
}

/** A PDF transformation matrix [a b c d e f]. */
export type Matrix = [number, number, number, number, number, number]

const THIN = 2.5
const MAX_SEGMENTS = 20000

/** The matrix product m x n (n applied first, as PDF's `cm` concatenates). */
export function multiply(m: Matrix, n: Matrix): Matrix {
  return [
    m[0] * n[0] + m[2] * n[1],
    m[1] * n[0] + m[3] * n[1],
    m[0] * n[2] + m[2] * n[3],
    m[1] * n[2] + m[3] * n[3],
    m[0] * n[4] + m[2] * n[5] + m[4],
    m[1] * n[4] + m[3] * n[5] + m[5],
  ]
}

function apply(m: Matrix, x: number, y: number): [number, number] {
  return [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]]
}

/**
 * Reads drawn lines and small shapes from an operator list, in top-down page coordinates
 * (`pageTransform` is the viewport transform at scale 1).
 */
export function readGraphics(pdfjs: Pdfjs, operatorList: OperatorList, pageTransform: number[]): PageGraphics {
  const OPS = pdfjs.OPS
  const paintOps = new Set<number>([
    OPS.fill, OPS.eoFill, OPS.stroke, OPS.closeStroke, OPS.fillStroke, OPS.eoFillStroke, OPS.closeFillStroke, OPS.closeEOFillStroke,
  ])
  const strokeOps = new Set<number>([OPS.stroke, OPS.closeStroke, OPS.fillStroke, OPS.eoFillStroke, OPS.closeFillStroke, OPS.closeEOFillStroke])
  const segments: Segment[] = []
  const marks: Mark[] = []
  let ctm = pageTransform.slice(0, 6) as Matrix
  const stack: Matrix[] = []
  const { fnArray, argsArray } = operatorList
  for (let i = 0; i < fnArray.length && segments.length < MAX_SEGMENTS; i++) {
    const fn = fnArray[i]
    const args = argsArray[i] as unknown[] | null
    if (fn === OPS.save) stack.push(ctm)
    else if (fn === OPS.restore) ctm = stack.pop() ?? ctm
    else if (fn === OPS.transform && args) ctm = multiply(ctm, args as Matrix)
    else if (fn === OPS.paintFormXObjectBegin && args) {
      stack.push(ctm)
      const matrix = args[0] as Matrix | null
      if (matrix && matrix.length === 6) ctm = multiply(ctm, matrix)
    } else if (fn === OPS.paintFormXObjectEnd) ctm = stack.pop() ?? ctm
    else if (fn === OPS.constructPath && args) {
      const paint = args[0] as number
      if (!paintOps.has(paint)) continue
      const minMax = args[2] as ArrayLike<number> | null
      if (!minMax || minMax.length < 4) continue
      const [ax, ay] = apply(ctm, minMax[0]!, minMax[1]!)
      const [bx, by] = apply(ctm, minMax[2]!, minMax[3]!)
      const [cx, cy] = apply(ctm, minMax[0]!, minMax[3]!)
      const [dx, dy] = apply(ctm, minMax[2]!, minMax[1]!)
      const x0 = Math.min(ax, bx, cx, dx)
      const x1 = Math.max(ax, bx, cx, dx)
      const top = Math.min(ay, by, cy, dy)
      const bottom = Math.max(ay, by, cy, dy)
      const w = x1 - x0
      const h = bottom - top
      if (h <= THIN && w > 3 * h && w > 4) segments.push({ dir: 'h', pos: (top + bottom) / 2, a: x0, b: x1 })
      else if (w <= THIN && h > 3 * w && h > 4) segments.push({ dir: 'v', pos: (x0 + x1) / 2, a: top, b: bottom })
      else if (strokeOps.has(paint)) addStrokedSegments(args[1], ctm, segments)
      if (w >= 1.5 && h >= 1.5 && w <= 9 && h <= 9 && w / h < 2 && h / w < 2) marks.push({ x0, x1, top, bottom })
    }
  }
  return { segments, marks }
}

/** Straight axis-aligned pieces of a stroked path (e.g. a rectangle drawn as a cell border). */
function addStrokedSegments(pathArg: unknown, ctm: Matrix, segments: Segment[]): void {
  const paths = Array.isArray(pathArg) ? pathArg : [pathArg]
  for (const path of paths as ArrayLike<number>[]) {
    if (!path || typeof path.length !== 'number') continue
    let cur: [number, number] | undefined
    let start: [number, number] | undefined
    let i = 0
    while (i < path.length) {
      const op = path[i]
      if (op === 0) {
        cur = apply(ctm, path[i + 1]!, path[i + 2]!)
        start = cur
        i += 3
      } else if (op === 1) {
        const next = apply(ctm, path[i + 1]!, path[i + 2]!)
        if (cur) pushSegment(cur, next, segments)
        cur = next
        i += 3
      } else if (op === 2) {
        cur = apply(ctm, path[i + 5]!, path[i + 6]!)
        i += 7
      } else if (op === 3) {
        cur = apply(ctm, path[i + 3]!, path[i + 4]!)
        i += 5
      } else if (op === 4) {
        if (cur && start) pushSegment(cur, start, segments)
        cur = start
        i += 1
      } else break
    }
  }
}

function pushSegment(p: [number, number], q: [number, number], segments: Segment[]): void {
  const dx = Math.abs(p[0] - q[0])
  const dy = Math.abs(p[1] - q[1])
  if (dy < 0.5 && dx > 4) segments.push({ dir: 'h', pos: (p[1] + q[1]) / 2, a: Math.min(p[0], q[0]), b: Math.max(p[0], q[0]) })
  else if (dx < 0.5 && dy > 4) segments.push({ dir: 'v', pos: (p[0] + q[0]) / 2, a: Math.min(p[1], q[1]), b: Math.max(p[1], q[1]) })
}
