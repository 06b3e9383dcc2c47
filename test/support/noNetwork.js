// Preloaded with `node --import` into a CLI that must make no network connection: opening a
// socket, a TLS connection or a DNS lookup writes "NETWORK ACCESS: <what>" to stderr and throws.
import dns from 'node:dns'
import { writeSync } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'

const refuse = (what) =>
  function refused() {
    writeSync(2, `NETWORK ACCESS: ${what}\n`)
    throw new Error(`network access attempted: ${what}`)
  }

// http, https and fetch (undici) all end in Socket.prototype.connect.
net.Socket.prototype.connect = refuse('net.Socket.connect')
net.connect = refuse('net.connect')
net.createConnection = refuse('net.createConnection')
tls.connect = refuse('tls.connect')
dns.lookup = refuse('dns.lookup')
dns.promises.lookup = refuse('dns.promises.lookup')
