package listen

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// A FIFO gets SocketMode= less the manager's umask (systemd 257's mkfifo
// runs under it), made afresh and taken over as left.
func TestFIFOMode(t *testing.T) {
	tests := []struct {
		mode, umask, want os.FileMode
	}{
		{0o666, 0o022, 0o644}, // a capsule's manager
		{0o666, 0, 0o666},     // the system manager
		{0o640, 0o022, 0o640},
		{0o600, 0o077, 0o600},
	}
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), "fifo")
		o := Defaults()
		o.SocketMode, o.FIFOUmask = tt.mode, tt.umask
		for _, round := range []string{"made", "taken over"} {
			f, _, err := Open(Spec{Kind: FIFO, Path: path}, &o)
			if err != nil {
				t.Fatalf("%o less %o, %s: %v", tt.mode, tt.umask, round, err)
			}
			var st unix.Stat_t
			unix.Fstat(int(f.Fd()), &st)
			f.Close()
			if got := os.FileMode(st.Mode & 0o7777); got != tt.want {
				t.Errorf("%o less %o, %s: mode %o, want %o", tt.mode, tt.umask, round, got, tt.want)
			}
		}
	}
}
