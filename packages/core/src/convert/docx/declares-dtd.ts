/** Whether the XML prolog (before the root element) holds a `<!DOCTYPE`. */
export function declaresDtd(data: Uint8Array): boolean {
  const utf16 = (data[0] === 0xff && data[1] === 0xfe) || (data[0] === 0xfe && data[1] === 0xff) || (data[1] === 0 && data[0] !== 0)
  const head = new TextDecoder(utf16 ? (data[0] === 0xfe || (data[0] === 0 && data[1] !== 0) ? 'utf-16be' : 'utf-16le') : 'utf-8').decode(data.subarray(0, 1 << 16))
  let at = head.charCodeAt(0) === 0xfeff ? 1 : 0
  for (;;) {
    while (at < head.length && /\s/.test(head[at]!)) at++
    if (head.startsWith('<?', at)) {
      const end = head.indexOf('?>', at + 2)
      if (end === -1) return false
      at = end + 2
    } else if (head.startsWith('<!--', at)) {
      const end = head.indexOf('-->', at + 4)
      if (end === -1) return false
      at = end + 3
    } else {
      return /^<!doctype/i.test(head.slice(at, at + 9)) || (head.length >= 1 << 16 && at >= head.length)
    }
  }
}
