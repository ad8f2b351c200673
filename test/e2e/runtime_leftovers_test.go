package e2e

import (
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
)

// TestCleanStopLeavesNoRuntimeFiles checks a system manager stopped with
// SIGTERM removes its lock file and its empty root/ and transient/
// directories from its runtime directory.
func TestCleanStopLeavesNoRuntimeFiles(t *testing.T) {
	m := newManager(t, "rtclean", nil, nil)
	for _, f := range []string{"lock", "root", "transient"} {
		if _, err := os.Lstat(filepath.Join(m.rt, f)); err != nil {
			t.Fatalf("running manager: %v", err)
		}
	}
	m.cmd.Process.Signal(syscall.SIGTERM)
	if err := m.cmd.Wait(); err != nil {
		t.Errorf("manager exited: %v", err)
	}
	m.cmd = nil
	var left []string
	filepath.WalkDir(m.rt, func(p string, d os.DirEntry, err error) error {
		if rel, _ := filepath.Rel(m.rt, p); rel != "." && (rel == "lock" || rel == "root" || rel == "transient") {
			left = append(left, rel)
		}
		return nil
	})
	sort.Strings(left)
	if all, _ := os.ReadDir(m.rt); len(all) > 0 {
		for _, d := range all {
			t.Logf("still in the runtime directory: %s", d.Name())
		}
	}
	if len(left) > 0 {
		t.Errorf("left in %s after a clean stop: %v", m.rt, left)
	}
}
