package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/capsuled/capsuled/internal/cgroup"
)

// TestLogsSurviveCapsuleRestart: a transient unit of a capsule prints a
// line with a "<3>" level prefix and one without, ends and is unloaded.
// Its log stays readable, with levels as systemd reads the prefix, and
// after the capsule (its manager) is stopped and started again it is
// still there, in a file in the capsule's home that root did not write.
func TestLogsSurviveCapsuleRestart(t *testing.T) {
	name := startCapsule(t, "lgp")
	mark := fmt.Sprintf("mark-%d", time.Now().UnixNano())
	ctl(t, 0, "run", "-q", "-C", name, "-u", "lgt", "--wait", "sh", "-c", "echo '<3>bad '"+mark+"; echo plain "+mark)
	check := func(when string) {
		t.Helper()
		r := ctl(t, 0, "-C", name, "logs", "-u", "lgt")
		if !strings.Contains(r.stdout, "sh[") || !strings.Contains(r.stdout, ": bad "+mark+"\n") || !strings.Contains(r.stdout, ": plain "+mark+"\n") {
			t.Fatalf("%s: log of the finished lgt.service:\n%s", when, r)
		}
		r = ctl(t, 0, "-C", name, "logs", "-u", "lgt", "-p", "err", "-o", "cat")
		if r.stdout != "bad "+mark+"\n" {
			t.Errorf("%s: logs -p err -o cat = %q, want the <3> line alone", when, r.stdout)
		}
		r = ctl(t, 0, "-C", name, "logs", "-u", "lgt.service", "-o", "json")
		var rec map[string]string
		for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			var m map[string]string
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("%s: logs -o json printed %q: %v", when, line, err)
			}
			if m["MESSAGE"] == "plain "+mark {
				rec = m
			}
		}
		if rec["PRIORITY"] != "6" || rec["_SYSTEMD_UNIT"] != "lgt.service" || rec["SYSLOG_IDENTIFIER"] != "sh" ||
			len(rec["_SYSTEMD_INVOCATION_ID"]) != 32 {
			t.Errorf("%s: the plain line in logs -o json: %v\n%s", when, rec, r.stdout)
		}
	}
	check("after the unit ended")
	unit := "capsule@" + name + ".service"
	ctl(t, 0, "stop", unit)
	dir := "/var/lib/private/capsules/" + name + "/.local/state/capsuled/log"
	fi, err := os.Lstat(filepath.Join(dir, "capsuled.jsonl"))
	if err != nil {
		t.Fatalf("no log in the capsule's home: %v", err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid == 0 || !fi.Mode().IsRegular() {
		t.Errorf("the capsule's log file is owned by %d (%v): root wrote it", st.Uid, fi.Mode())
	}
	ctl(t, 0, "start", unit)
	waitRunning(t, name)
	check("after the capsule restarted")
	ctl(t, 0, "stop", unit)
	ctl(t, 0, "clean", "--what=all", unit)
	if _, err := os.Lstat(dir); err == nil {
		t.Errorf("clean --what=all left %s", dir)
	}
}

// TestLogsSurviveSystemManagerRestart runs a system manager of its own
// with its own log directory and a fake journald socket: a unit's line is
// forwarded to the journal, with its level and unit, and is in the log
// of the next manager started on that directory.
func TestLogsSurviveSystemManagerRestart(t *testing.T) {
	tmp := t.TempDir()
	jpath := filepath.Join(tmp, "journal")
	jl, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: jpath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer jl.Close()
	self, err := cgroup.Self()
	if err != nil {
		t.Fatal(err)
	}
	rt := fmt.Sprintf("/run/capsuled-lg-%d", os.Getpid())
	cg := filepath.Join(self, fmt.Sprintf("capsuled-lg-%d", os.Getpid()))
	t.Cleanup(func() {
		removeCgroup(cg)
		os.RemoveAll(rt)
	})
	env := []string{"CAPSULED_RUNTIME_DIR=" + rt}
	logDir := filepath.Join(tmp, "log")
	boot := func() func() {
		t.Helper()
		var out bytes.Buffer
		cmd := osexec.Command(filepath.Join(e.bin, "capsuled"), "--system", "--runtime-dir="+rt, "--cgroup="+cg,
			"--unit=basic.target", "--log-dir="+logDir, "--journal-socket="+jpath)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		stop := func() {
			cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Errorf("manager did not stop: %s", out.String())
			}
		}
		t.Cleanup(stop)
		deadline := time.Now().Add(10 * time.Second)
		for ctlRunEnv(env, "is-system-running").code != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("manager not up: %s", out.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		return stop
	}
	stop := boot()
	mark := fmt.Sprintf("sys-%d", time.Now().UnixNano())
	if r := ctlRunEnv(env, "run", "-q", "-u", "lgs", "--wait", "sh", "-c", "echo '<4>'"+mark); r.code != 0 {
		t.Fatalf("run: %s", r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	found := false
	buf := make([]byte, 65536)
	for !found && ctx.Err() == nil {
		jl.SetReadDeadline(time.Now().Add(time.Second))
		n, err := jl.Read(buf)
		if err != nil {
			continue
		}
		found = bytes.Contains(buf[:n], []byte("MESSAGE="+mark+"\nPRIORITY=4\nSYSLOG_IDENTIFIER=sh\n")) &&
			bytes.Contains(buf[:n], []byte("\nCAPSULED_UNIT=lgs.service\n"))
	}
	if !found {
		t.Errorf("the journal socket never got %s", mark)
	}
	stop()
	boot()
	if r := ctlRunEnv(env, "logs", "-u", "lgs", "-p", "warning"); r.code != 0 || !strings.Contains(r.stdout, ": "+mark+"\n") {
		t.Errorf("after a restart of the manager, the log of lgs.service: %s", r)
	}
}

// TestEscapeLogFifoHangsReader: a capsule owns its log files, so a unit in
// it puts a FIFO where a rotated file belongs and appends records that are
// not (bad JSON, a bad timestamp, a level of 9, a huge line) to the file
// being written. Its manager's reader must neither hang on the FIFO nor
// show any of it, and the manager keeps logging.
func TestEscapeLogFifoHangsReader(t *testing.T) {
	name := startCapsule(t, "lgf")
	// The words are put together in the shell: the command line itself is
	// in the log (the run's description).
	inCapsule(t, name, 0, `cd ~/.local/state/capsuled/log && rm -f capsuled.2.jsonl && mkfifo capsuled.2.jsonl && f=forg &&
		{ echo "${f}ed-1"; echo '{"__REALTIME_TIMESTAMP":"x","PRIORITY":"6","MESSAGE":"'$f'ed-2"}';
		  echo '{"__REALTIME_TIMESTAMP":"1","PRIORITY":"9","MESSAGE":"'$f'ed-3"}';
		  head -c 2000000 /dev/zero | tr '\0' 'x'; echo "${f}ed-4"; printf "${f}ed-5"; } >> capsuled.jsonl`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := osexec.CommandContext(ctx, filepath.Join(e.bin, "capsulectl"), "-C", name, "logs")
	cmd.Env = append(os.Environ(), "CAPSULED_RUNTIME_DIR="+e.runtimeDir)
	out, err := cmd.Output()
	if ctx.Err() != nil {
		t.Fatalf("logs hung on the capsule's FIFO")
	}
	if err != nil || strings.Contains(string(out), "forged") || !strings.Contains(string(out), "Reached target") {
		t.Errorf("logs: %v\n%.2000s", err, out)
	}
	// The manager keeps writing and reading its log (that the line left
	// unfinished swallows none of its records is TestStoreAfterForeignAppend's).
	ctl(t, 0, "run", "-q", "-C", name, "-u", "lgf2", "--wait", "echo", "after-forgery")
	if r := ctl(t, 0, "-C", name, "logs", "-u", "lgf2", "-o", "cat"); !strings.Contains(r.stdout, "after-forgery\n") {
		t.Errorf("the manager's next lines: %s", r)
	}
}
