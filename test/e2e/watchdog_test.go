package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// notifyScript is a service that speaks sd_notify as its own main
// process: it prints its WATCHDOG_USEC, sends READY=1 (unless "late"),
// then what argv asks ("feed N": WATCHDOG=1 every 0.2 s N times, then it
// prints "fed";
// "trigger"; "usec N": WATCHDOG_USEC=N; "extend N": EXTEND_TIMEOUT_USEC=N;
// "sleep S"; "ready"; "status S"; "exit"; "ignore-abrt"), then waits.
const notifyScript = `import os, signal, socket, sys, time
print("WU=%s" % os.environ.get("WATCHDOG_USEC"), flush=True)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
def n(m): s.sendto(m.encode(), os.environ["NOTIFY_SOCKET"])
a = sys.argv[1:]
if "ignore-abrt" in a: signal.signal(signal.SIGABRT, signal.SIG_IGN)
if "late" not in a: n("READY=1")
while a:
    w = a.pop(0)
    if w == "feed":
        for i in range(int(a.pop(0))):
            time.sleep(0.2); n("WATCHDOG=1")
        print("fed", flush=True)
    elif w == "trigger": n("WATCHDOG=trigger")
    elif w == "usec": n("WATCHDOG_USEC=" + a.pop(0))
    elif w == "extend": n("EXTEND_TIMEOUT_USEC=" + a.pop(0))
    elif w == "sleep": time.sleep(float(a.pop(0)))
    elif w == "ready": n("READY=1")
    elif w == "status": n("STATUS=" + a.pop(0))
    elif w == "exit": sys.exit(0)
print("done", flush=True)
while True: time.sleep(1)
`

// TestWatchdogAndRuntimeMax: WatchdogSec= with WATCHDOG=1, WATCHDOG_USEC=
// and WATCHDOG=trigger, TimeoutAbortSec=, RuntimeMaxSec=, NotifyAccess=
// and EXTEND_TIMEOUT_USEC=, with the
// results, exit statuses and log lines systemd 257 gave for the same
// services (observed-8-rs.md).
func TestWatchdogAndRuntimeMax(t *testing.T) {
	c := startCapsule(t, "rsw")
	if err := os.WriteFile(filepath.Join(homeOf(c), "notify.py"), []byte(notifyScript), 0o644); err != nil {
		t.Fatal(err)
	}
	py := "ExecStart=/usr/bin/python3 %h/notify.py"
	writeUnits(t, c, map[string]string{
		// Silent after READY=1: aborted with SIGABRT after 1 s.
		"rswsilent.service": "[Service]\nType=notify\nWatchdogSec=1\n" + py + "\n",
		// Ignores SIGABRT: killed after TimeoutAbortSec=.
		"rswabrt.service": "[Service]\nType=notify\nWatchdogSec=1\nTimeoutAbortSec=500ms\n" + py + " ignore-abrt\n",
		// Fed for 1.6 s past a 1 s limit, then it asks for the abort.
		"rswtrig.service": "[Service]\nType=notify\nWatchdogSec=1\n" + py + " feed 8 trigger\n",
		// A simple service may feed a watchdog too; a new limit of 0.6 s.
		"rswusec.service": "[Service]\nWatchdogSec=5\n" + py + " usec 600000\n",
		"rswrt.service":   "[Service]\nRuntimeMaxSec=1\nExecStart=/bin/sleep infinity\n",
		// READY=1 from a child of the main process: taken with
		// NotifyAccess=all, not by default.
		"rswall.service":  "[Service]\nType=notify\nNotifyAccess=all\nExecStart=/bin/sh -c 'python3 %h/notify.py; exit 0'\n",
		"rswmain.service": "[Service]\nType=notify\nTimeoutStartSec=1\nExecStart=/bin/sh -c 'python3 %h/notify.py; exit 0'\n",
		// STATUS= from ExecStartPost= counts with NotifyAccess=exec only.
		"rswexec.service":  "[Service]\nNotifyAccess=exec\nExecStart=/bin/sleep infinity\nExecStartPost=/usr/bin/python3 %h/notify.py late status post exit\n",
		"rswexecm.service": "[Service]\nNotifyAccess=main\nExecStart=/bin/sleep infinity\nExecStartPost=/usr/bin/python3 %h/notify.py late status post exit\n",
		// Ready 3.2 s after it extended TimeoutStartSec=3, so past it. The
		// limit leaves python's start on a loaded machine time to send
		// the extension.
		"rswext.service": "[Service]\nType=notify\nTimeoutStartSec=3\n" + py + " late extend 6000000 sleep 3.2 ready\n",
	})
	units := []string{"rswsilent.service", "rswabrt.service", "rswtrig.service", "rswusec.service", "rswrt.service"}
	if got := ctl(t, 0, "-C", c, "show", "-p", "WatchdogUSec,TimeoutAbortUSec,RuntimeMaxUSec,WatchdogSignal", "rswabrt.service", "rswrt.service").stdout; got != "TimeoutAbortUSec=500ms\nRuntimeMaxUSec=infinity\nWatchdogUSec=1s\nWatchdogSignal=6\n\n"+
		"TimeoutAbortUSec=1min 30s\nRuntimeMaxUSec=1s\nWatchdogUSec=0\nWatchdogSignal=6\n" {
		t.Errorf("show:\n%s", got)
	}
	ctl(t, 0, append([]string{"-C", c, "start", "--no-block", "rswmain.service", "rswall.service", "rswext.service", "rswexec.service", "rswexecm.service"}, units...)...)
	if got := ctl(t, 0, "-C", c, "show", "-p", "NotifyAccess", "rswall.service", "rswrt.service", "rswusec.service").stdout; got != "NotifyAccess=all\n\nNotifyAccess=none\n\nNotifyAccess=main\n" {
		t.Errorf("NotifyAccess:\n%s", got)
	}
	const props = "Result,ExecMainCode,ExecMainStatus,ActiveState"
	for unit, want := range map[string]string{
		"rswsilent.service": "Result=watchdog\nExecMainCode=2\nExecMainStatus=6\nActiveState=failed\n",
		"rswabrt.service":   "Result=watchdog\nExecMainCode=2\nExecMainStatus=9\nActiveState=failed\n",
		"rswtrig.service":   "Result=watchdog\nExecMainCode=2\nExecMainStatus=6\nActiveState=failed\n",
		"rswusec.service":   "Result=watchdog\nExecMainCode=2\nExecMainStatus=6\nActiveState=failed\n",
		"rswrt.service":     "Result=timeout\nExecMainCode=2\nExecMainStatus=15\nActiveState=failed\n",
	} {
		waitProps(t, c, unit, props, want, 10*time.Second)
	}
	waitProps(t, c, "rswall.service", "Result,ActiveState", "Result=success\nActiveState=active\n", 10*time.Second)
	waitProps(t, c, "rswext.service", "Result,ActiveState", "Result=success\nActiveState=active\n", 10*time.Second)
	// The manager reads the message apart from the process's exit, which
	// may make the unit active first: wait for it.
	waitProps(t, c, "rswexec.service", "ActiveState", "ActiveState=active\n", 10*time.Second)
	waitProps(t, c, "rswexec.service", "StatusText", "StatusText=post\n", 10*time.Second)
	waitProps(t, c, "rswexecm.service", "ActiveState", "ActiveState=active\n", 10*time.Second)
	if got := ctl(t, 0, "-C", c, "show", "-p", "StatusText", "rswexecm.service").stdout; got != "StatusText=\n" {
		t.Errorf("rswexecm.service: %q, want no status from ExecStartPost= with NotifyAccess=main", got)
	}
	waitProps(t, c, "rswmain.service", "Result,ActiveState", "Result=timeout\nActiveState=failed\n", 10*time.Second)
	logs := ctl(t, 0, "-C", c, "logs", "-n", "1000").stdout
	for _, want := range []string{
		"rswsilent.service: Watchdog timeout (limit 1s)!\n",
		"rswsilent.service: Main process exited, code=killed, status=6/ABRT\n",
		"rswsilent.service: Failed with result 'watchdog'.\n",
		"rswabrt.service: State 'stop-watchdog' timed out. Killing.\n",
		"rswtrig.service: Watchdog request (last status: <unset>)!\n",
		"rswusec.service: Watchdog timeout (limit 600ms)!\n",
		"rswrt.service: Service reached runtime time limit. Stopping.\n",
		"rswrt.service: Failed with result 'timeout'.\n",
		"rswmain.service: start operation timed out. Terminating.\n",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	for unit, want := range map[string]string{"rswsilent.service": "WU=1000000\n", "rswusec.service": "WU=5000000\n"} {
		if l := capsuleLog(t, c, unit, want); !strings.Contains(l, want) {
			t.Errorf("%s has no %q:\n%s", unit, want, l)
		}
	}
	// Fed, it outlived its limit before it asked for the abort. It prints
	// "fed" before it asks: the abort may come before anything it prints
	// after.
	if l := capsuleLog(t, c, "rswtrig.service", "fed\n"); !strings.Contains(l, "fed\n") || strings.Contains(l, "Watchdog timeout") {
		t.Errorf("rswtrig.service:\n%s", l)
	}
}

// capsuleLog waits until the log of unit in capsule c has want, which a
// process printed: its output is copied to the log apart from its exit.
// It returns the log as last read.
func capsuleLog(t *testing.T, c, unit, want string) string {
	t.Helper()
	var l string
	waitFor(10*time.Second, func() bool {
		l = ctl(t, 0, "-C", c, "logs", "-u", unit).stdout
		return strings.Contains(l, want)
	})
	return l
}

// TestWatchdogSystemDynamicUser: in the system manager a DynamicUser=
// service with a watchdog (Type=simple) gets a notify socket of its own,
// feeds its watchdog past its limit there and asks for the abort.
func TestWatchdogSystemDynamicUser(t *testing.T) {
	name := fmt.Sprintf("rswsys%d", os.Getpid())
	py := `import os,socket,time;s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM);n=lambda m:s.sendto(m.encode(),os.environ['NOTIFY_SOCKET']);` +
		`[(time.sleep(0.2),n('WATCHDOG=1')) for i in range(8)];print('fed',flush=True);n('WATCHDOG=trigger');time.sleep(60)`
	systemUnit(t, name+".service", "[Service]\nDynamicUser=yes\nUser="+name+"\nWatchdogSec=1\nExecStart=/usr/bin/python3 -c \""+py+"\"\n")
	ctl(t, 0, "daemon-reload")
	ctl(t, 0, "start", name+".service")
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := ctl(t, 0, "show", "-p", "Result,ExecMainCode,ExecMainStatus,NotifyAccess", name+".service").stdout
		if got == "NotifyAccess=main\nResult=watchdog\nExecMainCode=2\nExecMainStatus=6\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s:\n%s\n%s", name, got, ctl(t, 0, "logs", "-u", name+".service").stdout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitLog(t, name+".service", "fed\n") // copied apart from the exit
	l := ctl(t, 0, "logs", "-u", name+".service").stdout
	if !strings.Contains(l, "fed\n") || !strings.Contains(l, name+".service: Watchdog request (last status: <unset>)!\n") || strings.Contains(l, "Watchdog timeout") {
		t.Errorf("log of %s:\n%s", name, l)
	}
}
