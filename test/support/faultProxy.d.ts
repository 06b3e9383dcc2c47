export type FaultKind = 'throttle' | 'internal' | 'dependency-timeout' | 'access-denied' | 'invalid-state' | 'delay' | 'hang' | 'drop' | 'lose-response'
export interface FaultProxy {
  url: string
  fault(operation: string, kind: FaultKind, options?: { calls?: number[]; ms?: number; region?: string; accessKey?: (accessKeyId: string) => boolean }): void
  before(operation: string, calls: number[] | undefined, run: (call: number) => Promise<void> | void): void
  /** `answer` and `request` are the parsed JSON bodies; the test's callback names the fields it reads. */
  rewrite<Answer, Request>(operation: string, options: { calls?: number[]; region?: string }, run: (answer: Answer, request: Request) => unknown): void
  /** Answers `operation` itself (APIs moto lacks) instead of forwarding; a fault rule for the call still wins. */
  serve<Request>(operation: string, run: (request: Request, call: number, region: string) => unknown): void
  bodies(operation: string): Array<{ operation: string; call: number; region: string; body: Record<string, unknown> }>
  staleAfterMutations(ms: number, operations?: Array<'ListAliases' | 'DescribeKey'>): void
  /** perRegion: one bucket per Region the request was signed for. */
  limitRate(operations: string[], perSecond: number, options?: { perRegion?: boolean }): void
  calls(operation: string): number
  arrivals(operation: string, region?: string): number[]
  throttled(): number
  log: string[]
  latency(ms: number): void
  requests(): Array<{ operation: string; call: number; start: number; end: number | undefined }>
  levels(): number
  reset(): void
  stop(): Promise<void>
}
export function startFaultProxy(target: string): Promise<FaultProxy>
