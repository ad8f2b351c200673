package manager

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReadPIDFile: what a hostile unit can put where its PID file goes.
func TestReadPIDFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("ok", "1234\n")
	write("spaces", "  77  \n\n")
	write("empty", "")
	write("junk", "12ab\n")
	write("one", "1\n")
	write("long", "1234"+strings.Repeat(" ", 100)+"\n")
	os.Symlink(filepath.Join(dir, "ok"), filepath.Join(dir, "link"))
	os.Mkdir(filepath.Join(dir, "real"), 0o755)
	write("real/pid", "55\n")
	os.Symlink(filepath.Join(dir, "real"), filepath.Join(dir, "dirlink"))
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		pid      int
		notExist bool // retried until the start times out
		bad      bool
	}{
		{"ok", 1234, false, false},
		{"spaces", 77, false, false},
		{"real/pid", 55, false, false},
		{"missing", 0, true, false},
		{"empty", 0, true, false},
		{"junk", 0, false, true},
		{"one", 0, false, true},
		{"long", 0, false, true},
		{"link", 0, false, true},
		{"dirlink/pid", 0, false, true},
		{"fifo", 0, false, true},
	}
	for _, tt := range tests {
		pid, err := readPIDFile(filepath.Join(dir, tt.name))
		switch {
		case tt.notExist && !errors.Is(err, os.ErrNotExist):
			t.Errorf("%s: %d, %v; want not-exist", tt.name, pid, err)
		case tt.bad && (err == nil || errors.Is(err, os.ErrNotExist)):
			t.Errorf("%s: %d, %v; want an error", tt.name, pid, err)
		case !tt.bad && !tt.notExist && (err != nil || pid != tt.pid):
			t.Errorf("%s: %d, %v; want %d", tt.name, pid, err, tt.pid)
		}
	}
}
