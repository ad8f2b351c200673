package dynuser

import (
	"errors"
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// RemoveIPC deletes the System V IPC objects and POSIX message queues that
// belong to uid or gid (RemoveIPC=), so nothing of a released dynamic user
// survives in kernel memory. System V objects count as theirs when they own
// or created them: IPC_SET can give an object away, never its creator.
func RemoveIPC(uid, gid uint32) error {
	return removeIPC("/proc", uid, gid)
}

func removeIPC(procDir string, uid, gid uint32) error {
	var errs []error
	for _, kind := range ipcKinds {
		ids, err := ipcIDsOf(filepath.Join(procDir, "sysvipc", kind), uid, gid)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, id := range ids {
			if err := rmid(kind, id); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EIDRM) {
				errs = append(errs, fmt.Errorf("remove %s %d: %w", kind, id, err))
			}
		}
	}
	if err := removeMqueues(uid, gid); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func rmid(kind string, id int) error {
	var err unix.Errno
	switch kind {
	case "shm":
		_, _, err = unix.Syscall(unix.SYS_SHMCTL, uintptr(id), unix.IPC_RMID, 0)
	case "sem":
		_, _, err = unix.Syscall6(unix.SYS_SEMCTL, uintptr(id), 0, unix.IPC_RMID, 0, 0, 0)
	case "msg":
		_, _, err = unix.Syscall(unix.SYS_MSGCTL, uintptr(id), unix.IPC_RMID, 0)
	}
	if err != 0 {
		return err
	}
	return nil
}

// ipcIDsOf lists the ids of one /proc/sysvipc table whose owner or creator
// is uid or gid.
func ipcIDsOf(path string, uid, gid uint32) ([]int, error) {
	objs, err := readIPCTable(path)
	if err != nil {
		return nil, err
	}
	var ids []int
	for _, o := range objs {
		if o.belongsTo(uid, gid) {
			ids = append(ids, o.id)
		}
	}
	return ids, nil
}
