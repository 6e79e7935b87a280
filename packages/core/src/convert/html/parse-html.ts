import { type Document, DomHandler } from 'domhandler'
import { Parser } from 'htmlparser2'

/**
 * Parses HTML into a DOM (htmlparser2 + domhandler: entities decoded, nothing run or fetched).
 *
 * htmlparser2 keeps its open-element stack top-first with `unshift`/`shift`, which costs
 * time proportional to the nesting depth on every tag: 50,000 nested `<div>`s take seconds,
 * a few MB of them hours. The stack is swapped for one with the same array face whose
 * operations are O(1) (amortised for `indexOf`), so hostile nesting parses in linear time.
 */
export function parseHtml(html: string): Document {
  const handler = new DomHandler(undefined, { withStartIndices: false, withEndIndices: false })
  const parser = new Parser(handler, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true })
  const internals = parser as unknown as { stack: unknown; foreignContext: unknown[] }
  internals.stack = topFirstStack<string>([])
  internals.foreignContext = topFirstStack(internals.foreignContext)
  parser.end(html)
  return handler.root
}

/**
 * An array-like stack whose index 0 is the top, as htmlparser2 uses it, stored bottom-first
 * so `unshift`/`shift` are pushes and pops; counts per value answer `includes` at once.
 */
function topFirstStack<T>(initial: T[]): T[] {
  const items: T[] = [...initial].reverse()
  const counts = new Map<T, number>()
  const add = (value: T) => counts.set(value, (counts.get(value) ?? 0) + 1)
  items.forEach(add)
  const methods = {
    unshift(...values: T[]): number {
      for (let i = values.length - 1; i >= 0; i--) {
        items.push(values[i]!)
        add(values[i]!)
      }
      return items.length
    },
    shift(): T | undefined {
      const value = items.pop()
      if (value !== undefined) counts.set(value, (counts.get(value) ?? 1) - 1)
      return value
    },
    includes(value: T): boolean {
      return (counts.get(value) ?? 0) > 0
    },
    indexOf(value: T): number {
      if (!counts.get(value)) return -1
      for (let i = items.length - 1; i >= 0; i--) if (items[i] === value) return items.length - 1 - i
      return -1
    },
  }
  return new Proxy([] as T[], {
    get(_target, property) {
      if (property === 'length') return items.length
      if (typeof property === 'string' && property in methods) return methods[property as keyof typeof methods]
      if (typeof property === 'string' && /^\d+$/.test(property)) return items[items.length - 1 - Number(property)]
      return undefined
    },
    set(_target, property, value) {
      if (property !== 'length') throw new TypeError(`Unexpected write to the parser stack: ${String(property)}`)
      const length = Number(value)
      while (items.length > length) methods.shift()
      return true
    },
  })
}
