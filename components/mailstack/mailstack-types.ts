export type { ReconcileRun, ReconcileStatus } from '~/composables/api-types'
