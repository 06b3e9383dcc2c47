// The floor of one `kms-alias update` with the AWS SDK: one bundled file (built as the package is)
// that makes the calls an update makes, in the same round trips, and nothing else: no checks, no
// lock, no journal, no output. `one` sends UpdateAlias alone, what `aws kms update-alias` does.
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { bundleOptions, lazyChildProcess } from '../scripts/build.js'

const source = `
import {
  DescribeKeyCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, KMSClient, ListAliasesCommand,
  ListGrantsCommand, ListResourceTagsCommand, UpdateAliasCommand,
} from '@aws-sdk/client-kms'
const [mode, alias, to] = process.argv.slice(2)
const kms = new KMSClient({})
const send = (command) => kms.send(command)
if (mode === 'one') {
  await send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: to }))
} else {
  // DescribeKey x2; then ListAliases x2 beside the 8 access reads; the guard's DescribeKey;
  // UpdateAlias; ListAliases to confirm: 15 calls in five round trips.
  const keys = (await Promise.all([alias, to].map((KeyId) => send(new DescribeKeyCommand({ KeyId }))))).map((r) => r.KeyMetadata.KeyId)
  await Promise.all(keys.flatMap((KeyId) => [
    send(new ListAliasesCommand({ KeyId })),
    send(new GetKeyPolicyCommand({ KeyId, PolicyName: 'default' })),
    send(new ListGrantsCommand({ KeyId })),
    send(new ListResourceTagsCommand({ KeyId })),
    send(new GetKeyRotationStatusCommand({ KeyId })),
  ]))
  await send(new DescribeKeyCommand({ KeyId: alias }))
  await send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: keys[1] }))
  await send(new ListAliasesCommand({ KeyId: keys[1] }))
}
`

export async function buildSdkAlone(outfile) {
  await build({
    stdin: { contents: source, resolveDir: fileURLToPath(new URL('..', import.meta.url)), loader: 'js' },
    ...bundleOptions,
    outfile,
    plugins: [lazyChildProcess],
  })
}
