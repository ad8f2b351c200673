package executor

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// PathMount is one mount of ReadWritePaths=, ReadOnlyPaths=,
// InaccessiblePaths=, BindPaths=, BindReadOnlyPaths=,
// TemporaryFileSystem= and the Protect* settings, applied in order after
// the plan's Tmpfs and before its Binds.
type PathMount struct {
	Kind   string `json:"kind"`             // bind, readonly, readwrite, inaccessible, tmpfs
	Source string `json:"source,omitempty"` // bind: a path of the host
	Target string `json:"target"`
	// Optional ("-"): a missing source or target is skipped instead of
	// failing the start.
	Optional  bool   `json:"optional,omitempty"`
	ReadOnly  bool   `json:"readOnly,omitempty"`  // bind
	Recursive bool   `json:"recursive,omitempty"` // bind: rbind
	Options   string `json:"options,omitempty"`   // tmpfs: mount options as written
}

// maxLinks bounds the symbolic links one resolution follows.
const maxLinks = 32

// resolveIn opens path below the directory root (O_PATH), following only
// symbolic links owned by root: a link a unit's user made (in a directory
// it can write) could otherwise point a bind or a read-write mount at any
// place of the host. Absolute links restart at root, and ".." never
// leaves it.
func resolveIn(root int, path string) (int, error) {
	fd, err := unix.Openat(root, ".", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	rest := strings.Split(strings.Trim(path, "/"), "/")
	var stack []int // parents, for ".."
	links := 0
	closeAll := func() {
		unix.Close(fd)
		for _, s := range stack {
			unix.Close(s)
		}
	}
	for len(rest) > 0 {
		name := rest[0]
		rest = rest[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			if len(stack) > 0 {
				unix.Close(fd)
				fd, stack = stack[len(stack)-1], stack[:len(stack)-1]
			}
			continue
		}
		var st unix.Stat_t
		if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			closeAll()
			return -1, err
		}
		if st.Mode&unix.S_IFMT == unix.S_IFLNK {
			links++
			if st.Uid != 0 || links > maxLinks {
				closeAll()
				return -1, fmt.Errorf("%s: symbolic link %s not owned by root: %w", path, name, unix.ELOOP)
			}
			buf := make([]byte, unix.PathMax)
			n, err := unix.Readlinkat(fd, name, buf)
			if err != nil {
				closeAll()
				return -1, err
			}
			target := string(buf[:n])
			if strings.HasPrefix(target, "/") {
				for _, s := range stack {
					unix.Close(s)
				}
				stack = nil
				unix.Close(fd)
				if fd, err = unix.Openat(root, ".", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
					return -1, err
				}
			}
			rest = append(strings.Split(strings.Trim(target, "/"), "/"), rest...)
			continue
		}
		next, err := unix.Openat(fd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			closeAll()
			return -1, err
		}
		stack = append(stack, fd)
		fd = next
	}
	for _, s := range stack {
		unix.Close(s)
	}
	return fd, nil
}

// pathMounter applies PathMounts in the tree attached at staging.
type pathMounter struct {
	host, staging int // directory fds of the host's root and the new root
	empty         int // a detached tmpfs holding "reg", an empty file of mode 0
	readOnly      []string
	tmpfs         []string // targets of the tmpfs mounted so far
}

// inFreshTmpfs reports whether path lies below a tmpfs applyPaths
// mounted.
func (m *pathMounter) inFreshTmpfs(path string) bool {
	for _, t := range m.tmpfs {
		if strings.HasPrefix(path, strings.TrimSuffix(t, "/")+"/") {
			return true
		}
	}
	return false
}

func (m *pathMounter) close() {
	for _, fd := range []int{m.host, m.staging, m.empty} {
		if fd > 0 {
			unix.Close(fd)
		}
	}
}

// inaccessibleFile returns a detached mount of an empty file nobody may
// open, made once.
func (m *pathMounter) inaccessibleFile() (int, error) {
	if m.empty <= 0 {
		fs, err := unix.Fsopen("tmpfs", unix.FSOPEN_CLOEXEC)
		if err != nil {
			return -1, fmt.Errorf("fsopen tmpfs: %w", err)
		}
		defer unix.Close(fs)
		for k, v := range map[string]string{"mode": "0755", "size": "4k", "nr_inodes": "4"} {
			if err := unix.FsconfigSetString(fs, k, v); err != nil {
				return -1, fmt.Errorf("configure tmpfs: %w", err)
			}
		}
		if err := unix.FsconfigCreate(fs); err != nil {
			return -1, fmt.Errorf("create tmpfs: %w", err)
		}
		mnt, err := unix.Fsmount(fs, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC)
		if err != nil {
			return -1, fmt.Errorf("fsmount tmpfs: %w", err)
		}
		f, err := unix.Openat(mnt, "reg", unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			unix.Close(mnt)
			return -1, fmt.Errorf("create inaccessible file: %w", err)
		}
		unix.Close(f)
		m.empty = mnt
	}
	return unix.OpenTree(m.empty, "reg", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
}

// apply performs one PathMount.
func (m *pathMounter) apply(pm PathMount) error {
	err := m.mount(pm)
	if pm.Optional && errors.Is(err, unix.ENOENT) {
		return nil
	}
	return err
}

func (m *pathMounter) mount(pm PathMount) error {
	target, err := resolveIn(m.staging, pm.Target)
	if errors.Is(err, unix.ENOENT) && pm.Kind == "bind" && m.inFreshTmpfs(pm.Target) {
		// A bind into a tmpfs of TemporaryFileSystem= needs its mount
		// point made, as systemd makes it. Nowhere else: that would
		// change the host's tree, maybe a directory a unit owns.
		target, err = m.mountPoint(pm)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", pm.Target, err)
	}
	defer unix.Close(target)
	var st unix.Stat_t
	if err := unix.Fstat(target, &st); err != nil {
		return fmt.Errorf("%s: %w", pm.Target, err)
	}
	isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	var tree int
	attr := &unix.MountAttr{}
	switch pm.Kind {
	case "bind", "readonly", "readwrite":
		src := pm.Target
		if pm.Kind == "bind" {
			src = pm.Source
		}
		// Binds take the host's mount, so a path made read-only by
		// ProtectSystem= can be writable again (ReadWritePaths=).
		from, err := resolveIn(m.host, src)
		if err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC | unix.AT_EMPTY_PATH)
		if pm.Kind != "bind" || pm.Recursive {
			flags |= unix.AT_RECURSIVE
		}
		tree, err = unix.OpenTree(from, "", flags)
		unix.Close(from)
		if err != nil {
			return fmt.Errorf("clone %s: %w", src, err)
		}
		if pm.Kind == "readonly" || pm.ReadOnly {
			attr.Attr_set |= unix.MOUNT_ATTR_RDONLY
		} else {
			attr.Attr_clr |= unix.MOUNT_ATTR_RDONLY
		}
	case "inaccessible":
		if isDir {
			if tree, err = tmpfsTree("mode=0000,size=4k,nr_inodes=1"); err != nil {
				return err
			}
		} else if tree, err = m.inaccessibleFile(); err != nil {
			return err
		}
		attr.Attr_set |= unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC
	case "tmpfs":
		if !isDir {
			return fmt.Errorf("%s: not a directory", pm.Target)
		}
		opts, ro := tmpfsOptions(pm.Options)
		if tree, err = tmpfsTree(opts); err != nil {
			return fmt.Errorf("%s: %w", pm.Target, err)
		}
		attr.Attr_set |= unix.MOUNT_ATTR_NODEV
		m.tmpfs = append(m.tmpfs, pm.Target)
		if ro {
			// Once the mounts below it have their mount points.
			m.readOnly = append(m.readOnly, pm.Target)
		}
	default:
		return fmt.Errorf("unknown mount kind %q", pm.Kind)
	}
	defer unix.Close(tree)
	if err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, attr); err != nil {
		return fmt.Errorf("set attributes for %s: %w", pm.Target, err)
	}
	if err := unix.MoveMount(tree, "", target, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return fmt.Errorf("mount on %s: %w", pm.Target, err)
	}
	return nil
}

// mountPoint creates the missing last component of a bind's target, a
// directory or an empty file like its source, and opens it.
func (m *pathMounter) mountPoint(pm PathMount) (int, error) {
	var st unix.Stat_t
	if err := unix.Stat(pm.Source, &st); err != nil {
		return -1, err
	}
	parent, err := resolveIn(m.staging, filepath.Dir(pm.Target))
	if err != nil {
		return -1, err
	}
	defer unix.Close(parent)
	name := filepath.Base(pm.Target)
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		err = unix.Mkdirat(parent, name, 0o755)
	} else {
		var fd int
		if fd, err = unix.Openat(parent, name, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644); err == nil {
			unix.Close(fd)
		}
	}
	if err != nil {
		return -1, fmt.Errorf("create mount point: %w", err)
	}
	return unix.Openat(parent, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
}

// tmpfsOptions turns TemporaryFileSystem= options into tmpfs data (with
// systemd's default mode 0755 and no more than the settings tmpfs takes)
// and whether the mount is read-only.
func tmpfsOptions(opts string) (string, bool) {
	data := []string{"mode=0755"}
	ro := false
	for _, o := range strings.Split(opts, ",") {
		switch k, _, _ := strings.Cut(o, "="); k {
		case "ro":
			ro = true
		case "rw":
			ro = false
		case "mode", "size", "nr_inodes":
			data = append(data, o)
		}
	}
	return strings.Join(data, ","), ro
}

// tmpfsTree makes a detached tmpfs with options data ("k=v,...").
func tmpfsTree(data string) (int, error) {
	fs, err := unix.Fsopen("tmpfs", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("fsopen tmpfs: %w", err)
	}
	defer unix.Close(fs)
	for _, o := range strings.Split(data, ",") {
		k, v, _ := strings.Cut(o, "=")
		if err := unix.FsconfigSetString(fs, k, v); err != nil {
			return -1, fmt.Errorf("tmpfs option %s: %w", o, err)
		}
	}
	if err := unix.FsconfigCreate(fs); err != nil {
		return -1, fmt.Errorf("create tmpfs: %w", err)
	}
	mnt, err := unix.Fsmount(fs, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_NOSUID)
	if err != nil {
		return -1, fmt.Errorf("fsmount tmpfs: %w", err)
	}
	return mnt, nil
}

// applyPaths performs p's PathMounts below p.Staging.
func applyPaths(p *MountPlan) error {
	if len(p.Paths) == 0 {
		return nil
	}
	m := &pathMounter{}
	defer m.close()
	var err error
	if m.host, err = unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
		return err
	}
	if m.staging, err = unix.Open(filepath.Clean(p.Staging), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
		return err
	}
	for _, pm := range p.Paths {
		if err := m.apply(pm); err != nil {
			return err
		}
	}
	for _, path := range m.readOnly {
		fd, err := resolveIn(m.staging, path)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		err = unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY})
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("make %s read-only: %w", path, err)
		}
	}
	return nil
}
