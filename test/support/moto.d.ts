export interface RunningMoto {
  url: string
  version: string
  stop(): Promise<void>
}
export function checkMoto(): Promise<string>
export function startMoto(): Promise<RunningMoto>
