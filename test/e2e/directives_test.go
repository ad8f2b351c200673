package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestOOMScoreAdjust: OOMScoreAdjust= reaches a system unit's processes.
// Inside a capsule /proc is read-only, so the capsule's manager cannot
// apply it: the unit runs with the manager's score and the manager says
// why when it loads the unit.
func TestOOMScoreAdjust(t *testing.T) {
	name := startCapsule(t, "oom")
	unit := name + "-oom.service"
	systemUnit(t, unit, "[Service]\nType=oneshot\nRemainAfterExit=yes\nOOMScoreAdjust=321\n"+
		"ExecStart=/bin/sh -c 'echo adj=$(cat /proc/self/oom_score_adj)'\n")
	ctl(t, 0, "start", unit)
	if logs := ctl(t, 0, "logs", "-u", unit).stdout; !strings.Contains(logs, "adj=321") {
		t.Errorf("system unit with OOMScoreAdjust=321: no adj=321 in its log:\n%s", logs)
	}
	want := inCapsule(t, name, 0, "cat /proc/self/oom_score_adj").stdout
	r := ctl(t, 0, "run", "-q", "-C", name, "-u", "oom", "-P", "-p", "OOMScoreAdjust=789", "cat", "/proc/self/oom_score_adj")
	if r.stdout != want {
		t.Errorf("capsule unit with OOMScoreAdjust=789 has oom_score_adj %q, want the manager's %q", r.stdout, want)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		logs := ctl(t, 0, "logs", "-u", "capsule@"+name+".service").stdout
		if strings.Contains(logs, "oom.service: OOMScoreAdjust= cannot be applied: /proc is read-only here") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no warning about OOMScoreAdjust= in the capsule's log:\n%s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestShowConfiguration: show prints a unit's configuration from the
// directive table, in systemd 257's names and formats, and the manager's
// defaults where the file leaves a setting to it (After= with the system
// manager's default dependencies, as systemd 257 shows them).
func TestShowConfiguration(t *testing.T) {
	unit := fmt.Sprintf("showconf%d.service", os.Getpid())
	systemUnit(t, unit, "[Unit]\nDescription=Show me\nDocumentation=man:x(8) https://example.org\nAfter=a.service b.service\n"+
		"JobTimeoutSec=2min\n[Service]\nType=oneshot\nExecStart=-/bin/echo %n\nExecStart=/bin/true\nTimeoutStartSec=1min 30s\n"+
		"Restart=on-failure\nRestartSec=1.5\nMemoryMax=64M\nRestrictNamespaces=~user\nEnvironment=\"A=x y\"\n")
	want := "Type=oneshot\nRestart=on-failure\nRestartUSec=1.500000s\nTimeoutStartUSec=1min 30s\n" +
		"ExecStart={ path=/bin/echo ; argv[]=/bin/echo " + unit + " ; ignore_errors=yes ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }\n" +
		"ExecStart={ path=/bin/true ; argv[]=/bin/true ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }\n" +
		"MemoryMax=67108864\nEnvironment=\"A=x y\"\nRestrictNamespaces=cgroup ipc net mnt pid uts time\nKeyringMode=private\n" +
		"After=a.service b.service system.slice sysinit.target basic.target\nDocumentation=\"man:x(8)\" https://example.org\nDescription=Show me\nJobTimeoutUSec=2min\n"
	wantOutput(t, 0, want, "show", "-p", "Type,Restart,RestartUSec,TimeoutStartUSec,ExecStart,MemoryMax,Environment,"+
		"RestrictNamespaces,KeyringMode,After,Documentation,Description,JobTimeoutUSec", unit)
}
