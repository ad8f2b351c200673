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
