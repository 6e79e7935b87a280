import type { Converter } from '../../options.js'
import { decode } from '../text/convert-text.js'
import { htmlToBlocks } from './html-to-blocks.js'

/** HTML: the page's main content (or body) as blocks; title, language and author from the head. */
export const convertHtml: Converter = async (bytes, context) => {
  const { blocks, title, language, author, keywords, subject } = htmlToBlocks(decode(bytes))
  context.setPagesTotal(1)
  context.pageDone()
  return {
    pages: [{ number: 1, blocks }],
    metadata: {
      pageCount: 1,
      pagesConverted: 1,
      ...(title ? { title } : {}),
      ...(language ? { language } : {}),
      ...(author ? { author } : {}),
      ...(keywords ? { keywords } : {}),
      ...(subject ? { subject } : {}),
    },
  }
}
