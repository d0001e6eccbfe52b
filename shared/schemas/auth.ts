import * as v from 'valibot'

export const loginSchema = v.strictObject({
  username: v.pipe(v.string('must be a string'), v.trim(), v.minLength(1, 'is required'), v.maxLength(128)),
  password: v.pipe(v.string('must be a string'), v.minLength(1, 'is required'), v.maxLength(1024)),
})
