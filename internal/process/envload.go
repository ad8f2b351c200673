package process

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// EnvFileRef is one EnvironmentFile= entry.
type EnvFileRef struct {
	Path         string // absolute; may hold glob patterns
	IgnoreErrors bool
}

// InvalidAssignment is a line of an environment file that was skipped.
type InvalidAssignment struct {
	Assignment, File string
}

// maxEnvFile bounds what is read of one environment file.
const maxEnvFile = 4 << 20

// LoadEnvFiles reads the environment files in order, each glob's matches
// in turn, later assignments winning, as systemd reads them before each
// process of a unit. open opens one file for reading. A missing or bad
// file is an error unless its entry ignores errors.
func LoadEnvFiles(files []EnvFileRef, open func(string) (*os.File, error)) (env []string, invalid []InvalidAssignment, err error) {
	for _, f := range files {
		paths, err := filepath.Glob(f.Path)
		if err == nil && len(paths) == 0 {
			err = &os.PathError{Op: "open", Path: f.Path, Err: unix.ENOENT}
		}
		if err != nil {
			if f.IgnoreErrors {
				continue
			}
			return nil, nil, err
		}
		for _, p := range paths {
			data, err := readEnvFile(p, open)
			if err != nil {
				if f.IgnoreErrors {
					continue
				}
				return nil, nil, err
			}
			good, bad := ParseEnvFile(data)
			for _, kv := range bad {
				invalid = append(invalid, InvalidAssignment{kv, p})
			}
			for _, kv := range good {
				env = setAssignment(env, kv)
			}
		}
	}
	return env, invalid, nil
}

func readEnvFile(path string, open func(string) (*os.File, error)) (string, error) {
	f, err := open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	// Not a FIFO or device a reader could be kept waiting on.
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s: not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxEnvFile+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxEnvFile {
		return "", fmt.Errorf("%s: larger than %d bytes", path, maxEnvFile)
	}
	return string(b), nil
}

// OpenEnvFile opens path for reading without waiting on a FIFO.
func OpenEnvFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
}

// maxSymlinks is the kernel's limit of symbolic links in one lookup.
const maxSymlinks = 40

// OpenEnvFileAsRoot opens path for reading on behalf of root, following a
// symbolic link only when root owns it: a link a user (a capsule) made
// must not take root to a file that user could not read itself. Each
// component is opened relative to its parent without following links.
func OpenEnvFileAsRoot(path string) (*os.File, error) {
	if !filepath.IsAbs(path) {
		return nil, fmt.Errorf("open %s: not an absolute path", path)
	}
	dir, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /: %w", err)
	}
	defer func() { unix.Close(dir) }()
	rest := splitPath(path)
	links := 0
	for len(rest) > 0 {
		name := rest[0]
		rest = rest[1:]
		if len(rest) == 0 {
			fd, err := unix.Openat(dir, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
			if err == nil {
				if err := checkForeignLink(dir, fd); err != nil {
					unix.Close(fd)
					return nil, fmt.Errorf("open %s: %w", path, err)
				}
				return os.NewFile(uintptr(fd), path), nil
			}
			if !errors.Is(err, unix.ELOOP) {
				return nil, &os.PathError{Op: "open", Path: path, Err: err}
			}
		}
		fd, err := unix.Openat(dir, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: path, Err: err}
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return nil, &os.PathError{Op: "stat", Path: path, Err: err}
		}
		if st.Mode&unix.S_IFMT != unix.S_IFLNK {
			unix.Close(dir)
			dir = fd
			continue
		}
		target, err := readlinkFD(fd)
		unix.Close(fd)
		if err != nil {
			return nil, &os.PathError{Op: "readlink", Path: path, Err: err}
		}
		if st.Uid != 0 {
			return nil, fmt.Errorf("open %s: refusing to follow the symbolic link %s owned by UID %d", path, name, st.Uid)
		}
		if links++; links > maxSymlinks {
			return nil, &os.PathError{Op: "open", Path: path, Err: unix.ELOOP}
		}
		if strings.HasPrefix(target, "/") {
			root, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				return nil, fmt.Errorf("open /: %w", err)
			}
			unix.Close(dir)
			dir = root
		}
		rest = append(splitPath(target), rest...)
	}
	// The path named a directory ("/" or ending in "/.").
	return nil, &os.PathError{Op: "open", Path: path, Err: unix.EISDIR}
}

// checkForeignLink refuses a file with more than one name that sits in a
// user's directory but belongs to someone else: a hard link the user made
// to it, should the kernel allow that (fs.protected_hardlinks=0).
func checkForeignLink(dir, fd int) error {
	var d, f unix.Stat_t
	if err := unix.Fstat(dir, &d); err != nil {
		return err
	}
	if err := unix.Fstat(fd, &f); err != nil {
		return err
	}
	if d.Uid != 0 && f.Nlink > 1 && f.Uid != d.Uid {
		return fmt.Errorf("refusing a file of UID %d with %d names in a directory of UID %d", f.Uid, f.Nlink, d.Uid)
	}
	return nil
}

// splitPath lists the components of p, "." ones dropped.
func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}

func readlinkFD(fd int) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(fd, "", buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}
