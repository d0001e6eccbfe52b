import { hash, verify } from '@node-rs/bcrypt'

// Dovecot verifies mailbox hashes on every IMAP/SMTP login, so they use a cheaper cost than the admin's.
const MAILBOX_COST = 10
const ADMIN_COST = 12
const DOVECOT_SCHEME = '{BLF-CRYPT}'
// A valid hash of a random string: lets a login for an unknown user take as long as a real check.
const DUMMY_HASH = '$2b$12$2WoO8.c0KjK0iYL/LZD.6uSXyWQNr5F4kfSBMar3F6FyDumxCCX4i'

export const passwords = {
  /** `{BLF-CRYPT}$2b$10$…`, the exact form Dovecot's SQL passdb reads. */
  async hashMailbox(plain: string): Promise<string> {
    return DOVECOT_SCHEME + await hash(plain, MAILBOX_COST)
  },

  async hashAdmin(plain: string): Promise<string> {
    return hash(plain, ADMIN_COST)
  },

  /** Accepts hashes with or without the Dovecot scheme prefix. An absent hash still costs a bcrypt round. */
  async verify(plain: string, stored: string | undefined): Promise<boolean> {
    const bare = stored?.startsWith(DOVECOT_SCHEME) ? stored.slice(DOVECOT_SCHEME.length) : stored
    try {
      const ok = await verify(plain, bare ?? DUMMY_HASH)
      return ok && Boolean(bare)
    }
    catch {
      return false
    }
  },
}
