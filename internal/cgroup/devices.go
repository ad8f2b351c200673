package cgroup

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// DeviceLines turns a DeviceAllow= entry into the lines the v1 devices
// controller's devices.allow takes ("c 1:3 rw"): a device node by its
// number, a driver class ("char-pts", "block-loop", globs such as
// "char-cpu/*") by the majors /proc/devices lists for matching drivers. A
// node that does not exist or a class that matches nothing gives no line,
// as systemd skips them.
func DeviceLines(spec, access string) ([]string, error) {
	for _, c := range []struct{ prefix, section, typ string }{
		{"char-", "Character devices:", "c"}, {"block-", "Block devices:", "b"},
	} {
		if pattern, ok := strings.CutPrefix(spec, c.prefix); ok {
			majors, err := driverMajors("/proc/devices", c.section, pattern)
			if err != nil {
				return nil, err
			}
			var out []string
			for _, maj := range majors {
				out = append(out, fmt.Sprintf("%s %s:* %s", c.typ, maj, access))
			}
			return out, nil
		}
	}
	var st unix.Stat_t
	if err := unix.Stat(spec, &st); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("device %s: %w", spec, err)
	}
	typ := ""
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFCHR:
		typ = "c"
	case unix.S_IFBLK:
		typ = "b"
	default:
		return nil, fmt.Errorf("device %s: not a device node", spec)
	}
	return []string{fmt.Sprintf("%s %d:%d %s", typ, unix.Major(st.Rdev), unix.Minor(st.Rdev), access)}, nil
}

// driverMajors returns the majors of the drivers in section of a
// /proc/devices file whose names match pattern.
func driverMajors(file, section, pattern string) ([]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("read device classes: %w", err)
	}
	defer f.Close()
	var out []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasSuffix(line, ":") {
			in = line == section
			continue
		}
		maj, name, ok := strings.Cut(line, " ")
		if !in || !ok {
			continue
		}
		if m, _ := path.Match(pattern, strings.TrimSpace(name)); m {
			out = append(out, maj)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read device classes: %w", err)
	}
	return out, nil
}
