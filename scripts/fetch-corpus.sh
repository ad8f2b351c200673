#!/usr/bin/env bash
# Fetches the unit files of the Debian packages in test/corpus/packages.txt
# (apt-get download: nothing is installed) into DEST (default
# /var/cache/capsuled/corpus), as DEST/PACKAGE/{system,user}/UNIT. A DEST
# that already holds this package list is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-/var/cache/capsuled/corpus}
list=$(grep -v '^#' test/corpus/packages.txt | tr -s ' \n' '\n' | sed '/^$/d' | sort -u)
if [ -f "$dest/.packages" ] && [ "$(cat "$dest/.packages")" = "$list" ]; then
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt downloads as its own user where it can write.
if id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
# A fresh machine may have no package lists yet: update once and retry.
if ! (cd "$tmp" && apt-get download -q $list >/dev/null 2>&1); then
	apt-get update -qq
	(cd "$tmp" && apt-get download -q $list >/dev/null)
fi
rm -rf "$dest.new"
mkdir -p "$dest.new"
for deb in "$tmp"/*.deb; do
	pkg=$(dpkg-deb -f "$deb" Package)
	x="$tmp/x/$pkg"
	mkdir -p "$x"
	# Only the unit directories, not the whole package.
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$x" --wildcards --no-wildcards-match-slash \
		'./lib/systemd/system/*' './lib/systemd/user/*' './usr/lib/systemd/system/*' './usr/lib/systemd/user/*' 2>/dev/null || true
	for kind in system user; do
		for dir in "$x/lib/systemd/$kind" "$x/usr/lib/systemd/$kind"; do
			[ -d "$dir" ] || continue
			# Regular files only: aliases are symbolic links to them.
			find "$dir" -maxdepth 1 -type f -regex '.*\.\(service\|socket\|timer\|path\|target\|slice\)' |
				while read -r f; do
					mkdir -p "$dest.new/$pkg/$kind"
					cp "$f" "$dest.new/$pkg/$kind/"
				done
		done
	done
done
echo "$list" >"$dest.new/.packages"
rm -rf "$dest"
mv "$dest.new" "$dest"
echo "fetch-corpus: $(find "$dest" -type f ! -name .packages | wc -l) unit files of $(ls "$dest" | wc -l) packages in $dest"
