package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Metrics of the capsule's bus. The systemd table has dbus-broker's two
// processes (launcher and broker, idle, one capsule's); capsuled's broker
// is one dbus-daemon, whose sum the README's table sets beside theirs.
const (
	mBusActivate   = "activate the bus (busctl --user list)"
	mBusRSSIdle    = "RSS dbus-daemon (capsule bus, idle)"
	mBusPSSIdle    = "PSS dbus-daemon (capsule bus, idle)"
	mBusCalls      = "100 bus calls (busctl --user call)"
	mBusRSSCalls   = "RSS dbus-daemon (after 100 calls)"
	mBusPSSCalls   = "PSS dbus-daemon (after 100 calls)"
	mBusRSSManager = "RSS capsuled --user (on its bus)"
	mBusPSSManager = "PSS capsuled --user (on its bus)"
)

// busCalls is the script the capsule runs for mBusCalls: 100 calls, each
// a new client as busctl is, to the bus driver.
const busCalls = `for i in $(seq 100); do busctl --user call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus GetId >/dev/null || exit 1; done`

// bus starts a fresh capsule, activates its bus with a first client and
// measures the broker idle and after 100 calls, and the capsule's manager
// once it has joined the bus; the capsule is then stopped and cleaned.
func (b *bench) bus(ctx context.Context) error {
	name := b.caps.fresh("bus")
	if _, err := b.caps.start(ctx, name); err != nil {
		return err
	}
	d, err := b.ctl.timed(ctx, "run", "-q", "-C", name, "-P", "busctl", "--user", "list", "--no-pager")
	if err != nil {
		return err
	}
	b.record(mBusActivate, "ms", ms(d))
	if err := sleep(ctx, settle); err != nil {
		return err
	}
	broker, err := b.capsuleMainPID(ctx, name, "dbus.service")
	if err != nil {
		return err
	}
	if err := b.measureManager(broker, mBusRSSIdle, mBusPSSIdle); err != nil {
		return err
	}
	d, err = b.ctl.timed(ctx, "run", "-q", "-C", name, "-P", "sh", "-c", busCalls)
	if err != nil {
		return err
	}
	b.record(mBusCalls, "ms", ms(d))
	if err := sleep(ctx, settle); err != nil {
		return err
	}
	if err := b.measureManager(broker, mBusRSSCalls, mBusPSSCalls); err != nil {
		return err
	}
	mgr, err := b.ctl.mainPID(ctx, service(name))
	if err != nil {
		return err
	}
	if err := b.measureManager(mgr, mBusRSSManager, mBusPSSManager); err != nil {
		return fmt.Errorf("capsule manager: %w", err)
	}
	if _, err := b.caps.stop(ctx, name); err != nil {
		return err
	}
	_, err = b.caps.clean(ctx, name)
	return err
}

// capsuleMainPID returns the main process of a unit of capsule name.
func (b *bench) capsuleMainPID(ctx context.Context, name, unit string) (int, error) {
	out, err := b.ctl.run(ctx, "-C", name, "show", "--value", "-p", "MainPID", unit)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s in %s has no main process (%q)", unit, name, out)
	}
	return pid, nil
}
