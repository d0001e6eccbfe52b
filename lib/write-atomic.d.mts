export function writeFileAtomic(path: string, content: string, options: { mode: number, uid?: number, gid?: number }): void
