// Package cgroup manages processes through the unified (v2) cgroup
// hierarchy: locating it, creating and delegating cgroups, placing,
// signalling and killing processes, and waiting for cgroups to empty.
package cgroup

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Mountpoint returns where the cgroup2 file system is mounted, as seen by
// the calling process. On hybrid systems this is typically
// /sys/fs/cgroup/unified, on unified systems /sys/fs/cgroup.
func Mountpoint() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", fmt.Errorf("cgroup2 mount point: %w", err)
	}
	defer f.Close()
	mp, err := ParseMountinfo(f)
	if err != nil {
		return "", fmt.Errorf("cgroup2 mount point: %w", err)
	}
	return mp, nil
}

// ParseMountinfo returns the mount point of the first cgroup2 file system
// listed in r, which must be in the format of /proc/<pid>/mountinfo.
func ParseMountinfo(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	// Mount points can be long; do not let a single line abort the scan.
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		// Layout: id parent major:minor root mountpoint options
		// [optional fields...] - fstype source superoptions.
		// The number of optional fields varies, so the file system type
		// can only be found relative to the lone "-" separator.
		fields := strings.Split(line, " ")
		sep := -1
		for i := 6; i < len(fields); i++ {
			if fields[i] == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+1 >= len(fields) {
			return "", fmt.Errorf("mountinfo line %d: malformed: %q", n, line)
		}
		if fields[sep+1] == "cgroup2" {
			return unescapeOctal(fields[4]), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read mountinfo: %w", err)
	}
	return "", errors.New("no cgroup2 file system mounted")
}

// unescapeOctal undoes the kernel's escaping of space, tab, newline and
// backslash as \ooo in mountinfo paths.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] <= '3' && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			v := (s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0')
			b.WriteByte(v)
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// Self returns the cgroup2 path of the calling process, relative to the
// hierarchy's root, e.g. "/" or "/system.slice/x.service".
func Self() (string, error) {
	return procCgroup("/proc/self/cgroup", "self")
}

// OfPID returns the cgroup2 path of process pid, relative to the
// hierarchy's root.
func OfPID(pid int) (string, error) {
	if pid <= 0 {
		return "", fmt.Errorf("cgroup of pid %d: invalid pid", pid)
	}
	return procCgroup("/proc/"+strconv.Itoa(pid)+"/cgroup", "pid "+strconv.Itoa(pid))
}

func procCgroup(file, who string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("cgroup of %s: %w", who, err)
	}
	defer f.Close()
	cg, err := parseProcCgroup(f)
	if err != nil {
		return "", fmt.Errorf("cgroup of %s: %w", who, err)
	}
	return cg, nil
}

// parseProcCgroup extracts the unified hierarchy's entry ("0::<path>")
// from the contents of /proc/<pid>/cgroup; v1 entries are ignored.
func parseProcCgroup(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "0::"); ok {
			if p == "" {
				return "", errors.New("empty cgroup2 path")
			}
			return p, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", errors.New("no cgroup2 entry")
}
