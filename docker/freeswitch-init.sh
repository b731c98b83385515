#!/bin/sh
# autocall: prepares /etc/freeswitch in the safarov/freeswitch image, then runs
# the image's own entrypoint (which starts FreeSWITCH). docker/compose.yaml
# makes this the freeswitch service's entrypoint; docs/deploy.md explains it.
#
# The image's entrypoint copies the stock configuration into /etc/freeswitch
# only when there is no freeswitch.xml, and starts FreeSWITCH right after, so
# autocall's files must be laid over the stock ones before it runs:
#   1. first start: copy the stock configuration and give its SIP users a
#      random default_password, as the image's entrypoint does;
#   2. every start: copy freeswitch-conf/ (mounted read-only at $SRC) over it,
#      so an edit there reaches FreeSWITCH at the next restart;
#   3. hand the shared audio directory to autocall's user;
#   4. check what the dialplan needs (mod_avmd) and refuse a missing or stock
#      ESL password.
# Busybox sh: the image has no bash.
set -eu

# The image's paths (Debian layout); tests/test_docker_files.py points them
# at a temporary directory.
CONF=${AUTOCALL_INIT_CONF:-/etc/freeswitch}
SRC=${AUTOCALL_INIT_SRC:-/autocall/freeswitch-conf}
STOCK=${AUTOCALL_INIT_STOCK:-/usr/share/freeswitch/conf/vanilla}
AUDIO=${AUTOCALL_INIT_AUDIO:-/var/lib/autocall/audio}
MODULES=${AUTOCALL_INIT_MODULES:-/usr/lib/freeswitch/mod}
ENTRYPOINT=${AUTOCALL_INIT_ENTRYPOINT:-/docker-entrypoint.sh}

say() { echo "autocall-init: $*"; }

case "${AUTOCALL_FS_ESL_PASSWORD:-}" in
    "" | ClueCon)
        say "AUTOCALL_FS_ESL_PASSWORD is empty or the stock default: set a real one (docs/deploy.md)" >&2
        exit 1 ;;
esac

# An empty variable would reach FreeSWITCH as an empty value (env-set copies
# it); unset ones leave the defaults of 00_autocall_vars.xml.
for name in $(env | sed -n 's/^\(AUTOCALL_FS_[A-Z0-9_]*\)=$/\1/p'); do
    unset "$name"
done

if [ ! -f "$CONF/freeswitch.xml" ]; then
    say "first start: stock configuration from $STOCK"
    mkdir -p "$CONF"
    cp -a "$STOCK/." "$CONF/"
    password=$(tr -dc 'A-Za-z0-9' < /dev/urandom | head -c 20)
    sed -i -e "s/default_password=[^\"]*\"/default_password=$password\"/" "$CONF/vars.xml"
fi

say "installing autocall's configuration from $SRC"
(cd "$SRC" && find . -type f -name '*.xml') | while read -r file; do
    mkdir -p "$CONF/$(dirname "$file")"
    cp "$SRC/$file" "$CONF/$file"
done

mkdir -p "$AUDIO"
chown "${AUTOCALL_UID:-10001}:${AUTOCALL_UID:-10001}" "$AUDIO" || say "WARNING: cannot hand $AUDIO to uid ${AUTOCALL_UID:-10001}" >&2
chmod 0755 "$AUDIO"

if [ ! -f "$MODULES/mod_avmd.so" ]; then
    say "WARNING: $MODULES/mod_avmd.so is missing: voicemail detection is off (AUTOCALL_FS_AVMD=false)" >&2
    export AUTOCALL_FS_AVMD=false
fi

exec "$ENTRYPOINT" "$@"
