import type { KeyInfo } from '../kms/port.js'

/** A key as the JSON output shows it; field names are part of the output contract. */
export interface KeyView {
  keyId: string
  arn: string
  keySpec: string | null
  keyUsage: string | null
  keyState: string | null
  keyManager: string | null
  origin: string | null
  multiRegion: boolean
}

export function toKeyView(key: KeyInfo): KeyView {
  return {
    keyId: key.keyId,
    arn: key.arn,
    keySpec: key.keySpec ?? null,
    keyUsage: key.keyUsage ?? null,
    keyState: key.keyState ?? null,
    keyManager: key.keyManager ?? null,
    origin: key.origin ?? null,
    multiRegion: key.multiRegion,
  }
}
