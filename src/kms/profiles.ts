// Which shared config profiles exist, read the way the SDK finds its files. Used only to explain a
// failure ("profile not found" instead of "no Region" or "no credentials").
import { readFile } from 'node:fs/promises'
import { devNull, homedir } from 'node:os'
import { join } from 'node:path'

export interface ProfileFiles {
  config: string
  credentials: string
}

type Env = Readonly<Record<string, string | undefined>>

/** The shared config and credentials files: AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, else ~/.aws. */
export function profileFiles(env: Env): ProfileFiles {
  const home = () => env.HOME || env.USERPROFILE || homeOrNull(homedir) || ''
  return {
    config: env.AWS_CONFIG_FILE || join(home(), '.aws', 'config'),
    credentials: env.AWS_SHARED_CREDENTIALS_FILE || join(home(), '.aws', 'credentials'),
  }
}

/** What os.homedir() says, or null where it throws (no HOME and no passwd entry for this uid). */
function homeOrNull(home: () => string): string | null {
  try {
    return home()
  } catch {
    return null
  }
}

/**
 * The variables that let the AWS SDK run for a user with no home directory (HOME unset and no
 * passwd entry, as for an arbitrary uid in a container). The SDK asks for the home directory on
 * every config read (HOME, USERPROFILE, HOMEPATH, then os.homedir(), which then throws ENOENT), and
 * every command failed with exit 1. With no home there are no profile files: the unset ones are
 * named as empty files, and the SDK's home (USERPROFILE, which kms-alias reads only on Windows)
 * as a path under which nothing can exist. The run goes on without a profile, with credentials and
 * Region from the environment. Empty when a home is found.
 */
export function homelessProfileEnv(env: Env, home: () => string = homedir, empty = devNull): Record<string, string> {
  if (env.HOME || env.USERPROFILE || env.HOMEPATH || homeOrNull(home) !== null) return {}
  return {
    USERPROFILE: empty,
    ...(env.AWS_CONFIG_FILE ? {} : { AWS_CONFIG_FILE: empty }),
    ...(env.AWS_SHARED_CREDENTIALS_FILE ? {} : { AWS_SHARED_CREDENTIALS_FILE: empty }),
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
