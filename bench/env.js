// The environment every benchmarked kms-alias run gets: test credentials, one Region, no instance
// metadata and a home of its own, so that nothing of the machine's AWS set-up takes part.
export function benchEnv(home, region = 'us-east-1') {
  return {
    PATH: process.env.PATH,
    HOME: home,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: region,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  }
}
