// npm run build: bundles src/cli.ts and everything it needs (our code, commander, chalk, the AWS
// SDK, ora, cli-table3) into dist/ with esbuild. Code loaded with import() stays in chunks of its
// own, so --help and usage errors read one file and none of the SDK, ora, cli-table3 or commands.
// tsc only type-checks (npm run typecheck). No source maps: the tarball would have to ship the
// sources they point to, and a minified stack trace is still readable with --debug.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * commander requires node:child_process when it loads, for executable subcommands, which
 * kms-alias never uses; loading it (with net, dgram and the rest it pulls in) costs every run,
 * --help included. commander gets a stand-in that loads the real module on first use instead.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-child-process' } : undefined,
    )
    b.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents: "let real\nmodule.exports = new Proxy({}, { get: (_, key) => (real ??= require('node:child_process'))[key] })\n",
      loader: 'js',
    }))
  },
}

/**
 * Builds into `outdir` (emptied first) and returns esbuild's metafile. `minify` is on for the
 * package; the bench builds without it to show what it buys.
 */
export async function bundle({ outdir = join(root, 'dist'), minify = true } = {}) {
  rmSync(outdir, { recursive: true, force: true })
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['src/cli.ts'],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // ES module builds first: they tree-shake (the SDK ships both).
    mainFields: ['module', 'main'],
    // One flat directory: src/version.ts finds package.json at ../ from whichever file holds it.
    chunkNames: '[name]-[hash]',
    minify,
    // Licences are collected whole in THIRD-PARTY-LICENSES.txt instead.
    legalComments: 'none',
    // Bundled CommonJS (cli-table3, parts of the SDK) calls require() for Node's built-ins.
    banner: { js: REQUIRE_BANNER },
    plugins: [lazyChildProcess],
    metafile: true,
    logLevel: 'warning',
  })
  dropUnusedBanners(result.metafile)
  writeFileSync(join(outdir, 'THIRD-PARTY-LICENSES.txt'), thirdPartyLicenses(result.metafile))
  return result.metafile
}

const REQUIRE_BANNER = "import { createRequire as __kmsAliasCreateRequire } from 'node:module'; const require = __kmsAliasCreateRequire(import.meta.url);"

/**
 * esbuild puts the banner in every file, but only the file with its require() shim (and any that
 * mention `require` otherwise) uses it; in the others it is one more import and a createRequire()
 * call for nothing, in each of the files --help loads.
 */
function dropUnusedBanners(metafile) {
  for (const file of Object.keys(metafile.outputs).filter((f) => f.endsWith('.js'))) {
    const path = join(root, file)
    const code = readFileSync(path, 'utf8')
    if (!code.startsWith(REQUIRE_BANNER)) continue
    const rest = code.slice(REQUIRE_BANNER.length)
    if (/\brequire\b/.test(rest)) continue
    writeFileSync(path, rest.replace(/^\n/, ''))
    metafile.outputs[file].bytes = Buffer.byteLength(rest)
  }
}

/** The licence text of every npm package whose code is in the bundle (MIT and Apache-2.0 ask for it). */
export function thirdPartyLicenses(metafile) {
  const packages = new Map()
  for (const input of Object.keys(metafile.inputs)) {
    const parts = input.split(/[\\/]/)
    const at = parts.lastIndexOf('node_modules')
    if (at < 0) continue
    const nameParts = parts[at + 1]?.startsWith('@') ? parts.slice(at + 1, at + 3) : parts.slice(at + 1, at + 2)
    const dir = join(root, ...parts.slice(0, at + 1), ...nameParts)
    if (!packages.has(dir)) packages.set(dir, nameParts.join('/'))
  }
  // The SDK's hundred packages share a few licence texts: print each text once, under its packages.
  const byText = new Map()
  for (const [dir, name] of [...packages].sort((a, b) => a[1].localeCompare(b[1]))) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    const files = readdirSync(dir).filter((f) => /^(licen[cs]e|notice)(\.(md|txt))?$/i.test(f)).sort()
    const text = files.map((f) => readFileSync(join(dir, f), 'utf8').trim()).join('\n\n') || `${pkg.license} (the package ships no licence file)`
    byText.set(text, [...(byText.get(text) ?? []), `${name}@${pkg.version} (${pkg.license})`])
  }
  const sections = [...byText].map(([text, names]) => `${names.join('\n')}\n\n${text}`)
  return `kms-alias bundles the following packages.\n\n${sections.join(`\n\n${'-'.repeat(72)}\n\n`)}\n`
}

/** The output files `entry` loads before any import() runs: what --help costs. */
export function eagerFiles(metafile, entry) {
  const seen = new Set()
  const visit = (file) => {
    if (seen.has(file)) return
    seen.add(file)
    for (const i of metafile.outputs[file]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) visit(i.path)
  }
  visit(entry)
  return [...seen]
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const metafile = await bundle()
  const kb = (f) => `${(metafile.outputs[f].bytes / 1024).toFixed(0)} kB`
  const eager = eagerFiles(metafile, 'dist/cli.js').map((f) => `${f} (${kb(f)})`)
  console.log(`dist/: ${Object.keys(metafile.outputs).length} files; --help loads ${eager.join(', ')}`)
}
