export interface StagedFile {
  path: string
  temp: string
  commit(): void
  discard(): void
}
export function stageFile(path: string, content: string | Uint8Array, options: { mode: number, uid?: number, gid?: number }): StagedFile
export function writeFileAtomic(path: string, content: string | Uint8Array, options: { mode: number, uid?: number, gid?: number }): void
