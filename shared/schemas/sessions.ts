import * as v from 'valibot'
import { emailAddress } from './common'

/** POST /api/v1/sessions/kick: the mailbox whose IMAP/POP3 connections Dovecot closes (an address: never a doveadm mask). */
export const sessionKickSchema = v.strictObject({ user: emailAddress })
export type SessionKick = v.InferOutput<typeof sessionKickSchema>
