/** Internal layout types of the PDF converter (not part of the public Document model). */

export interface TextStyle {
  bold: boolean
  italic: boolean
  mono: boolean
}

/** One piece of text from pdfjs, in top-down page coordinates (points). */
export interface Run {
  text: string
  x0: number
  x1: number
  /** Baseline, measured from the top of the page. */
  baseline: number
  size: number
  style: TextStyle
  href?: string
}

/** Runs on one baseline without a wide gap between them. */
export interface Fragment {
  runs: Run[]
  x0: number
  x1: number
  top: number
  bottom: number
  baseline: number
  size: number
}

/** Fragments of one baseline inside one reading-order region, joined with spaces. */
export interface Line extends Fragment {
  text: string
  /** Runs with spaces inserted: their texts concatenate to `text`. */
  spans: Run[]
  /** Set when a drawn bullet (a small filled or stroked shape) sits just left of the line. */
  drawnBullet?: boolean
  /** Left edge of the drawn bullet. */
  drawnBulletX?: number
}

/** An axis-aligned ruling segment in top-down page coordinates. */
export interface Segment {
  /** 'h': y fixed, from a to b along x. 'v': x fixed, from a to b along y. */
  dir: 'h' | 'v'
  pos: number
  a: number
  b: number
}

/** A small drawn shape that can be a list bullet. */
export interface Mark {
  x0: number
  x1: number
  top: number
  bottom: number
}

export interface Box {
  x0: number
  x1: number
  top: number
  bottom: number
}
