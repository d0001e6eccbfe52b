export interface OsReleaseFacts { id: string, idLike: string[], versionId: string, prettyName: string }
export declare const osRelease: {
  parse(text: string): OsReleaseFacts
  family(facts: { id: string, idLike: string[] }): 'debian' | 'rhel' | undefined
}
