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

	"golang.org/x/sys/unix"
)

// RemoveIPC deletes the System V IPC objects and POSIX message queues that
// belong to uid or gid (RemoveIPC=), so nothing of a released dynamic user
// survives in kernel memory.
func RemoveIPC(uid, gid uint32) error {
	return removeIPC("/proc", "/dev/mqueue", uid, gid)
}

func removeIPC(procDir, mqueueDir string, uid, gid uint32) error {
	var errs []error
	for _, kind := range []string{"shm", "sem", "msg"} {
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
	entries, err := os.ReadDir(mqueueDir)
	if err == nil {
		for _, e := range entries {
			fi, err := e.Info()
			if err != nil {
				continue
			}
			if st, ok := fi.Sys().(*unix.Stat_t); ok && (st.Uid == uid || st.Gid == gid) {
				if err := os.Remove(filepath.Join(mqueueDir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
					errs = append(errs, err)
				}
			}
		}
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
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return nil, sc.Err()
	}
	idCol := -1
	var uidCols, gidCols []int
	for i, name := range strings.Fields(sc.Text()) {
		switch name {
		case "shmid", "semid", "msqid":
			idCol = i
		case "uid", "cuid":
			uidCols = append(uidCols, i)
		case "gid", "cgid":
			gidCols = append(gidCols, i)
		}
	}
	if idCol < 0 {
		return nil, fmt.Errorf("%s: no id column", path)
	}
	u, g := strconv.FormatUint(uint64(uid), 10), strconv.FormatUint(uint64(gid), 10)
	var ids []int
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		match := false
		for _, c := range uidCols {
			match = match || (c < len(fields) && fields[c] == u)
		}
		for _, c := range gidCols {
			match = match || (c < len(fields) && fields[c] == g)
		}
		if match && idCol < len(fields) {
			if id, err := strconv.Atoi(fields[idCol]); err == nil {
				ids = append(ids, id)
			}
		}
	}
	return ids, sc.Err()
}
