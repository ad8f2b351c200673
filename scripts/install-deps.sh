#!/usr/bin/env bash
# Installs what capsuled's tests need on Debian/Ubuntu, idempotently.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: run as root" >&2
	exit 1
fi

# libnss-systemd resolves dynamic users from /run/userdb without a daemon;
# util-linux/bsdutils provide script(1) and setsid; procps gives ps.
packages="libnss-systemd util-linux bsdutils procps"
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
