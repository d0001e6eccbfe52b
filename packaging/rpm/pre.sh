@MAINTAINER_LIB@
bsmp_account
