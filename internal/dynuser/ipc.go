package dynuser

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ipcOwnedBy reports whether a System V IPC object (shared memory,
// semaphore or message queue) is owned or was created by id. Such objects
// outlive their creator, so handing out the id again would give a new user
// access to them.
func ipcOwnedBy(procDir string, id uint32) (bool, error) {
	for _, kind := range []string{"shm", "sem", "msg"} {
		used, err := ipcFileUses(filepath.Join(procDir, "sysvipc", kind), id)
		if used || err != nil {
			return used, err
		}
	}
	return false, nil
}

// ipcFileUses scans one /proc/sysvipc table. Columns are located by the
// header names because their positions differ between the tables.
func ipcFileUses(path string, id uint32) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return false, fmt.Errorf("read %s: %w", path, err)
		}
		return false, nil
	}
	var cols []int
	for i, name := range strings.Fields(sc.Text()) {
		switch name {
		case "uid", "gid", "cuid", "cgid":
			cols = append(cols, i)
		}
	}
	want := strconv.FormatUint(uint64(id), 10)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		for _, c := range cols {
			if c < len(fields) && fields[c] == want {
				return true, nil
			}
		}
	}
	if err := sc.Err(); err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	return false, nil
}
