// /etc/os-release (freedesktop format): KEY=value lines, values optionally quoted, `#` comments.
// Only the facts the installer decides on are kept. The syntax is config.env's (shell-style quoting).
import { envFile } from './env-file.mjs'

const FAMILY_OF = {
  debian: 'debian',
  ubuntu: 'debian',
  rhel: 'rhel',
  centos: 'rhel',
  fedora: 'rhel',
  almalinux: 'rhel',
  rocky: 'rhel',
}

export const osRelease = {
  /**
   * @param {string} text the file's contents
   * @returns {{ id: string, idLike: string[], versionId: string, prettyName: string }}
   */
  parse(text) {
    const values = envFile.parse(text)
    const id = (values.ID ?? '').toLowerCase()
    return {
      id,
      idLike: (values.ID_LIKE ?? '').toLowerCase().split(/\s+/).filter(Boolean),
      versionId: values.VERSION_ID ?? '',
      prettyName: values.PRETTY_NAME ?? values.NAME ?? id,
    }
  },

  /**
   * 'debian' (apt-get) or 'rhel' (dnf), from ID first and then ID_LIKE in its order, so a derivative
   * the table does not name (Linux Mint, Oracle Linux, …) follows the distribution it says it is like.
   * @param {{ id: string, idLike: string[] }} facts
   * @returns {'debian' | 'rhel' | undefined}
   */
  family(facts) {
    for (const name of [facts.id, ...facts.idLike]) {
      if (Object.hasOwn(FAMILY_OF, name)) return /** @type {'debian' | 'rhel'} */ (FAMILY_OF[name])
    }
    return undefined
  },
}
