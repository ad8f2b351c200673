package listen

import (
	"errors"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Symlink makes link a symbolic link to target (Symlinks=), making its
// directory as needed with mode, through the same walk as the listeners:
// never through a link someone else made. A link to target already there
// is kept.
func Symlink(target, link string, mode uint32) error {
	dir, name := filepath.Split(link)
	fd, err := openDir(dir, true, fileMode(mode))
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	err = unix.Symlinkat(target, fd, name)
	if errors.Is(err, unix.EEXIST) {
		if cur, rerr := readlinkAt(fd, name); rerr == nil && cur == target {
			return nil
		}
	}
	return err
}

// RemoveSymlink removes link if it is a symbolic link to target.
func RemoveSymlink(target, link string) error {
	dir, name := filepath.Split(link)
	fd, err := openDir(dir, false, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if cur, err := readlinkAt(fd, name); err != nil || cur != target {
		return err
	}
	return unix.Unlinkat(fd, name, 0)
}

func readlinkAt(dir int, name string) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(dir, name, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}
