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
  // As update sends them (issue 18 item 7): DescribeKey x2 beside the new key's ListAliases and its
  // reads by ID; then the current key's ListAliases and access reads, the new key's rotation status
  // and the guard's DescribeKey; UpdateAlias; ListAliases to confirm: 15 calls in four round trips.
  const byId = (KeyId) => [
    send(new GetKeyPolicyCommand({ KeyId, PolicyName: 'default' })),
    send(new ListGrantsCommand({ KeyId })),
    send(new ListResourceTagsCommand({ KeyId })),
  ]
  const [current] = await Promise.all([
    send(new DescribeKeyCommand({ KeyId: alias })),
    send(new DescribeKeyCommand({ KeyId: to })),
    send(new ListAliasesCommand({ KeyId: to })),
    ...byId(to),
  ])
  const KeyId = current.KeyMetadata.KeyId
  await Promise.all([
    send(new ListAliasesCommand({ KeyId })),
    ...byId(KeyId),
    send(new GetKeyRotationStatusCommand({ KeyId })),
    send(new GetKeyRotationStatusCommand({ KeyId: to })),
    send(new DescribeKeyCommand({ KeyId: alias })),
  ])
  await send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: to }))
  await send(new ListAliasesCommand({ KeyId: to }))
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
