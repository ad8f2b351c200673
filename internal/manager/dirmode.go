package manager

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// chmodDir gives an exec directory the mode of RuntimeDirectoryMode= (or
// a sibling), setuid, setgid and sticky bits included. It follows no
// link: a directory the service owns may have been replaced by one.
func chmodDir(path string, mode uint32) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("set mode of %s: %w", path, err)
	}
	defer unix.Close(fd)
	if err := unix.Fchmod(fd, mode); err != nil {
		return fmt.Errorf("set mode of %s to %04o: %w", path, mode, err)
	}
	return nil
}
