package e2e

import (
	"os"
	"strings"
	"testing"
)

// TestNotifyReload: reload of a Type=notify-reload service sends it
// ReloadSignal= (SIGHUP by default) and lasts until it answers RELOADING=1
// with a MONOTONIC_USEC= from after the signal, then READY=1; ExecReload=
// runs as well. A service that does not answer (or answers with a time
// from before the signal) fails the reload after TimeoutStartSec= with
// ReloadResult=timeout and keeps running, as in systemd 257. A RELOADING=1
// the service sends unasked makes it reloading until its READY=1.
func TestNotifyReload(t *testing.T) {
	bin := staticProgram(t, "notify_reload")
	c := startCapsule(t, "xpn")
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("/var/lib/private/capsules/"+c+"/notify_reload", data, 0o755); err != nil {
		t.Fatal(err)
	}
	prog := "/var/lib/capsules/" + c + "/notify_reload"
	writeCapsuleFiles(t, c, map[string]string{
		"xpnr.service":       "[Service]\nType=notify-reload\nTimeoutStartSec=20\nExecStart=" + prog + "\n",
		"xpnr-usr1.service":  "[Service]\nType=notify-reload\nTimeoutStartSec=20\nReloadSignal=SIGUSR1\nExecReload=/bin/echo xp-execreload\nExecStart=" + prog + "\n",
		"xpnr-stale.service": "[Service]\nType=notify-reload\nTimeoutStartSec=1\nExecStart=" + prog + " stale\n",
	})
	for unit, want := range map[string]string{"xpnr.service": "1", "xpnr-usr1.service": "10"} {
		if got := showValue(t, c, unit, "ReloadSignal"); got != want {
			t.Errorf("%s: ReloadSignal=%s, want %s", unit, got, want)
		}
		if got := showValue(t, c, unit, "CanReload"); got != "yes" {
			t.Errorf("%s: CanReload=%s", unit, got)
		}
	}
	ctl(t, 0, "-C", c, "start", "xpnr", "xpnr-usr1", "xpnr-stale")
	ctl(t, 0, "-C", c, "reload", "xpnr")
	// The reload job ended after the service's answer, not before.
	logs := ctl(t, 0, "-C", c, "logs", "-u", "xpnr").stdout
	if !strings.Contains(logs, "reload-by-HUP\n") || !strings.Contains(logs, "Reloaded xpnr.service.\n") ||
		strings.Index(logs, "reload-by-HUP") > strings.Index(logs, "Reloaded xpnr.service.") {
		t.Errorf("reload of a notify-reload service:\n%s", logs)
	}
	// A reload the service announces itself lasts until its READY=1.
	ctl(t, 0, "-C", c, "kill", "-s", "USR2", "--kill-whom=main", "xpnr")
	waitProperty(t, c, "xpnr.service", "SubState", "reload-notify")
	if got := showValue(t, c, "xpnr.service", "ActiveState"); got != "reloading" {
		t.Errorf("after RELOADING=1 of its own: ActiveState=%s", got)
	}
	ctl(t, 0, "-C", c, "kill", "-s", "HUP", "--kill-whom=main", "xpnr")
	waitProperty(t, c, "xpnr.service", "SubState", "running")
	ctl(t, 0, "-C", c, "reload", "xpnr-usr1")
	logs = ctl(t, 0, "-C", c, "logs", "-u", "xpnr-usr1").stdout
	for _, want := range []string{"reload-by-USR1\n", "xp-execreload\n", "Reloaded xpnr-usr1.service.\n"} {
		if !strings.Contains(logs, want) {
			t.Errorf("reload with ReloadSignal=SIGUSR1 and ExecReload=: no %q in\n%s", want, logs)
		}
	}
	if r := ctl(t, 1, "-C", c, "reload", "xpnr-stale"); !strings.Contains(r.stderr, "Job for xpnr-stale.service failed.") {
		t.Errorf("reload answered with a stale MONOTONIC_USEC=: %s", r)
	}
	waitCapsuleLog(t, c, "xpnr-stale", "xpnr-stale.service: Reload operation timed out. Killing reload process.")
	for prop, want := range map[string]string{"ReloadResult": "timeout", "ActiveState": "active", "SubState": "running", "Result": "success"} {
		if got := showValue(t, c, "xpnr-stale.service", prop); got != want {
			t.Errorf("after a reload that timed out: %s=%s, want %s", prop, got, want)
		}
	}
}
