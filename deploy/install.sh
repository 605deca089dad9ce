#!/usr/bin/env bash
# Install or upgrade Hallq from this bundle, with no network (docs/deployment.md):
#   sudo ./install.sh                        a server: /opt/hallq, /etc/hallq, /var/lib/hallq, systemd
#   ./install.sh --prefix DIR --no-system    the same tree under DIR, without the user and systemd (tests)
# Options: --python PYTHON (default python3, 3.11 or newer). It never overwrites /etc/hallq's files:
# an upgrade keeps the hall's configuration, its .env and its data.
set -euo pipefail
umask 022  # the code readable by the hallq user whatever root's umask; the .env is made 0600 below
here=$(cd "$(dirname "$0")" && pwd)

PREFIX=""
SYSTEM=1
PYTHON=python3
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX=$(realpath -m "$2"); shift 2 ;;
    --no-system) SYSTEM=0; shift ;;
    --python) PYTHON=$2; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ "$PREFIX" = / ] && PREFIX=""

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
fail() { echo "install.sh: $*" >&2; exit 1; }

VERSION=$(sed -n 's/^hallq==\([^ ;]*\).*/\1/p' "$here/requirements.txt")
OPT=$PREFIX/opt/hallq
ETC=$PREFIX/etc/hallq
VAR=$PREFIX/var/lib/hallq
BACKUPS=$PREFIX/var/backups/hallq
UNITS=$PREFIX/etc/systemd/system
RELEASE=$OPT/releases/$VERSION

[ "$SYSTEM" = 0 ] || [ "$(id -u)" -eq 0 ] || fail "run it as root (or give --prefix DIR --no-system)"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
  || fail "Hallq needs Python 3.11 or newer: $PYTHON is not (give --python /path/to/python3.11)"
"$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || fail "$PYTHON cannot make a virtualenv: apt-get install python3-venv"
tag=$("$PYTHON" -c 'import platform, sys; print(f"{platform.machine()} {sys.version_info[0]}.{sys.version_info[1]}")')
grep -q "\"arch\": \"${tag% *}\"" "$here/bundle.json" || fail "this bundle is not for ${tag% *} (bundle.json)"
grep -q "\"${tag#* }\"" "$here/bundle.json" || fail "this bundle has no wheels for Python ${tag#* } (bundle.json)"

# Each version in a virtualenv of its own; /opt/hallq/venv points at the current one. A running
# server keeps the files of the release it started from until it is restarted.
if cmp -s "$here/requirements.txt" "$RELEASE/installed-requirements.txt"; then
  say "Hallq $VERSION is in $RELEASE already, with these packages"
else
  say "installing Hallq $VERSION into $RELEASE (this bundle's wheels only)"
  mkdir -p "$OPT/releases"
  "$PYTHON" -m venv --clear "$RELEASE"
  # --isolated: no pip.conf or PIP_* variable of this machine adds an index or other wheels.
  "$RELEASE/bin/python" -m pip install --isolated --quiet --no-index --find-links "$here/wheels" \
    --require-hashes -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$RELEASE/installed-requirements.txt"  # done: the next run may skip it
fi
previous=$(readlink "$OPT/venv" || true)
ln -sfn "releases/$VERSION" "$OPT/venv.new" && mv -T "$OPT/venv.new" "$OPT/venv"
for old in "$OPT"/releases/*; do  # keep this release and the one before it (a way back)
  case "$(basename "$old")" in "$VERSION" | "$(basename "${previous:-none}")") ;; *) rm -rf "$old" ;; esac
done
mkdir -p "$PREFIX/usr/local/bin"
ln -sfn "$OPT/venv/bin/hallq" "$PREFIX/usr/local/bin/hallq"
ln -sfn "$OPT/venv/bin/hallq-agent" "$PREFIX/usr/local/bin/hallq-agent"

if [ "$SYSTEM" = 1 ] && ! getent passwd hallq >/dev/null; then
  say "creating the system user hallq"
  adduser --system --group --home /var/lib/hallq --no-create-home hallq
fi
[ "$SYSTEM" = 0 ] || usermod -aG lp,dialout hallq  # USB and serial printers (docs/printers.md)
owned() {  # a folder of the hallq user's (with --no-system: of whoever runs this)
  if [ "$SYSTEM" = 1 ]; then install -d -o hallq -g hallq -m 0750 "$@"; else install -d -m 0750 "$@"; fi
}
owned "$VAR" "$BACKUPS" "$PREFIX/etc/hallq-agent"

mkdir -p "$ETC"
if [ ! -e "$ETC/hall.toml" ]; then
  say "$ETC: the example hall (edit it: the README's \"Set up a real hall\")"
  cp -R "$here/config/." "$ETC/"
fi
if [ ! -e "$ETC/.env" ]; then
  say "$ETC/.env: the settings, with a new SECRET_KEY (back it up apart from the database)"
  (
    umask 077
    cat >"$ETC/.env" <<EOF
# Hallq's settings (docs/deployment.md, "Settings"). Written by install.sh, never overwritten.
SECRET_KEY=$("$PYTHON" -c 'import secrets; print(secrets.token_hex(32))')
HALLQ_CONFIG=$ETC
HALLQ_INSTANCE=$VAR
DATABASE_URL=sqlite:///$VAR/hallq.sqlite
HALLQ_PROXIES=1
HALLQ_DEFAULT_LOCALE=zh_CN
EOF
  )
fi
if [ "$SYSTEM" = 1 ]; then
  chown -R root:hallq "$ETC" && chmod -R g+rX,o-rwx "$ETC" && chmod 0640 "$ETC/.env"
fi

say "$UNITS: hallq.service, hallq-agent.service, hallq-backup.service and .timer"
mkdir -p "$UNITS"
for unit in "$here"/systemd/*; do
  sed -E "s#(/opt/hallq|/etc/hallq|/var/lib/hallq|/var/backups/hallq)#$PREFIX\1#g" "$unit" >"$UNITS/$(basename "$unit")"
done
[ "$SYSTEM" = 0 ] || systemctl daemon-reload

run_as=""
[ "$SYSTEM" = 0 ] || run_as="sudo -u hallq "
hallq="${run_as}hallq"  # /usr/local/bin/hallq, which reads /etc/hallq/.env
[ -z "$PREFIX" ] || hallq="${run_as}env HALLQ_ENV_FILE=$ETC/.env $OPT/venv/bin/hallq"
if [ -n "$previous" ] && [ "$previous" != "releases/$VERSION" ]; then
  cat >&2 <<EOF

Hallq $VERSION is installed (${previous#releases/} before it, kept in $OPT/releases). A running
server stays on ${previous#releases/} until it is restarted; to move it to $VERSION:
  systemctl start hallq-backup            # a copy of the database first
  systemctl stop hallq
  $hallq db upgrade
  $hallq check-config
  systemctl start hallq
EOF
else
  cat >&2 <<EOF

Hallq $VERSION is installed. Next (docs/deployment.md):
  edit $ETC/hall.toml and the catalogue, then
  $hallq check-config
  $hallq init
  $hallq user add ADMIN --role admin --password-stdin
  systemctl enable --now hallq hallq-backup.timer
EOF
fi
