package manager

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// pathRoots are the directories a path unit may watch and create below:
// in a capsule those it may write (its home, runtime directory and
// private temporary directories), so a capsule's path unit makes its
// manager look at nothing else; nil in the system manager, whose units
// may watch anything.
func (m *Manager) pathRoots() []string {
	if m.cfg.Mode != User {
		return nil
	}
	roots := []string{filepath.Dir(m.cfg.RuntimeDir), "/tmp", "/var/tmp", "/dev/shm"}
	if m.cfg.Home != "" {
		roots = append(roots, filepath.Clean(m.cfg.Home))
	}
	return roots
}

// confine splits p into the root it lies below and the rest; ok is false
// when it lies below none.
func confine(roots []string, p string) (root, rel string, ok bool) {
	if roots == nil {
		return "/", strings.TrimPrefix(p, "/"), true
	}
	for _, r := range roots {
		if (p == r || strings.HasPrefix(p, r+"/")) && len(r) > len(root) {
			root, rel, ok = r, strings.TrimPrefix(strings.TrimPrefix(p, r), "/"), true
		}
	}
	return root, rel, ok
}

// openIn opens p with flags. Below confining roots, symbolic links are
// followed only while they stay below p's root: a link a capsule swaps in
// for a watched path cannot make the manager look elsewhere, and the
// check and the watch see the same file. (openat2's RESOLVE_BENEATH would
// do it, but the capsule's system call filter refuses openat2.)
func openIn(roots []string, p string, flags int) (int, error) {
	if roots == nil {
		return unix.Open(p, flags|unix.O_CLOEXEC, 0)
	}
	root, rel, ok := confine(roots, p)
	if !ok {
		return -1, unix.EXDEV
	}
	rfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	fd, err := resolveBeneath(root, rfd, rel, flags&unix.O_NOFOLLOW != 0)
	if err != nil {
		return -1, err
	}
	if flags&unix.O_PATH != 0 {
		return fd, nil
	}
	defer unix.Close(fd)
	return unix.Openat(fd, ".", flags|unix.O_CLOEXEC, 0)
}

// resolveBeneath walks rel from the directory rfd (root's, which it takes
// over) one component at a time, never following a link without looking
// at it, and returns an O_PATH descriptor of what it names; a link or
// ".." that leads above root fails with EXDEV. noFollow leaves a final
// link unfollowed.
func resolveBeneath(root string, rfd int, rel string, noFollow bool) (int, error) {
	stack := []int{rfd} // the directories walked through, root first
	defer func() {
		for _, fd := range stack {
			unix.Close(fd)
		}
	}()
	todo := strings.Split(rel, "/")
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			if len(todo) == 0 {
				return unix.Dup(stack[len(stack)-1])
			}
			continue
		case "..":
			if len(stack) == 1 {
				return -1, unix.EXDEV
			}
			unix.Close(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			if len(todo) == 0 {
				return unix.Dup(stack[len(stack)-1])
			}
			continue
		}
		fd, err := unix.Openat(stack[len(stack)-1], c, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, err
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return -1, err
		}
		last := len(todo) == 0
		if st.Mode&unix.S_IFMT == unix.S_IFLNK && !(last && noFollow) {
			target, err := readlinkFd(fd)
			unix.Close(fd)
			if err != nil {
				return -1, err
			}
			if links++; links > 40 {
				return -1, unix.ELOOP
			}
			if strings.HasPrefix(target, "/") {
				// An absolute link may name a place below the root.
				r, ok := strings.CutPrefix(target, root)
				if !ok || (r != "" && !strings.HasPrefix(r, "/")) {
					return -1, unix.EXDEV
				}
				for _, fd := range stack[1:] {
					unix.Close(fd)
				}
				stack = stack[:1]
				target = strings.TrimPrefix(r, "/")
			}
			todo = append(strings.Split(target, "/"), todo...)
			continue
		}
		if last {
			return fd, nil
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			unix.Close(fd)
			return -1, unix.ENOTDIR
		}
		stack = append(stack, fd)
	}
	return unix.Dup(stack[len(stack)-1])
}

func readlinkFd(fd int) (string, error) {
	buf := make([]byte, 4096)
	n, err := unix.Readlinkat(fd, "", buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

func existsIn(roots []string, p string) bool {
	fd, err := openIn(roots, p, unix.O_PATH)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

// dirNotEmpty is DirectoryNotEmpty='s test: hidden and backup files do
// not count, and a directory that cannot be read counts as not empty, as
// in systemd.
func dirNotEmpty(roots []string, p string) bool {
	fd, err := openIn(roots, p, unix.O_RDONLY|unix.O_DIRECTORY)
	switch {
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENOTDIR), errors.Is(err, unix.EXDEV),
		errors.Is(err, unix.ELOOP):
		return false
	case err != nil:
		return true
	}
	f := os.NewFile(uintptr(fd), p)
	defer f.Close()
	for {
		names, err := f.Readdirnames(64)
		for _, n := range names {
			if !hiddenOrBackup(n) {
				return true
			}
		}
		if err != nil {
			return false
		}
	}
}

// hiddenOrBackup is systemd's hidden_or_backup_file().
func hiddenOrBackup(name string) bool {
	if strings.HasPrefix(name, ".") || name == "lost+found" || name == "aquota.user" || name == "aquota.group" ||
		strings.HasSuffix(name, "~") {
		return true
	}
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return false
	}
	switch name[i+1:] {
	case "rpmnew", "rpmsave", "rpmorig", "dpkg-old", "dpkg-new", "dpkg-tmp", "dpkg-dist", "dpkg-bak",
		"dpkg-backup", "dpkg-remove", "ucf-new", "ucf-old", "ucf-dist", "swp", "bak", "old", "new":
		return true
	}
	return false
}

// globFirst returns the first existing match of pattern below its root.
func globFirst(roots []string, pattern string) (string, bool) {
	matches, _ := filepath.Glob(pattern)
	for _, mt := range matches {
		fd, err := openIn(roots, mt, unix.O_PATH|unix.O_NOFOLLOW)
		if err == nil {
			unix.Close(fd)
			return mt, true
		}
	}
	return "", false
}

// makeDirBeneath is MakeDirectory='s mkdir -p. Below confining roots no
// symbolic link is followed ("." and ".." are not in p), so a capsule cannot have its manager create
// a directory elsewhere.
func makeDirBeneath(roots []string, p string, mode os.FileMode) error {
	if roots == nil {
		return os.MkdirAll(p, mode)
	}
	root, rel, ok := confine(roots, p)
	if !ok {
		return fmt.Errorf("%s: %w", p, unix.EXDEV)
	}
	cur, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer func() { unix.Close(cur) }()
	for _, c := range strings.Split(rel, "/") {
		if c == "" {
			continue
		}
		if err := unix.Mkdirat(cur, c, uint32(mode.Perm())); err != nil && err != unix.EEXIST {
			return err
		}
		next, err := unix.Openat(cur, c, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		unix.Close(cur)
		cur = next
	}
	return nil
}
