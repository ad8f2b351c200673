package process

import (
	osexec "os/exec"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestWaitChild(t *testing.T) {
	tests := []struct {
		name   string
		script string
		kill   bool
		check  func(syscall.WaitStatus) bool
	}{
		{"exit 0", "exit 0", false, func(ws syscall.WaitStatus) bool { return ws.Exited() && ws.ExitStatus() == 0 }},
		{"exit 3", "exit 3", false, func(ws syscall.WaitStatus) bool { return ws.Exited() && ws.ExitStatus() == 3 }},
		{"killed", "exec sleep 100", true, func(ws syscall.WaitStatus) bool { return ws.Signaled() && ws.Signal() == syscall.SIGKILL }},
	}
	for _, tt := range tests {
		// Another child has exited and waits to be reaped by its own
		// Wait: waitChild must leave it alone.
		other := osexec.Command("true")
		if err := other.Start(); err != nil {
			t.Fatal(err)
		}
		var info unix.Siginfo
		if err := unix.Waitid(unix.P_PID, other.Process.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
			t.Fatal(err)
		}
		cmd := osexec.Command("sh", "-c", tt.script)
		if err := cmd.Start(); err != nil {
			other.Wait()
			t.Fatal(err)
		}
		// waitChild releases cmd.Process, which sets its Pid to -1.
		if pid := cmd.Process.Pid; tt.kill && pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		ws, err := waitChild(cmd.Process)
		if err != nil || !tt.check(ws) {
			t.Errorf("%s: waitChild = %v, %v", tt.name, ws, err)
		}
		if err := other.Wait(); err != nil {
			t.Errorf("%s: the other child was not left to its own wait: %v", tt.name, err)
		}
	}
}
