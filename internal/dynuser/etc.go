package dynuser

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// etcEntry is the part of a passwd or group line this package cares about.
type etcEntry struct {
	name string
	id   uint32
}

// readEtc parses a passwd(5) or group(5) style file; the id is the third
// field in both. A missing file yields no entries, since a minimal root may
// lack one of them.
func readEtc(path string) ([]etcEntry, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	var out []etcEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		// NIS compat lines (+/-) and comments carry no local entries.
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		fields := strings.SplitN(line, ":", 4)
		if len(fields) < 3 {
			continue
		}
		id, err := strconv.ParseUint(fields[2], 10, 32)
		if err != nil {
			continue
		}
		out = append(out, etcEntry{name: fields[0], id: uint32(id)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

// lookupEtcName returns the id of the entry called name.
func lookupEtcName(path, name string) (uint32, bool, error) {
	entries, err := readEtc(path)
	if err != nil {
		return 0, false, err
	}
	for _, e := range entries {
		if e.name == name {
			return e.id, true, nil
		}
	}
	return 0, false, nil
}

// etcHasID reports whether any entry in path uses id.
func etcHasID(path string, id uint32) (bool, error) {
	entries, err := readEtc(path)
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if e.id == id {
			return true, nil
		}
	}
	return false, nil
}
