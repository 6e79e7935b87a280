import { describe, expect, it } from 'vitest'
import type { ListBlock } from '../src/document.js'
import { createEngine } from '../src/engine/create-engine.js'
import { buildOpenDocument } from './ods-build-document.js'

const NS =
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:xlink="http://www.w3.org/1999/xlink"'

const frame = (cls: string | undefined, x: string, y: string, inner: string) =>
  `<draw:frame${cls ? ` presentation:class="${cls}"` : ''} svg:x="${x}" svg:y="${y}" svg:width="10cm" svg:height="2cm"><draw:text-box>${inner}</draw:text-box></draw:frame>`

function presentation(pages: string): Uint8Array {
  return buildOpenDocument(
    'application/vnd.oasis.opendocument.presentation',
    `<?xml version="1.0" encoding="UTF-8"?><office:document-content ${NS}><office:automatic-styles><text:list-style style:name="L1"><text:list-level-style-number text:level="1" style:num-format="1"/><text:list-level-style-bullet text:level="2" text:bullet-char="•"/></text:list-style></office:automatic-styles><office:body><office:presentation>${pages}</office:presentation></office:body></office:document-content>`,
  )
}

async function convert(bytes: Uint8Array) {
  const engine = createEngine({ concurrency: 1 })
  try {
    return await engine.convert(bytes)
  } finally {
    await engine.close()
  }
}

describe('ODP', () => {
  it('reads pages in order with titles, positioned frames, nested numbered lists, tables and notes', async () => {
    const bytes = presentation(
      `<draw:page draw:name="p1">${frame('title', '1cm', '1cm', '<text:p>Release plan</text:p>')}${frame('subtitle', '1cm', '4cm', '<text:p>Spring <text:a xlink:href="https://example.org/plan">edition</text:a></text:p>')}</draw:page>` +
        `<draw:page draw:name="p2">` +
        frame(undefined, '12cm', '3cm', '<text:p>Side note</text:p>') +
        frame('outline', '1cm', '3cm', '<text:list text:style-name="L1"><text:list-item><text:p>Build</text:p><text:list><text:list-item><text:p>compile</text:p></text:list-item><text:list-item><text:p>test</text:p></text:list-item></text:list></text:list-item><text:list-item><text:p>Ship</text:p></text:list-item></text:list>') +
        frame('title', '1cm', '0.5cm', '<text:p>Steps</text:p>') +
        `<draw:frame svg:x="1cm" svg:y="10cm" svg:width="10cm" svg:height="3cm"><table:table><table:table-row><table:table-cell><text:p>Week</text:p></table:table-cell><table:table-cell><text:p>Goal</text:p></table:table-cell></table:table-row><table:table-row><table:table-cell><text:p>1</text:p></table:table-cell><table:table-cell><text:p>Beta</text:p></table:table-cell></table:table-row></table:table></draw:frame>` +
        `<presentation:notes><draw:frame presentation:class="notes" svg:x="1cm" svg:y="1cm"><draw:text-box><text:p>Say it slowly.</text:p></draw:text-box></draw:frame></presentation:notes>` +
        `</draw:page>`,
    )
    const result = await convert(bytes)
    expect(result.metadata).toMatchObject({ sourceFormat: 'odp', pageCount: 2, title: 'Release plan' })
    expect(result.content).toBe(
      '# Release plan\n\nSpring [edition](https://example.org/plan)\n\n## Steps\n\n1. Build\n   - compile\n   - test\n2. Ship\n\nSide note\n\n| Week | Goal |\n| --- | --- |\n| 1 | Beta |\n\n**Notes:** Say it slowly.\n',
    )
    const list = result.document.pages[1]!.blocks[1] as ListBlock
    expect(list).toMatchObject({ ordered: true, items: [{ text: 'Build', children: { ordered: false } }, { text: 'Ship' }] })
  })
})
