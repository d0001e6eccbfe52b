@MAINTAINER_LIB@
# An erase keeps /etc/backendside-mailpanel (config.env, the audit log) and /var/lib/backendside-mailpanel:
# the package never owned them (%post made them); remove them by hand to forget the panel.
if bsmp_systemd; then systemctl daemon-reload || true; fi
