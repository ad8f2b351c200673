#!/usr/bin/env bash
# Installs what capsuled's tests need on Debian/Ubuntu, idempotently.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: run as root" >&2
	exit 1
fi

# libnss-systemd resolves dynamic users from /run/userdb without a daemon;
# dbus-daemon is each capsule's bus broker (dbus-user-session ships the
# user units for it); systemd provides busctl and systemd-notify, which the
# tests use inside capsules (it need not run as PID 1); util-linux and
# bsdutils provide script(1), setsid and ipcmk; procps gives ps; keyutils
# gives keyctl, with which the tests look at kernel keyrings. The tests'
# hostile programs are shell, Python (python3) and small static C programs
# (gcc, libc6-dev); libglib2.0-bin gives gdbus, a bus client they run;
# python3-dbus and python3-gi run the D-Bus services and clients of the bus
# activation tests inside capsules (as /usr/bin/python3).
packages="libnss-systemd dbus-daemon dbus-user-session systemd util-linux bsdutils procps perl-base keyutils python3 gcc libc6-dev libglib2.0-bin python3-dbus python3-gi"
missing=
for p in $packages; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
fi

# nss-systemd must be consulted for users and groups.
for db in passwd group; do
	if ! grep -Eq "^$db:.*\bsystemd\b" /etc/nsswitch.conf; then
		sed -i -E "s/^($db:.*)$/\1 systemd/" /etc/nsswitch.conf
		echo "install-deps: added systemd to the $db line of /etc/nsswitch.conf"
	fi
done

go mod download

# The unit files of real Debian packages, for the corpus test
# (internal/unitconf/corpus_test.go); downloaded, not installed.
./scripts/fetch-corpus.sh
