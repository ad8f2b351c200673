package dynuser

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestIPCIDsOf(t *testing.T) {
	dir := t.TempDir()
	shm := "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n" +
		"         0         17  600                  4096   100   100      0 61571 61571 61571 61571          0          0 1700000000                     0                     0\n" +
		"         0         18  600                  4096   100   100      0     0     0     0     0          0          0 1700000000                     0                     0\n" +
		"         0         19  600                  4096   100   100      0     0 61571     0     0          0          0 1700000000                     0                     0\n"
	path := filepath.Join(dir, "shm")
	if err := os.WriteFile(path, []byte(shm), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ipcIDsOf(path, 61571, 61571)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{17, 19}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got, _ := ipcIDsOf(filepath.Join(dir, "missing"), 1, 1); got != nil {
		t.Fatalf("missing table gave %v", got)
	}
}

func TestIPCObjectBlocks(t *testing.T) {
	const u, other = 61571, 61600
	for _, tc := range []struct {
		name string
		o    ipcObject
		want bool
	}{
		{"created and owned", ipcObject{uid: u, gid: u, cuid: u, cgid: u}, true},
		{"created, handed to another UID", ipcObject{uid: other, gid: other, cuid: u, cgid: u}, true},
		{"handed over by another dynamic UID", ipcObject{uid: u, gid: u, cuid: other, cgid: other}, false},
		{"group handed over by another dynamic UID", ipcObject{uid: other, gid: u, cuid: other, cgid: other}, false},
		{"handed over by root", ipcObject{uid: u, gid: 0, cuid: 0, cgid: 0}, true},
		{"group handed over by a static user", ipcObject{uid: 1000, gid: u, cuid: 1000, cgid: 1000}, true},
		{"unrelated", ipcObject{uid: other, gid: other, cuid: other, cgid: other}, false},
	} {
		if got := tc.o.blocks(u); got != tc.want {
			t.Errorf("%s: blocks = %v, want %v", tc.name, got, tc.want)
		}
	}
}
