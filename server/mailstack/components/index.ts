import { clamsmtp } from './clamsmtp'
import { dovecot } from './dovecot'
import { opendkim } from './opendkim'
import { opendkimEd25519 } from './opendkim-ed25519'
import { opendmarc } from './opendmarc'
import { policydSpf } from './policyd-spf'
import { postfix } from './postfix'
import { postgrey } from './postgrey'
import { spampd } from './spampd'
import type { MailComponent } from './types'
import type { MailComponentName } from '#shared/types/mailstack'

/**
 * Every component, in reconcile order: the helpers Postfix talks to come before Postfix, so a
 * milter socket or policy service exists by the time Postfix is reloaded to use it; opendkim before
 * opendkim-ed25519, which reads the key files the first one writes.
 */
export const COMPONENTS: MailComponent[] = [dovecot, opendkim, opendkimEd25519, opendmarc, policydSpf, postgrey, spampd, clamsmtp, postfix]

export const componentByName = (name: MailComponentName): MailComponent | undefined => COMPONENTS.find(c => c.name === name)
