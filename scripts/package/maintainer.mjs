// A maintainer script from packaging/: its @MAINTAINER_LIB@ line replaced with packaging/maintainer/lib.sh,
// so the DEB's and the RPM's scripts share one copy of the logic and each stands alone.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export function maintainerScript(repo, path) {
  const lib = readFileSync(join(repo, 'packaging/maintainer/lib.sh'), 'utf8').trimEnd()
  const text = readFileSync(join(repo, path), 'utf8')
  if (!text.includes('@MAINTAINER_LIB@')) throw new Error(`${path} has no @MAINTAINER_LIB@ line`)
  return text.replace('@MAINTAINER_LIB@', () => lib)
}
