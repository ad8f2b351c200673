package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestExecAttributesInCapsule: a capsule's units get their working
// directory, umask, nice level, resource limits, scheduling policy and CPU
// affinity as systemd 257's user manager gives them (values observed
// there): a nice level or hard limit beyond the manager's is brought to the
// closest allowed one, a realtime policy fails with 214/SETSCHEDULER, a
// missing directory with 200/CHDIR ('-' falls back to /), a missing
// program with 203/EXEC after a successful start.
func TestExecAttributesInCapsule(t *testing.T) {
	c := startCapsule(t, "exat")
	const stat = `cut -d" " -f19,41 /proc/self/stat`
	writeUnits(t, c, map[string]string{
		"nice.service":   "[Service]\nType=oneshot\nNice=5\nUMask=0077\nExecStart=/bin/sh -c 'echo \"n+p=$$(" + stat + ") umask=$$(umask) pwd=$$(pwd)\"'\n",
		"nicelo.service": "[Service]\nType=oneshot\nNice=-5\nExecStart=/bin/sh -c 'echo \"n+p=$$(" + stat + ")\"'\n",
		"lim.service":    "[Service]\nType=oneshot\nLimitNOFILE=4096:900000\nExecStart=/bin/sh -c 'echo nofile=$$(ulimit -Sn):$$(ulimit -Hn)'\n",
		"limlo.service": "[Service]\nType=oneshot\nLimitNOFILE=100:200\nLimitFSIZE=1K:2M\nLimitCORE=infinity\n" +
			"ExecStart=/bin/sh -c 'echo lim=$$(ulimit -Sn):$$(ulimit -Hn):$$(ulimit -Sf):$$(ulimit -Hf):$$(ulimit -Hc)'\n",
		"wd.service":    "[Service]\nType=oneshot\nWorkingDirectory=/nonexistent\nExecStart=/bin/pwd\n",
		"wdm.service":   "[Service]\nType=oneshot\nWorkingDirectory=-/nonexistent\nExecStart=/bin/sh -c 'echo pwd=$$(pwd)'\n",
		"noexe.service": "[Service]\nExecStart=/nonexistent/prog\n",
		"nobin.service": "[Service]\nExecStart=nonexistentprog\n",
		"fifo.service":  "[Service]\nType=oneshot\nCPUSchedulingPolicy=fifo\nCPUSchedulingPriority=10\nExecStart=/bin/true\n",
		"iort.service":  "[Service]\nType=oneshot\nIOSchedulingClass=realtime\nIOSchedulingPriority=2\nExecStart=/bin/true\n",
		"io.service":    "[Service]\nType=oneshot\nIOSchedulingClass=best-effort\nIOSchedulingPriority=7\nExecStart=/bin/sh -c 'echo io=$$(ionice -p $$$$)'\n",
		"batch.service": "[Service]\nType=oneshot\nCPUSchedulingPolicy=batch\nCPUSchedulingResetOnFork=yes\nCPUAffinity=0\nIOSchedulingClass=idle\n" +
			"ExecStart=/bin/sh -c 'echo \"n+p=$$(" + stat + ") $$(grep Cpus_allowed_list /proc/self/status)\"'\n",
	})
	out := func(unit, prefix string) string {
		t.Helper()
		ctl(t, 0, "-C", c, "start", unit)
		for _, l := range strings.Split(logsWith(t, prefix, "-C", c, "logs", "-u", unit), "\n") {
			if i := strings.Index(l, prefix); i >= 0 {
				return l[i:]
			}
		}
		t.Errorf("%s printed no %q", unit, prefix)
		return ""
	}
	home := "/var/lib/private/capsules/" + c // as 257 prints it
	for unit, want := range map[string]string{
		"nice.service":   "n+p=5 0 umask=0077 pwd=" + home,
		"nicelo.service": "n+p=0 0",
		"limlo.service":  "lim=100:200:2:4096:unlimited",
		"wdm.service":    "pwd=/",
		"io.service":     "io=best-effort: prio 7",
		"batch.service":  "n+p=0 3 Cpus_allowed_list:\t0",
	} {
		prefix, _, _ := strings.Cut(want, "=")
		if got := out(unit, prefix+"="); got != want {
			t.Errorf("%s: %q, want %q", unit, got, want)
		}
	}
	// The manager's hard limit caps a higher one.
	hard := managerLimit(t, c, "Max open files")
	if got := out("lim.service", "nofile="); got != "nofile=4096:"+hard {
		t.Errorf("lim.service: %q, want nofile=4096:%s", got, hard)
	}
	for unit, want := range map[string]string{
		"wd.service":    "200/CHDIR",
		"fifo.service":  "214/SETSCHEDULER",
		"iort.service":  "211/IOPRIO",
		"noexe.service": "203/EXEC",
		"nobin.service": "203/EXEC",
	} {
		step := map[string]string{
			"wd.service":    "Failed at step CHDIR spawning /bin/pwd: No such file or directory",
			"fifo.service":  "Failed at step SETSCHEDULER spawning /bin/true: Operation not permitted",
			"iort.service":  "Failed at step IOPRIO spawning /bin/true: Operation not permitted",
			"noexe.service": "Failed at step EXEC spawning /nonexistent/prog: No such file or directory",
			"nobin.service": "Failed at step EXEC spawning nonexistentprog: No such file or directory",
		}[unit]
		code := 1
		if strings.HasPrefix(unit, "no") {
			code = 0 // a simple service's start is done before the exec fails
		}
		ctl(t, code, "-C", c, "start", unit)
		waitActive(t, c, unit, "failed")
		if got := showValue(t, c, unit, "Result"); got != "exit-code" {
			t.Errorf("%s: Result=%s", unit, got)
		}
		logs := logsWith(t, step, "-C", c, "logs", "-u", unit)
		if !strings.Contains(logs, unit+": Main process exited, code=exited, status="+want) || !strings.Contains(logs, step) {
			t.Errorf("logs of %s, want %s:\n%s", unit, want, logs)
		}
	}
}

// managerLimit is the limit named in /proc/PID/limits of the capsule's
// manager, which its units inherit.
func managerLimit(t *testing.T, c, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", itoa(managerPID(t, c)), "limits"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, name); ok {
			f := strings.Fields(rest)
			if len(f) >= 2 {
				return f[1]
			}
		}
	}
	t.Fatalf("no %q in limits", name)
	return ""
}

func itoa(n int) string { return strconv.Itoa(n) }

// waitActive waits until unit's ActiveState is want.
func waitActive(t *testing.T, c, unit, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := showValue(t, c, unit, "ActiveState")
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s: ActiveState=%s, want %s", unit, got, want)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
