import * as v from 'valibot'
import { domainName, NON_EMPTY_MESSAGE, nonEmpty } from './common'

export const domainCreateSchema = v.strictObject({
  name: domainName,
  description: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(500))),
  active: v.optional(v.boolean()),
})

// The name is fixed once created: it names the Maildir folders and every address in the domain.
export const domainUpdateSchema = v.pipe(
  v.strictObject({
    description: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(500))),
    active: v.optional(v.boolean()),
  }),
  v.check(nonEmpty, NON_EMPTY_MESSAGE),
)

export type DomainCreate = v.InferOutput<typeof domainCreateSchema>
export type DomainUpdate = v.InferOutput<typeof domainUpdateSchema>
