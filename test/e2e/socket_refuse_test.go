package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// A SocketUser= or SocketGroup= that does not resolve (Debian's
// mariadb.socket with no mysql user) fails the start as systemd 257's
// chown helper does: 217/USER or 216/GROUP, Result=exit-code.
func TestSocketOwnerDoesNotResolve(t *testing.T) {
	name := fmt.Sprintf("fsko%d", os.Getpid())
	dir := t.TempDir()
	systemUnit(t, name+".service", "[Service]\nExecStart=/bin/sleep 60\n")
	for _, tt := range []struct{ unit, key, status string }{
		{name + "-u.socket", "SocketUser=fsknosuchuser", "217/USER"},
		{name + "-g.socket", "SocketGroup=fsknosuchgroup", "216/GROUP"},
	} {
		what, who := "user", "fsknosuchuser"
		if tt.status == "216/GROUP" {
			what, who = "group", "fsknosuchgroup"
		}
		systemUnit(t, tt.unit, fmt.Sprintf("[Socket]\nListenStream=%s/%s.sock\n%s\nService=%s.service\n", dir, what, tt.key, name))
		ctl(t, 1, "start", tt.unit)
		wantOutput(t, 0, "Result=exit-code\nActiveState=failed\nSubState=failed\n", "show", "-p", "Result,ActiveState,SubState", tt.unit)
		for _, l := range []string{
			fmt.Sprintf("%s: Failed to resolve %s %s: No such process", tt.unit, what, who),
			fmt.Sprintf("%s: Control process exited, code=exited, status=%s", tt.unit, tt.status),
			fmt.Sprintf("%s: Failed with result 'exit-code'.", tt.unit),
			fmt.Sprintf("Failed to listen on %s.", tt.unit),
		} {
			waitLog(t, tt.unit, l)
		}
	}
}

// A socket whose service does not exist (Debian's mpd.socket without
// mpd.service) is refused at start, as in systemd 257: the job fails, the
// socket stays inactive with Result=success and listens on nothing.
func TestSocketServiceNotLoadedRefused(t *testing.T) {
	name := startCapsule(t, "fskn")
	dir := "/var/lib/private/capsules/" + name + "/.config/systemd/user"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fskn.socket"), []byte("[Socket]\nListenStream=%t/n.sock\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctl(t, 0, "-C", name, "daemon-reload")
	ctl(t, 1, "-C", name, "start", "fskn.socket")
	wantOutput(t, 0, "Result=success\nActiveState=inactive\nSubState=dead\n", "-C", name, "show", "-p", "Result,ActiveState,SubState", "fskn.socket")
	waitCapsuleLog(t, name, "fskn.socket", "fskn.socket: Socket service fskn.service not loaded, refusing.")
	waitCapsuleLog(t, name, "fskn.socket", "Failed to listen on fskn.socket.")
	if _, err := os.Lstat("/run/capsules/" + name + "/n.sock"); err == nil {
		t.Error("the refused socket was bound")
	}
}
