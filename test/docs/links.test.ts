// Every relative link of README.md and docs/*.md points to a file that exists and, with #anchor,
// to a heading of that file (GitHub's anchors), so moving a section cannot leave a dead link. (It
// failed on its first run: the old README linked #update-over-several-regions-regions---all-regions,
// a heading that GitHub anchors as #update-over-several-regions---regions---all-regions.)
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]

/** Markdown outside fenced code blocks and inline code, where links are links. */
function prose(markdown: string): string {
  let fenced = false
  return markdown
    .split('\n')
    .map((line) => {
      if (line.startsWith('```')) fenced = !fenced
      return fenced || line.startsWith('```') ? '' : line.replace(/`[^`]*`/g, '')
    })
    .join('\n')
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-')
}

/** Every anchor of a page; a repeated heading gets -1, -2… as on GitHub. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  let fenced = false
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced
    const heading = fenced ? null : /^#{1,6} (.*)$/.exec(line)
    if (!heading) continue
    const base = slug(heading[1] as string)
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

function links(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string).filter((target) => !/^[a-z]+:/.test(target))
}

describe('links in README.md and docs/', () => {
  it('slug is GitHub\'s', () => {
    expect(slug('The in-memory KMS (`--endpoint-url memory:`)')).toBe('the-in-memory-kms---endpoint-url-memory')
    expect(slug('update over several Regions: --regions, --all-regions')).toBe('update-over-several-regions---regions---all-regions')
    expect(slug('Try it without AWS: kms-alias demo')).toBe('try-it-without-aws-kms-alias-demo')
  })

  it('README.md stays a front door: at most 400 lines (the reference lives in docs/)', () => {
    expect(readFileSync(join(root, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(400)
  })

  it('finds the pages and their links', () => {
    expect(pages).toContain('docs/commands.md')
    expect(links(readFileSync(join(root, 'README.md'), 'utf8')).length).toBeGreaterThan(10)
  })

  it.each(pages)('%s: every relative link points to an existing file and heading', (page) => {
    const text = readFileSync(join(root, page), 'utf8')
    const dead: string[] = []
    for (const target of links(text)) {
      const [path, anchor] = target.split('#') as [string, string | undefined]
      const file = path === '' ? join(root, page) : resolve(dirname(join(root, page)), decodeURIComponent(path))
      if (!existsSync(file)) dead.push(`${target} (no file ${relative(root, file)})`)
      else if (anchor !== undefined && !anchors(readFileSync(file, 'utf8')).has(anchor)) dead.push(`${target} (no heading #${anchor} in ${relative(root, file)})`)
    }
    expect(dead).toEqual([])
  })
})
