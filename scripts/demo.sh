#!/usr/bin/env bash
# The capsule@.service example from start to finish: a capsule is started,
# used (a service and an interactive shell inside it), stopped and wiped.
# Runs as root with its own capsuled instance and cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
	echo "demo: run as root (capsules need a dynamic UID, mounts and cgroups)" >&2
	exit 1
fi

bin=$PWD/bin
capsule=${CAPSULE:-tatze}
export CAPSULED_RUNTIME_DIR=/run/capsuled-demo
log=$(mktemp /tmp/capsuled-demo.XXXXXX.log)
self_cg=$(sed -n 's/^0:://p' /proc/self/cgroup)
steps=0
daemon=

cleanup() {
	status=$?
	if [ -n "$daemon" ]; then
		"$bin/capsulectl" stop "capsule@$capsule.service" >/dev/null 2>&1 || true
		"$bin/capsulectl" clean --what=all "capsule@$capsule.service" >/dev/null 2>&1 || true
		kill -TERM "$daemon" 2>/dev/null || true
		wait "$daemon" 2>/dev/null || true
	fi
	rm -rf "$CAPSULED_RUNTIME_DIR"
	if [ $status != 0 ]; then
		echo
		echo "demo FAILED at step $((steps + 1)); capsuled log ($log):"
		tail -20 "$log"
	else
		rm -f "$log"
	fi
}
trap cleanup EXIT

# step DESCRIPTION COMMAND...: print and run one command, fail on error.
step() {
	local what=$1
	shift
	echo
	echo "### $what"
	echo "# $*"
	"$@"
	steps=$((steps + 1))
}

# fails CMD...: a command that must fail.
fails() {
	if "$@"; then
		echo "unexpectedly succeeded: $*" >&2
		return 1
	fi
}

if [ -e "/run/capsules/$capsule" ] || [ -e "/var/lib/capsules/$capsule" ]; then
	echo "demo: a capsule named $capsule exists already; set CAPSULE=othername" >&2
	exit 1
fi

"$bin/capsuled" --system --runtime-dir="$CAPSULED_RUNTIME_DIR" --cgroup="${self_cg%/}/capsuled-demo" >"$log" 2>&1 &
daemon=$!
for _ in $(seq 100); do
	"$bin/capsulectl" is-system-running >/dev/null 2>&1 && break
	sleep 0.05
done
export PATH=$bin:$PATH

step "Start the capsule (returns when its manager is ready)" capsulectl start "capsule@$capsule.service"
step "Its dynamic user resolves through NSS" getent passwd "c-$capsule"
step "Its home and runtime directory" ls -la "/var/lib/capsules/$capsule" "/run/capsules/"
step "Run a service inside" capsulectl run --capsule="$capsule" --unit=sleeptest.service sleep 999
step "Its status" capsulectl --capsule="$capsule" status sleeptest.service
step "An interactive shell on a terminal (here fed by script(1))" \
	script -qec "capsulectl run -t --capsule=$capsule bash -c 'id; tty; touch /etc/x || echo \"(/etc is read-only in here)\"'" /dev/null
step "What the capsule's manager runs" capsulectl --capsule="$capsule" list-units
step "Its own D-Bus broker, started on first use" capsulectl --capsule="$capsule" bus
step "Stop the service" capsulectl --capsule="$capsule" stop sleeptest.service
step "Clean is refused while the capsule runs" fails capsulectl clean --what=all "capsule@$capsule.service"
step "Stop the capsule" capsulectl stop "capsule@$capsule.service"
step "The user is gone" fails getent passwd "c-$capsule"
step "The home stays until cleaned" ls -la "/var/lib/private/capsules/$capsule"
step "Wipe it" capsulectl clean --what=all "capsule@$capsule.service"
step "No trace left" fails ls "/var/lib/capsules/$capsule" "/var/lib/private/capsules/$capsule" "/run/capsules/$capsule"

echo
echo "demo OK: $steps steps, capsule $capsule started, used, stopped and wiped"
