import * as v from 'valibot'

/**
 * Policy daemon settings. `policyd_fail_mode` is what an authenticated sender gets while the
 * database cannot be reached: `defer` (4xx, the client retries; no limit can be bypassed) or
 * `dunno` (the message goes on unchecked; mail keeps flowing). See README "Policy daemon".
 */
export const FAIL_MODES = ['defer', 'dunno'] as const
export const failMode = v.picklist(FAIL_MODES, 'must be "defer" or "dunno"')
export type FailMode = v.InferOutput<typeof failMode>

export const policydSettingsUpdateSchema = v.strictObject({ policyd_fail_mode: failMode })
export type PolicydSettings = v.InferOutput<typeof policydSettingsUpdateSchema>
