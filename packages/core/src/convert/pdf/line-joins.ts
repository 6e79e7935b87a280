/**
 * How two lines of one paragraph or cell meet: a space, nothing (a word or URL broken over
 * the lines), or nothing with the end hyphen removed (a hyphenated word).
 */
export function lineJoin(before: string, after: string): 'space' | 'join' | 'dehyphenate' {
  if (/\s$/.test(before) || /^\s/.test(after)) return 'join'
  // a new address after a line break is a new word, even after one that ends in /
  if (/^(?:[a-z][a-z0-9+.-]*:\/\/|www\.)/i.test(after)) return 'space'
  const lastToken = /\S+$/.exec(before)?.[0] ?? ''
  // URLs and paths break after / or - with no space and keep their hyphens.
  const urlLike = /^(?:[a-z]+:\/\/|www\.)|[/#?=&]/.test(lastToken) && !/^[A-Z]/.test(after)
  if (urlLike && /[/\-_.#?=&]$/.test(lastToken)) return 'join'
  if (/[\p{L}]-$/u.test(lastToken) && /^\p{Ll}/u.test(after)) return 'dehyphenate'
  return 'space'
}
