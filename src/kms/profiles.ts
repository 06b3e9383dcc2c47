// Which shared config profiles exist, read the way the SDK finds its files. Used only to explain a
// failure ("profile not found" instead of "no Region" or "no credentials").
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'

export interface ProfileFiles {
  config: string
  credentials: string
}

type Env = Readonly<Record<string, string | undefined>>

/** The shared config and credentials files: AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, else ~/.aws. */
export function profileFiles(env: Env): ProfileFiles {
  const home = env.HOME || env.USERPROFILE || homedir()
  return {
    config: env.AWS_CONFIG_FILE || join(home, '.aws', 'config'),
    credentials: env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials'),
  }
}

const SECTION = /^\s*\[\s*([^\]]*?)\s*\]\s*(?:[#;].*)?$/gm

async function sections(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '')
  return [...text.matchAll(SECTION)].map((m) => m[1] ?? '')
}

/** Whether `name` is a profile: `[profile name]` (or `[default]`) in config, `[name]` in credentials. */
export async function profileDefined(name: string, files: ProfileFiles): Promise<boolean> {
  const [config, credentials] = await Promise.all([sections(files.config), sections(files.credentials)])
  const inConfig = config.some((s) => s.replace(/^profile\s+/, '') === name && (s.startsWith('profile ') || s === 'default'))
  return inConfig || credentials.includes(name)
}
