package e2e

import (
	"os"
	"testing"
)

// A capsule's ListenFIFO= with the default SocketMode=0666 is made 0644,
// its manager's umask 0022 applying as to systemd 257's mkfifo; its
// sockets keep SocketMode= exactly (0666).
func TestSocketFIFOModeInCapsule(t *testing.T) {
	name := startCapsule(t, "fskf")
	writeUnits(t, name, map[string]string{
		"fskf.socket":  "[Socket]\nListenFIFO=%t/fifo\nListenStream=%t/s.sock\n",
		"fskf.service": "[Service]\nExecStart=/bin/sleep 60\n",
	})
	ctl(t, 0, "-C", name, "start", "fskf.socket")
	rt := "/run/capsules/" + name
	for p, mode := range map[string]os.FileMode{rt + "/fifo": os.ModeNamedPipe | 0o644, rt + "/s.sock": os.ModeSocket | 0o666} {
		if fi, err := os.Lstat(p); err != nil || fi.Mode() != mode {
			t.Errorf("%s: %v %v, want %v", p, fi.Mode(), err, mode)
		}
	}
	// A restart takes over the FIFO it left, 0644 as it is.
	ctl(t, 0, "-C", name, "restart", "fskf.socket")
}
