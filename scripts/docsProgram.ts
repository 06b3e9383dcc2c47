// The entry scripts/docs.js bundles: the same commander table `kms-alias --help` prints, built
// with the real Context (no command runs, so nothing is read or called).
import { createContext } from '../src/cli/context.js'
import { createProgram } from '../src/cli/program.js'

export { optionBlocks, rewriteBlocks } from './commandReference.js'

export const docsProgram = () => createProgram(createContext(), () => undefined)
