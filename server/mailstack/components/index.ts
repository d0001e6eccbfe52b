import { dovecot } from './dovecot'
import { opendkim } from './opendkim'
import { postfix } from './postfix'
import type { MailComponent } from './types'
import type { MailComponentName } from '#shared/types/mailstack'

/**
 * Every component, in reconcile order: the helpers Postfix talks to come before Postfix, so a
 * milter socket or policy service exists by the time Postfix is reloaded to use it.
 */
export const COMPONENTS: MailComponent[] = [dovecot, opendkim, postfix]

export const componentByName = (name: MailComponentName): MailComponent | undefined => COMPONENTS.find(c => c.name === name)
