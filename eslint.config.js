// npm run lint. A small rule set: the type-aware promise rules (an un-awaited KMS write or journal
// append is a silent bug), the architecture of /style.md as import and global bans, and a
// 160-character line limit. No formatting rules: formatting is not checked.
import tseslint from 'typescript-eslint'

const architecture = {
  'no-restricted-imports': ['error', {
    patterns: [{ group: ['@aws-sdk/*'], message: 'only src/kms/client.ts imports the AWS SDK (KmsPort is the boundary)' }],
  }],
  'no-restricted-globals': ['error', { name: 'process', message: 'use the Context (ctx.io, ctx.env, ctx.signal); only src/cli/context.ts reads process' }],
  'no-console': 'error',
}

/**
 * Bans imports of the folders above a layer, from `files` (the SDK ban stays in `architecture`).
 * `types`: type-only imports from above are allowed (a view may name the shape it renders).
 */
function layer(files, above, why, { types = false } = {}) {
  const patterns = above.map((dir) => ({ group: [`../${dir}/*`, `../../${dir}/*`], message: `${why}: do not import src/${dir}/`, allowTypeImports: types }))
  return { files, rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] } }
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.bench/', '.docs-build/', 'coverage/'] },
  {
    files: ['**/*.ts', '**/*.js'],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-control-regex': 'error',
      // A message is easier to read (and grep) on one line than split over concatenations: lines
      // that are long because of one string, template or regex literal are let through.
      'max-len': ['error', { code: 160, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
    },
  },
  // Type-aware rules on the TypeScript that tsconfig.json covers (the JS scripts have no types).
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.json' } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  { files: ['src/**/*.ts'], ignores: ['src/cli/context.ts', 'src/kms/client.ts', 'src/iam/client.ts', 'src/s3/client.ts', 'src/cloudtrail/client.ts', 'src/engine/lock.ts'], rules: architecture },
  { files: ['src/cli/context.ts'], rules: { ...architecture, 'no-restricted-globals': 'off' } },
  // The SDK adapters: KMS (and STS for its credentials and account), IAM for --iam, S3 for a team journal, CloudTrail for usage, retire and --callers.
  { files: ['src/kms/client.ts', 'src/iam/client.ts', 'src/s3/client.ts', 'src/cloudtrail/client.ts'], rules: { ...architecture, 'no-restricted-imports': 'off' } },
  // Lock files name their holder by process id and check whether it is still alive.
  { files: ['src/engine/lock.ts'], rules: { ...architecture, 'no-restricted-globals': 'off' } },
  // Layers point down: kms/ and iam/ (the AWS adapters and KMS facts) know nothing of the rules,
  // the engine, the views or the CLI above them; preflight/ rules are pure and know no engine,
  // views or CLI; output/ renders data and opens nothing; the engine serves the commands.
  layer(['src/kms/**/*.ts', 'src/iam/**/*.ts', 'src/s3/**/*.ts', 'src/cloudtrail/**/*.ts'], ['preflight', 'engine', 'output', 'cli', 'commands'], 'kms/ and iam/ are the bottom layer'),
  layer(['src/preflight/**/*.ts'], ['engine', 'output', 'cli', 'commands'], 'preflight rules are pure: they take what the reads returned'),
  layer(['src/output/**/*.ts'], ['engine', 'commands'], 'views render data; the engine and the commands call them, not the other way round', { types: true }),
  layer(['src/engine/**/*.ts'], ['commands'], 'the engine serves the commands'),
)
