// The .rpm: a spec around the staged tree, built by rpmbuild (Debian's `rpm` package).
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { maintainerScript } from './maintainer.mjs'
import { run } from './run.mjs'
import { NAME } from './stage.mjs'

export const RPM_UNIT_DIR = 'usr/lib/systemd/system'
// No automatic Requires/Provides (the bundled node and the native .node would drag in odd ones), no
// strip, no debuginfo, no brp scripts (they would byte-compile, strip and mangle shebangs); zstd: fast
// to build, read by rpm ≥ 4.14 (EL8 on). The .deb is gzip: lintian refuses zstd members, and xz takes minutes.
const SPEC_HEADER = `%define debug_package %{nil}
%define __strip /bin/true
%define _build_id_links none
%define __os_install_post %{nil}
%define __arch_install_post %{nil}
%define _binary_payload w10T0.zstdio
`

function scriptlet(repo, name) {
  return `%${name}\n${maintainerScript(repo, `packaging/rpm/${name}.sh`).trimEnd()}\n`
}

/**
 * @param {{ repo: string, root: string, workDir: string, outDir: string, version: string, build: string }} o
 * @returns {string} the .rpm's path
 */
export function buildRpm({ repo, root, workDir, outDir, version, build }) {
  const [summary, ...body] = readFileSync(join(repo, 'packaging/description.txt'), 'utf8').trimEnd().split('\n')
  const licenses = join(root, 'usr/share/licenses', NAME)
  mkdirSync(licenses, { recursive: true })
  cpSync(join(repo, 'LICENSE'), join(licenses, 'LICENSE'))
  const spec = `${SPEC_HEADER}
Name: ${NAME}
Version: ${version}
Release: ${build}
Summary: ${summary}
License: LicenseRef-BackendSide-Proprietary
URL: https://backendside.com
AutoReqProv: no
Requires: glibc >= 2.28, libstdc++, shadow-utils, systemd
Requires(pre): shadow-utils
Suggests: postfix, dovecot, postgresql-server, certbot, iptables, logrotate

%description
${body.join('\n')}

%install
cp -a ${root}/. %{buildroot}/

${['pre', 'post', 'preun', 'postun'].map(s => scriptlet(repo, s)).join('\n')}
%files
%defattr(-,root,root,-)
%license /usr/share/licenses/${NAME}/LICENSE
%doc /usr/share/doc/${NAME}/README.md
/usr/share/man/man1/${NAME}.1.gz
/usr/bin/${NAME}
/usr/lib/${NAME}
/${RPM_UNIT_DIR}/${NAME}.service
%config(noreplace) /etc/logrotate.d/${NAME}
%config(noreplace) /etc/letsencrypt/renewal-hooks/deploy/${NAME}
`
  rmSync(workDir, { recursive: true, force: true })
  mkdirSync(join(workDir, 'SPECS'), { recursive: true })
  const specFile = join(workDir, 'SPECS', `${NAME}.spec`)
  writeFileSync(specFile, spec)
  run('rpmbuild', ['-bb', '--quiet', '--target', 'x86_64', '--define', `_topdir ${workDir}`, specFile])
  const name = `${NAME}-${version}-${build}.x86_64.rpm`
  mkdirSync(outDir, { recursive: true })
  renameSync(join(workDir, 'RPMS/x86_64', name), join(outDir, name))
  return join(outDir, name)
}
