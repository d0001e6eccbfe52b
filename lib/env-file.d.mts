import type { StagedFile } from './write-atomic.mjs'

export declare const envFile: {
  parse(text: string): Record<string, string>
  stringify(values: Record<string, string | undefined>): string
  writeAtomic(path: string, content: string): void
  stage(path: string, content: string): StagedFile
}
