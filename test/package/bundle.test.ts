// The published build: one entry file, lazily loaded parts in chunks of their own, nothing in the
// tarball that running does not need. Each test builds into a scratch directory of its own.
import { execFile } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Metafile } from 'esbuild'
import { beforeAll, describe, expect, it } from 'vitest'
import { bundle, eagerFiles } from '../../scripts/build.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const run = promisify(execFile)
const env = { PATH: process.env.PATH, HOME: tmpdir(), AWS_EC2_METADATA_DISABLED: 'true', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' }

/** A package laid out as npm installs it: bin/, dist/ and package.json. */
let pkg: string
let metafile: Metafile
beforeAll(async () => {
  pkg = mkdtempSync(join(tmpdir(), 'kms-alias-bundle-'))
  mkdirSync(join(pkg, 'bin'))
  copyFileSync(join(root, 'bin/kms-alias.js'), join(pkg, 'bin/kms-alias.js'))
  copyFileSync(join(root, 'package.json'), join(pkg, 'package.json'))
  mkdirSync(join(pkg, 'dist'))
  writeFileSync(join(pkg, 'dist/stale-from-an-old-build.js'), 'throw new Error("stale")')
  metafile = await bundle({ outdir: join(pkg, 'dist') })
})

const cli = async (args: string[]) => {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(pkg, 'bin/kms-alias.js'), ...args], { env })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('the bundle', () => {
  it('empties dist/ before it builds', () => {
    expect(readdirSync(join(pkg, 'dist'))).not.toContain('stale-from-an-old-build.js')
  })

  // Tried once: a static `import { runList } from './commands/list.js'` in src/program.ts puts
  // src/commands/list.ts and the views into the eager files, and this test fails.
  it('loads none of the SDK, ora, cli-table3 or the commands for --help', () => {
    const entry = Object.keys(metafile.outputs).find((f) => basename(f) === 'cli.js')
    expect(entry).toBeDefined()
    const eager = eagerFiles(metafile, entry as string)
    const inputs = eager.flatMap((f) => Object.keys(metafile.outputs[f]?.inputs ?? {}))
    const heavy = inputs.filter((i) => /node_modules\/(@aws-sdk|@smithy|ora|cli-table3)\/|src\/commands\/|src\/(kms|cloudtrail)\/client\.ts/.test(i))
    expect(heavy).toEqual([])
    // What --help does load from node_modules: commander alone (chalk comes with the first output).
    const packages = new Set(inputs.flatMap((i) => /node_modules\/((@[^/]+\/)?[^/]+)\//.exec(i)?.[1] ?? []))
    expect([...packages]).toEqual(['commander'])
    // And in one file: the build merges what the entry shares with the lazy parts into it.
    expect(eager.map((f) => basename(f))).toEqual(['cli.js'])
  })

  // Issue 21 (tried once: a static import of src/cloudtrail/client.ts in usage.ts fails it): the
  // CloudTrail SDK is loaded only by the commands that read CloudTrail, when they ask
  // for it (import() in the Context): no command's own chunk, usage's included, pulls it in eagerly.
  it('keeps the CloudTrail SDK out of every command chunk and of the KMS client chunk', () => {
    const outputs = Object.keys(metafile.outputs)
    const holding = (input: RegExp) => outputs.filter((f) => Object.keys(metafile.outputs[f]?.inputs ?? {}).some((i) => input.test(i)))
    const trailChunks = holding(/node_modules\/@aws-sdk\/client-cloudtrail\//)
    expect(trailChunks.length).toBeGreaterThan(0)
    for (const source of [/src\/commands\/usage\.ts$/, /src\/commands\/show\.ts$/, /src\/commands\/update\.ts$/, /src\/kms\/client\.ts$/]) {
      const [chunk] = holding(source)
      expect(chunk, String(source)).toBeDefined()
      const eager = eagerFiles(metafile, chunk as string)
      expect(eager.filter((f) => trailChunks.includes(f)), String(source)).toEqual([])
    }
  })

  // The lazy parts reach that shared code through small modules that re-export it from cli.js, so
  // each module exists once: an error a command throws is still the CliError that main() maps.
  it('keeps one copy of the shared code: a command error keeps its exit code', async () => {
    const r = await cli(['show', 'alias/none', '--endpoint-url', 'memory:', '--region', 'us-east-1'])
    expect(r).toEqual({ code: 4, stdout: '', stderr: 'error: alias alias/none not found in us-east-1\n' })
  })

  // commander requires node:child_process at load time for executable subcommands, which
  // kms-alias has none of; the build hands it a stand-in that loads the module on first use.
  it('does not load node:child_process for --help', async () => {
    const preload = join(pkg, 'builtins-at-exit.cjs')
    writeFileSync(preload, "process.on('exit', () => process.stderr.write(JSON.stringify(process.moduleLoadList)))")
    const { stdout, stderr } = await run(process.execPath, ['--require', preload, join(pkg, 'bin/kms-alias.js'), '--help'], { env })
    expect(stdout).toContain('Usage: kms-alias')
    const loaded = JSON.parse(stderr) as string[]
    expect(loaded).toContain('NativeModule module')
    expect(loaded.filter((m) => /^NativeModule child_process$/.test(m))).toEqual([])
  })

  // The proof by running it: with every chunk that --help should not need deleted, --help and
  // commander's usage errors still print exactly what the full build prints.
  it('answers --help and usage errors with the lazy chunks deleted', async () => {
    const args = [['--help'], ['update', '--help'], ['--version'], ['update', 'alias/app'], ['updte'], ['list', '--bogus']]
    const full = await Promise.all(args.map(cli))
    expect(full.map((r) => r.code)).toEqual([0, 0, 0, 2, 2, 2])
    const entry = Object.keys(metafile.outputs).find((f) => basename(f) === 'cli.js') as string
    const keep = new Set(eagerFiles(metafile, entry).map((f) => basename(f)))
    const lazy = readdirSync(join(pkg, 'dist')).filter((f) => f.endsWith('.js') && !keep.has(f))
    expect(lazy.length).toBeGreaterThan(10)
    for (const f of lazy) rmSync(join(pkg, 'dist', f))
    const stripped = await Promise.all(args.map(cli))
    expect(stripped).toEqual(full)
  })
})

describe('the tarball', () => {
  it('holds only what running needs: bin, the bundle, its licences, README, LICENSE, package.json', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], { cwd: root, env: { ...process.env, npm_config_loglevel: 'silent' } })
    const files: string[] = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map((f) => f.path) ?? []
    const unexpected = files.filter((f) => !/^(package\.json|README\.md|LICENSE|bin\/kms-alias\.js|dist\/[\w-]+\.js|dist\/THIRD-PARTY-LICENSES\.txt)$/.test(f))
    expect(unexpected).toEqual([])
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'bin/kms-alias.js', 'dist/cli.js', 'dist/THIRD-PARTY-LICENSES.txt']))
  })
})
