package executor

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestResolveIn: only root's symbolic links are followed, absolute ones
// and ".." stay below the root given.
func TestResolveIn(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to own links of two users")
	}
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "a/b"), 0o755))
	must(os.WriteFile(filepath.Join(root, "a/b/f"), nil, 0o644))
	must(os.Symlink("a/b", filepath.Join(root, "rootlink")))
	must(os.Symlink("/a", filepath.Join(root, "abslink")))
	must(os.Symlink("a/b", filepath.Join(root, "userlink")))
	must(os.Lchown(filepath.Join(root, "userlink"), 65534, 65534))
	must(os.Symlink("loop", filepath.Join(root, "loop")))
	dir, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY, 0)
	must(err)
	defer unix.Close(dir)
	tests := []struct {
		path string
		want string // file below root, or "" for an error
		err  error
	}{
		{"/a/b/f", "a/b/f", nil},
		{"/rootlink/f", "a/b/f", nil},
		{"/abslink/b/f", "a/b/f", nil},
		{"/../../a/b/f", "a/b/f", nil},
		{"/userlink/f", "", unix.ELOOP},
		{"/loop", "", unix.ELOOP},
		{"/a/missing", "", unix.ENOENT},
	}
	for _, tc := range tests {
		fd, err := resolveIn(dir, tc.path)
		if tc.want == "" {
			if !errors.Is(err, tc.err) {
				t.Errorf("%s: err %v, want %v", tc.path, err, tc.err)
			}
			if err == nil {
				unix.Close(fd)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		var got, want unix.Stat_t
		must(unix.Fstat(fd, &got))
		must(unix.Stat(filepath.Join(root, tc.want), &want))
		if got.Ino != want.Ino {
			t.Errorf("%s: resolved to another file than %s", tc.path, tc.want)
		}
		unix.Close(fd)
	}
}
