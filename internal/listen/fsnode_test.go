package listen

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// openDir follows only the links of the manager's own user and makes
// missing directories with the mode asked for.
func TestOpenDir(t *testing.T) {
	root := t.TempDir()
	other := filepath.Join(root, "other")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	mustLink := func(target, link string, uid int) {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		if err := os.Lchown(link, uid, uid); err != nil {
			t.Fatal(err)
		}
	}
	mustLink(other, filepath.Join(root, "own"), os.Geteuid())
	mustLink(other, filepath.Join(root, "foreign"), 65534)
	mustLink("other", filepath.Join(root, "relative"), os.Geteuid())
	// The manager's own link, in a directory someone else owns (moved
	// there by that user).
	theirs := filepath.Join(root, "theirs")
	os.Mkdir(theirs, 0o755)
	os.Chown(theirs, 65534, 65534)
	mustLink(other, filepath.Join(theirs, "moved"), os.Geteuid())
	tests := []struct {
		dir     string
		create  bool
		wantErr error
		same    string // the directory it must resolve to
	}{
		{dir: "other", same: "other"},
		{dir: "own", same: "other"},
		{dir: "relative", same: "other"},
		{dir: "foreign", wantErr: unix.ELOOP},
		{dir: "foreign/x", create: true, wantErr: unix.ELOOP},
		{dir: "missing", wantErr: unix.ENOENT},
		{dir: "theirs/moved", wantErr: unix.ELOOP},
		{dir: "new/deeper", create: true, same: "new/deeper"},
		{dir: "other/../other", wantErr: unix.EINVAL},
	}
	for _, tt := range tests {
		fd, err := openDir(root+"/"+tt.dir, tt.create, 0o750)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("%s: err %v, want %v", tt.dir, err, tt.wantErr)
			}
			if err == nil {
				unix.Close(fd)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.dir, err)
			continue
		}
		var a, b unix.Stat_t
		unix.Fstat(fd, &a)
		unix.Close(fd)
		if err := unix.Stat(filepath.Join(root, tt.same), &b); err != nil || a.Ino != b.Ino {
			t.Errorf("%s: opened inode %d, want %s's %d (%v)", tt.dir, a.Ino, tt.same, b.Ino, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(root, "new")); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("a made directory: %v %v, want mode 0750", fi.Mode(), err)
	}
	if _, err := os.Lstat(filepath.Join(other, "x")); err == nil {
		t.Error("a directory was made through a foreign link")
	}
}

// Remove takes away only a node of the listener's type, never through a
// foreign link.
func TestRemove(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	os.WriteFile(file, nil, 0o644)
	if err := Remove(Spec{Kind: FIFO, Path: file}); err != nil || !exists(file) {
		t.Errorf("a regular file at a FIFO's path: %v, exists %v", err, exists(file))
	}
	fifo := filepath.Join(root, "fifo")
	unix.Mkfifo(fifo, 0o600)
	if err := Remove(Spec{Kind: Stream, Path: fifo}); err != nil || !exists(fifo) {
		t.Errorf("a FIFO at a socket's path: %v", err)
	}
	os.Mkdir(filepath.Join(root, "d"), 0o755)
	inner := filepath.Join(root, "d", "fifo")
	unix.Mkfifo(inner, 0o600)
	link := filepath.Join(root, "l")
	os.Symlink(filepath.Join(root, "d"), link)
	os.Lchown(link, 65534, 65534)
	if err := Remove(Spec{Kind: FIFO, Path: filepath.Join(link, "fifo")}); !errors.Is(err, unix.ELOOP) || !exists(inner) {
		t.Errorf("through a foreign link: %v, exists %v", err, exists(inner))
	}
	if err := Remove(Spec{Kind: FIFO, Path: fifo}); err != nil || exists(fifo) {
		t.Errorf("a FIFO: %v, exists %v", err, exists(fifo))
	}
}

func exists(p string) bool { _, err := os.Lstat(p); return err == nil }
