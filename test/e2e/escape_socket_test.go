package e2e

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestEscapeSocketDirSymlinkRedirectsRootBind has a capsule plant a
// symbolic link in its runtime directory, where a system manager socket
// unit listens (a capsule@ unit's socket, say), pointing at a directory
// of root's that holds another program's socket. Followed as root, the
// manager would remove that socket (a stale one, it would think), bind
// its own in root's directory and chmod it there; it must refuse instead
// and leave the other socket serving.
func TestEscapeSocketDirSymlinkRedirectsRootBind(t *testing.T) {
	name := startCapsule(t, "slx")
	victimDir := t.TempDir() // root's, 0700
	victim := filepath.Join(victimDir, "x.sock")
	l, err := net.Listen("unix", victim)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var before syscall.Stat_t
	if err := syscall.Lstat(victim, &before); err != nil {
		t.Fatal(err)
	}
	inCapsule(t, name, 0, fmt.Sprintf(`ln -s %s "$XDG_RUNTIME_DIR/sub"`, victimDir))

	unit := name + "-x.socket"
	systemUnit(t, unit, fmt.Sprintf("[Socket]\nListenStream=/run/capsules/%s/sub/x.sock\nSocketMode=0666\nService=%s-x.service\n", name, name))
	systemUnit(t, name+"-x.service", "[Service]\nExecStart=/bin/sleep 60\n")
	r := ctlRun(nil, "start", unit)
	if r.code == 0 {
		t.Errorf("the system manager listened through the capsule's link: %s", r)
	}
	ctlRun(nil, "stop", unit)

	var after syscall.Stat_t
	if err := syscall.Lstat(victim, &after); err != nil || after.Ino != before.Ino {
		t.Errorf("root's socket was replaced or removed: %v (inode %d, was %d)", err, after.Ino, before.Ino)
	} else if os.FileMode(after.Mode&0o777) != os.FileMode(before.Mode&0o777) {
		t.Errorf("root's socket's mode changed: %o, was %o", after.Mode&0o777, before.Mode&0o777)
	}
	c, err := net.Dial("unix", victim)
	if err != nil {
		t.Errorf("root's socket no longer serves: %v", err)
	} else {
		c.Close()
	}
	if es, _ := os.ReadDir(victimDir); len(es) != 1 {
		t.Errorf("root's directory holds %d entries, want only x.sock", len(es))
	}
}
