package dynuser

import (
	"fmt"
	"path/filepath"
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

// ipcFileUses reports whether one /proc/sysvipc table has an object owned
// or created by id (as user or as group).
func ipcFileUses(path string, id uint32) (bool, error) {
	ids, err := ipcIDsOf(path, id, id)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	return len(ids) > 0, nil
}
