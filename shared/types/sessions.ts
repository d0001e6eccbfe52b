// GET /api/v1/sessions (server/services/sessions): who is connected to Dovecot, from `doveadm who -1`.

/** One user's connections over one protocol from one address. */
export interface MailSession {
  user: string
  /** `imap`, `pop3`, `lmtp`… as Dovecot names the service. */
  protocol: string
  /** The client's address ('' when Dovecot does not know it). */
  remote_ip: string
  connections: number
  pids: number[]
}

export interface SessionsResponse {
  data: MailSession[]
  /** Distinct users with at least one connection. */
  users: number
}

export interface SessionKickResponse {
  message: string
  /** The users Dovecot reports it disconnected. */
  kicked: string[]
}
