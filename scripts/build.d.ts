import type { Metafile } from 'esbuild'
export function bundle(options?: { outdir?: string; minify?: boolean }): Promise<Metafile>
export function thirdPartyLicenses(metafile: Metafile): string
export function eagerFiles(metafile: Metafile, entry: string): string[]
