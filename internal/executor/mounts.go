package executor

import (
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// setupMounts builds the sandbox's root in p.Staging from a clone of the
// host tree and pivots into it. The executor already runs in a new mount
// namespace (CLONE_NEWNS from its parent).
func setupMounts(p *MountPlan) error {
	// Nothing we mount may propagate back to the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	root, err := unix.OpenTree(unix.AT_FDCWD, "/", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
	if err != nil {
		return fmt.Errorf("clone root tree: %w", err)
	}
	defer unix.Close(root)
	if p.ReadOnly {
		// One recursive call covers every submount, including ones that
		// appear below / later in the host's tree order.
		attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID}
		if err := unix.MountSetattr(root, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, attr); err != nil {
			return fmt.Errorf("make root read-only: %w", err)
		}
	}
	if err := unix.MoveMount(root, "", unix.AT_FDCWD, p.Staging, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("attach root at %s: %w", p.Staging, err)
	}
	if p.ProcHidePID != "" || p.ProcSubsetPID {
		if err := mountProc(p); err != nil {
			return err
		}
	}
	for _, t := range p.Tmpfs {
		target := filepath.Join(p.Staging, t.Path)
		opts := fmt.Sprintf("mode=%o", t.Mode)
		if t.Size > 0 {
			opts += fmt.Sprintf(",size=%d", t.Size)
		}
		if t.Inodes > 0 {
			opts += fmt.Sprintf(",nr_inodes=%d", t.Inodes)
		}
		if err := unix.Mount("tmpfs", target, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
			return fmt.Errorf("mount tmpfs on %s: %w", t.Path, err)
		}
		for _, d := range t.Dirs {
			if err := os.MkdirAll(filepath.Join(target, d), 0o755); err != nil {
				return fmt.Errorf("create %s in %s: %w", d, t.Path, err)
			}
		}
		for _, f := range t.Files {
			if err := os.WriteFile(filepath.Join(target, f), nil, 0o644); err != nil {
				return fmt.Errorf("create %s in %s: %w", f, t.Path, err)
			}
		}
		for _, l := range t.Links {
			if err := os.Symlink(l[1], filepath.Join(target, l[0])); err != nil {
				return fmt.Errorf("create %s in %s: %w", l[0], t.Path, err)
			}
		}
	}
	if p.DevPts != "" {
		// A devpts of its own: the unit sees and opens only the
		// terminals it makes.
		err := unix.Mount("devpts", filepath.Join(p.Staging, p.DevPts), "devpts", unix.MS_NOSUID|unix.MS_NOEXEC,
			"newinstance,ptmxmode=0666,mode=0620")
		if err != nil {
			return fmt.Errorf("mount devpts on %s: %w", p.DevPts, err)
		}
	}
	if err := applyPaths(p); err != nil {
		return err
	}
	for _, b := range p.Binds {
		if err := bind(p.Staging, b); err != nil {
			return err
		}
	}
	if err := unix.Chdir(p.Staging); err != nil {
		return fmt.Errorf("enter new root: %w", err)
	}
	// pivot_root(".", ".") stacks the old root on top of the new one;
	// detaching "." then drops the old root entirely.
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach old root: %w", err)
	}
	return unix.Chdir("/")
}

// mountProc replaces the host's /proc in the new root with a procfs
// instance of its own (each mount is one since Linux 5.8), so its hidepid=
// does not change the host's. The host's instance goes with everything
// mounted below it, so nothing of it stays reachable underneath.
func mountProc(p *MountPlan) error {
	target := filepath.Join(p.Staging, "proc")
	if err := unix.Unmount(target, unix.MNT_DETACH); err != nil && err != unix.EINVAL {
		return fmt.Errorf("detach host /proc: %w", err)
	}
	flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	if p.ReadOnly {
		flags |= unix.MS_RDONLY
	}
	var opts []string
	if p.ProcHidePID != "" {
		opts = append(opts, "hidepid="+p.ProcHidePID)
	}
	if p.ProcSubsetPID {
		opts = append(opts, "subset=pid")
	}
	if err := unix.Mount("proc", target, "proc", flags, strings.Join(opts, ",")); err != nil {
		return fmt.Errorf("mount /proc (%s): %w", strings.Join(opts, ","), err)
	}
	return nil
}

func bind(staging string, b Bind) error {
	// Source paths resolve in the host tree, which is still our root and
	// still writable, so a clone of it is writable too.
	fd, err := unix.OpenTree(unix.AT_FDCWD, b.Source, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
	if err != nil {
		return fmt.Errorf("clone %s: %w", b.Source, err)
	}
	defer unix.Close(fd)
	attr := &unix.MountAttr{}
	if b.ReadOnly {
		attr.Attr_set |= unix.MOUNT_ATTR_RDONLY
	} else {
		attr.Attr_clr |= unix.MOUNT_ATTR_RDONLY
	}
	if b.NoSuid {
		attr.Attr_set |= unix.MOUNT_ATTR_NOSUID
	}
	if b.NoDev {
		attr.Attr_set |= unix.MOUNT_ATTR_NODEV
	}
	if b.NoExec {
		attr.Attr_set |= unix.MOUNT_ATTR_NOEXEC
	}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, attr); err != nil {
		return fmt.Errorf("set attributes of %s: %w", b.Source, err)
	}
	if b.IDMap != nil {
		if err := idmap(fd, b.IDMap); err != nil {
			return fmt.Errorf("id-map %s: %w", b.Source, err)
		}
	}
	target := filepath.Join(staging, b.Target)
	if err := unix.MoveMount(fd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("bind %s on %s: %w", b.Source, b.Target, err)
	}
	return nil
}

// idmap attaches an ID mapping to a detached mount. The mapping comes from
// a throw-away user namespace whose only purpose is to carry it.
func idmap(fd int, m *IDMap) error {
	userns, err := UsernsFD(m)
	if err != nil {
		return err
	}
	defer unix.Close(userns)
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(userns)}
	return unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, attr)
}

// UsernsFD returns an fd of a user namespace that maps m.From to m.To and
// root to root.
func UsernsFD(m *IDMap) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return -1, err
	}
	maps := []syscall.SysProcIDMap{
		{ContainerID: 0, HostID: 0, Size: 1},
		{ContainerID: int(m.From), HostID: int(m.To), Size: 1},
	}
	cmd := &osexec.Cmd{Path: exe, Args: []string{exe, holdArg}}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: maps,
		GidMappings: maps,
		Pdeathsig:   syscall.SIGKILL,
	}
	// Start returns after the maps are written, which is all we need.
	if err := cmd.Start(); err != nil {
		return -1, fmt.Errorf("create user namespace: %w", err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	fd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/user", cmd.Process.Pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open user namespace: %w", err)
	}
	return fd, nil
}

// IDMapSupported reports whether the file system holding path accepts
// ID-mapped mounts.
func IDMapSupported(path string) bool {
	fd, err := unix.OpenTree(unix.AT_FDCWD, path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return idmap(fd, &IDMap{From: 65534, To: 65533}) == nil
}
