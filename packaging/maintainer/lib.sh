# The maintainer scripts' one copy of their logic, for the DEB (postinst, prerm, postrm) and the RPM
# (%pre, %post, %preun, %postun) alike: scripts/package/build.mjs puts this text where a script says
# @MAINTAINER_LIB@, so every script stands alone (a postrm runs after the files are gone).
BSMP=backendside-mailpanel
BSMP_LIB=/usr/lib/$BSMP
BSMP_ETC=/etc/$BSMP
BSMP_STATE=/var/lib/$BSMP
BSMP_UNIT=$BSMP.service

bsmp_say() { echo "$BSMP: $*"; }
bsmp_systemd() { [ -d /run/systemd/system ]; }
bsmp_config_has() { [ -f "$BSMP_ETC/config.env" ] && grep -q "^$1=." "$BSMP_ETC/config.env"; }

# The system user and group: they own the state folder; the service itself runs as root (see the unit).
bsmp_account() {
  getent group $BSMP >/dev/null || groupadd --system $BSMP
  getent passwd $BSMP >/dev/null || useradd --system --gid $BSMP --home-dir $BSMP_STATE --no-create-home \
    --shell /usr/sbin/nologin --comment "BackendSide MailPanel" $BSMP
}

# Folders, config.env (legacy .env moved in place, a random JWT_SECRET on first install, nothing
# overwritten), then the schema: the new code never starts on an old schema.
bsmp_configure() {
  bsmp_account
  install -d -m 0700 -o root -g root $BSMP_ETC
  install -d -m 0750 -o root -g $BSMP $BSMP_STATE
  $BSMP_LIB/node/bin/node $BSMP_LIB/packaging/config-init.mjs $BSMP_ETC
  bsmp_migrate
}

# PostgreSQL (setup's DATABASE_URL) is migrated here, while the old process may still run; the embedded
# database admits one process only, so it is migrated by the unit's ExecStartPre, after the old process
# stopped. Either way the new code never starts on an old schema.
bsmp_migrate() {
  if bsmp_config_has DATABASE_URL; then
    bsmp_say "migrating the database schema"
    /usr/bin/$BSMP migrate
  elif [ -d $BSMP_STATE/pgdata ]; then
    bsmp_say "the embedded database is migrated when the panel starts (ExecStartPre)"
  else
    bsmp_say "no database yet (setup has not run): nothing to migrate"
  fi
}

# $1: install (a first install) or upgrade. Enabled on a first install; (re)started only once setup has
# written the admin's credentials (before that there is nobody to sign in); an upgrade restarts it
# only if it was running.
bsmp_start() {
  if bsmp_systemd; then
    systemctl daemon-reload
    if [ "$1" = install ]; then systemctl enable $BSMP_UNIT; fi
  fi
  if ! bsmp_config_has ADMIN_PASSWORD_HASH; then
    bsmp_say "next: sudo $BSMP setup --hostname mail.example.com, then sudo systemctl start $BSMP_UNIT"
  elif ! bsmp_systemd; then
    bsmp_say "systemd is not running here: start the panel with '$BSMP serve' (as root)"
  elif [ "$1" = install ]; then
    systemctl restart $BSMP_UNIT
  else
    systemctl try-restart $BSMP_UNIT
  fi
}

bsmp_stop() {
  bsmp_systemd || return 0
  systemctl stop $BSMP_UNIT || true
}

# Purge (DEB): the panel's config (config.env, audit log, firewall state, TLS pair) and state. Mail in
# /var/mail/vhosts and the PostgreSQL database are the mail server's, not the panel's: they stay, as do
# the system user and group (files elsewhere may still carry their ids).
bsmp_purge() {
  rm -rf $BSMP_ETC $BSMP_STATE
  rm -f /etc/systemd/system/multi-user.target.wants/$BSMP_UNIT
  bsmp_systemd && systemctl daemon-reload
  return 0
}
