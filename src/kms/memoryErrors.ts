/**
 * A KMS error response as the SDK throws it: `name` is the KMS error code. The in-memory KMS throws
 * these so that its refusals go through the adapter's own translateError.
 */
export class KmsErrorResponse extends Error {
  readonly $fault = 'client'
  readonly $metadata: { httpStatusCode: number }
  constructor(name: string, status: number, message: string) {
    super(message)
    this.name = name
    this.$metadata = { httpStatusCode: status }
  }
}
