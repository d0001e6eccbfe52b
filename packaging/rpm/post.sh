@MAINTAINER_LIB@
# $1: 1 on a first install, 2 or more on an upgrade.
bsmp_configure
if [ "$1" -eq 1 ]; then bsmp_start install; else bsmp_start upgrade; fi
