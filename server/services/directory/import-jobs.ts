import { randomUUID } from 'node:crypto'
import type { ImportJob } from '#shared/types/mailbox-import'

/**
 * Background imports live in this process's memory, not in a table: a job only hashes passwords and
 * then inserts everything in one transaction, so a restart mid-job loses the job and nothing else
 * (not one mailbox was written) and the admin runs the file again. Bounds: one job runs at a time
 * (two imports racing for the same addresses would fail each other's final check anyway), and a
 * finished job is kept for FINISHED_TTL_MS so its result can be read, then forgotten.
 */
const FINISHED_TTL_MS = 60 * 60 * 1000
const MAX_KEPT = 20

const jobs = new Map<string, ImportJob>()

function forgetOld(now: number): void {
  for (const [id, job] of jobs) {
    if (job.finished_at && now - Date.parse(job.finished_at) > FINISHED_TTL_MS) jobs.delete(id)
  }
  // Oldest first (Map order is insertion order): drop finished jobs beyond the cap.
  for (const [id, job] of jobs) {
    if (jobs.size <= MAX_KEPT) break
    if (job.finished_at) jobs.delete(id)
  }
}

export const importJobs = {
  /** The job still hashing or inserting, if any. */
  running(): ImportJob | undefined {
    return [...jobs.values()].find(j => !j.finished_at)
  },

  create(total: number, done: number): ImportJob {
    forgetOld(Date.now())
    const job: ImportJob = {
      id: randomUUID(),
      state: 'hashing',
      progress: { done, total },
      errors: [],
      result: null,
      failure: null,
      created_at: new Date().toISOString(),
      finished_at: null,
    }
    jobs.set(job.id, job)
    return job
  },

  get(id: string): ImportJob | undefined {
    forgetOld(Date.now())
    return jobs.get(id)
  },

  finish(job: ImportJob, outcome: { imported: number } | { failure: string }): void {
    if ('imported' in outcome) {
      job.state = 'done'
      job.result = { imported: outcome.imported }
    }
    else {
      job.state = 'failed'
      job.failure = outcome.failure
    }
    job.finished_at = new Date().toISOString()
  },
}
