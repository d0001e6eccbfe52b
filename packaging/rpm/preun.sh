@MAINTAINER_LIB@
# $1: 0 on an erase (stop and disable), 1 on an upgrade (the new %post restarts it).
if [ "$1" -eq 0 ]; then
  bsmp_stop
  if bsmp_systemd; then systemctl disable $BSMP_UNIT || true; fi
fi
