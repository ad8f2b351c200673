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

// ipcObject is one row of a /proc/sysvipc table. IPC_SET can change the
// owner (uid, gid) but never the creator (cuid, cgid).
type ipcObject struct {
	id                   int
	uid, gid, cuid, cgid uint32
}

// belongsTo reports whether the object is owned or was created by uid or
// gid: what a released user leaves behind.
func (o ipcObject) belongsTo(uid, gid uint32) bool {
	return o.uid == uid || o.cuid == uid || o.gid == gid || o.cgid == gid
}

// blocks reports whether the object keeps the allocator from handing out
// id. Objects id created block it: they are leftovers of an earlier holder.
// Objects merely owned by id block it only if their creator is not a
// dynamic user: a dynamic creator can hand its objects to any UID with
// IPC_SET, and they are removed when the creator stops, so counting them
// would let one capsule make every other UID unusable.
func (o ipcObject) blocks(id uint32) bool {
	if o.cuid == id || o.cgid == id {
		return true
	}
	if o.uid != id && o.gid != id {
		return false
	}
	return o.cuid < MinUID || o.cuid > MaxUID
}

// ipcBlocks reports whether any System V IPC object (shared memory,
// semaphore set, message queue) keeps id from being handed out (see
// ipcObject.blocks).
func ipcBlocks(procDir string, id uint32) (bool, error) {
	for _, kind := range ipcKinds {
		objs, err := readIPCTable(filepath.Join(procDir, "sysvipc", kind))
		if err != nil {
			return false, err
		}
		for _, o := range objs {
			if o.blocks(id) {
				return true, nil
			}
		}
	}
	return false, nil
}

var ipcKinds = []string{"shm", "sem", "msg"}

// readIPCTable parses one /proc/sysvipc table; a missing table (no SysV
// IPC in the kernel) has no objects.
func readIPCTable(path string) ([]ipcObject, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		return nil, nil
	}
	cols := map[string]int{}
	for i, name := range strings.Fields(sc.Text()) {
		switch name {
		case "shmid", "semid", "msqid":
			cols["id"] = i
		case "uid", "gid", "cuid", "cgid":
			cols[name] = i
		}
	}
	for _, c := range []string{"id", "uid", "gid", "cuid", "cgid"} {
		if _, ok := cols[c]; !ok {
			return nil, fmt.Errorf("read %s: no %s column", path, c)
		}
	}
	var objs []ipcObject
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		num := func(col string) (uint64, bool) {
			i := cols[col]
			if i >= len(fields) {
				return 0, false
			}
			n, err := strconv.ParseUint(fields[i], 10, 32)
			return n, err == nil
		}
		id, ok1 := num("id")
		uid, ok2 := num("uid")
		gid, ok3 := num("gid")
		cuid, ok4 := num("cuid")
		cgid, ok5 := num("cgid")
		if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
			continue
		}
		objs = append(objs, ipcObject{id: int(id), uid: uint32(uid), gid: uint32(gid), cuid: uint32(cuid), cgid: uint32(cgid)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return objs, nil
}
