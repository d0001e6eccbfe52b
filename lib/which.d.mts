export function which(name: string, path?: string): string | undefined
