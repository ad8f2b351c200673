package condition

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// testPath runs a file system check in the caller's own view of the file
// system. None of them can fail to be determined: an error means "no", except
// for DirectoryNotEmpty and PathIsReadWrite, which systemd lets hold when
// the answer is unclear for any other reason than a missing path.
func testPath(t Type, p string) bool {
	switch t {
	case PathExists:
		return unix.Access(p, unix.F_OK) == nil
	case PathExistsGlob:
		m, err := filepath.Glob(p)
		return err == nil && len(m) > 0
	case PathIsDirectory:
		fi, err := os.Stat(p)
		return err == nil && fi.IsDir()
	case PathIsSymbolicLink:
		fi, err := os.Lstat(p)
		return err == nil && fi.Mode()&os.ModeSymlink != 0
	case PathIsMountPoint:
		ok, err := isMountPoint(p)
		return err == nil && ok
	case PathIsReadWrite:
		ro, err := readOnlyFS(p)
		return err == nil && !ro || err != nil && !errors.Is(err, unix.ENOENT)
	case PathIsEncrypted:
		ok, err := isEncrypted(p)
		return err == nil && ok
	case DirectoryNotEmpty:
		empty, err := dirIsEmpty(p)
		return err == nil && !empty || err != nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ENOTDIR)
	case FileNotEmpty:
		fi, err := os.Stat(p)
		return err == nil && fi.Mode().IsRegular() && fi.Size() > 0
	case FileIsExecutable:
		fi, err := os.Stat(p)
		return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
	}
	return false
}

// isMountPoint follows symbolic links and asks the kernel whether the result
// is the root of a mount; "/" always is.
func isMountPoint(p string) (bool, error) {
	var st unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, p, unix.AT_NO_AUTOMOUNT, unix.STATX_BASIC_STATS, &st); err != nil {
		return false, fmt.Errorf("statx %s: %w", p, err)
	}
	if st.Attributes_mask&unix.STATX_ATTR_MOUNT_ROOT != 0 {
		return st.Attributes&unix.STATX_ATTR_MOUNT_ROOT != 0, nil
	}
	// Older kernels: a mount root's parent is on another device or mount.
	var parent unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, p+"/..", unix.AT_NO_AUTOMOUNT, unix.STATX_BASIC_STATS|unix.STATX_MNT_ID, &parent); err != nil {
		return false, fmt.Errorf("statx %s/..: %w", p, err)
	}
	if err := unix.Statx(unix.AT_FDCWD, p, unix.AT_NO_AUTOMOUNT, unix.STATX_BASIC_STATS|unix.STATX_MNT_ID, &st); err != nil {
		return false, fmt.Errorf("statx %s: %w", p, err)
	}
	if st.Mask&parent.Mask&unix.STATX_MNT_ID != 0 && st.Mnt_id != parent.Mnt_id {
		return true, nil
	}
	return st.Dev_major != parent.Dev_major || st.Dev_minor != parent.Dev_minor ||
		st.Ino == parent.Ino, nil
}

// readOnlyFS reports whether p lies on a file system mounted read-only.
func readOnlyFS(p string) (bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return false, err
	}
	if st.Flags&unix.ST_RDONLY != 0 {
		return true, nil
	}
	// A read-only bind mount shows in the mount flags only to access(2).
	if err := unix.Access(p, unix.W_OK); errors.Is(err, unix.EROFS) {
		return true, nil
	}
	return false, nil
}

// isEncrypted reports whether the block device below p's file system is
// dm-crypt, or stacked only on dm-crypt devices.
func isEncrypted(p string) (bool, error) {
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return false, err
	}
	if unix.Major(st.Dev) == 0 {
		return false, nil // no block device (tmpfs, overlay, …)
	}
	return blockEncrypted(fmt.Sprintf("/sys/dev/block/%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev)), 10)
}

func blockEncrypted(sys string, depth int) (bool, error) {
	if depth == 0 {
		return false, errors.New("block devices stacked too deep")
	}
	uuid, err := os.ReadFile(sys + "/dm/uuid")
	if err == nil && strings.HasPrefix(string(uuid), "CRYPT-") {
		return true, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	slaves, err := os.ReadDir(sys + "/slaves")
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	found := false
	for _, s := range slaves {
		ok, err := blockEncrypted(sys+"/slaves/"+s.Name(), depth-1)
		if err != nil || !ok {
			return false, err
		}
		found = true
	}
	return found, nil
}

// hiddenOrBackup are names DirectoryNotEmpty= does not count.
func hiddenOrBackup(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") ||
		name == "lost+found" || name == "aquota.user" || name == "aquota.group" {
		return true
	}
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return false
	}
	switch name[i+1:] {
	case "rpmnew", "rpmsave", "rpmorig", "dpkg-old", "dpkg-new", "dpkg-tmp", "dpkg-dist",
		"dpkg-bak", "dpkg-backup", "dpkg-remove", "ucf-new", "ucf-old", "ucf-dist",
		"swp", "bak", "old", "new":
		return true
	}
	return false
}

func dirIsEmpty(p string) (bool, error) {
	// O_DIRECTORY: a FIFO, which open would wait on for a writer, fails
	// with ENOTDIR at once.
	d, err := os.OpenFile(p, os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return false, err
	}
	defer d.Close()
	for {
		names, err := d.Readdirnames(64)
		for _, n := range names {
			if !hiddenOrBackup(n) {
				return false, nil
			}
		}
		if err == io.EOF {
			return true, nil
		}
		if err != nil {
			return false, err
		}
	}
}

// needsUpdate reports whether the directory p (/etc, /var) is older than
// /usr: its .updated stamp is missing or older. The kernel command line
// decides when it says so; an initrd or a read-only p never needs an update.
func needsUpdate(p string, f Facts) bool {
	if words, err := f.KernelCommandLine(); err == nil {
		for _, w := range words {
			k, v, has := strings.Cut(w, "=")
			if k != "systemd.condition_needs_update" {
				continue
			}
			if !has {
				return true
			}
			if b, err := parseBool(v); err == nil {
				return b
			}
		}
	}
	if f.InInitrd() {
		return false
	}
	if ro, err := readOnlyFS(p); err == nil && ro {
		return false
	}
	stamp := p + "/.updated"
	var other, usr unix.Stat_t
	if err := unix.Lstat(stamp, &other); err != nil {
		return true
	}
	if err := unix.Lstat("/usr/", &usr); err != nil {
		return true
	}
	if usr.Mtim.Sec != other.Mtim.Sec {
		return usr.Mtim.Sec > other.Mtim.Sec
	}
	if usr.Mtim.Nsec == 0 || other.Mtim.Nsec > 0 {
		return usr.Mtim.Nsec > other.Mtim.Nsec
	}
	// A stamp file system without nanoseconds: the stamp may carry them.
	data, err := os.ReadFile(stamp)
	if err != nil {
		return true
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "TIMESTAMP_NSEC="); ok {
			ns, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return true
			}
			return uint64(usr.Mtim.Sec)*1e9+uint64(usr.Mtim.Nsec) > ns
		}
	}
	return true
}
