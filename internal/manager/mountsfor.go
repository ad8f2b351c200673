package manager

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// defaultFstab lists the file systems systemd would make mount units of.
const defaultFstab = "/etc/fstab"

// unmetMountsFor returns a path of the unit's RequiresMountsFor= and a
// file system it needs that fstab lists (so systemd would have a mount
// unit for it and mount it first) but that is not mounted: capsuled
// mounts nothing, so the start fails as a failed dependency would. A path
// no listed file system is needed for is met as it is.
func (m *Manager) unmetMountsFor(u *Unit) (path, mnt string) {
	if u.conf == nil || len(u.conf.Unit.RequiresMountsFor) == 0 {
		return "", ""
	}
	fstab := m.cfg.Fstab
	if fstab == "" {
		fstab = defaultFstab
	}
	listed := mountTable(fstab, 1)
	if len(listed) == 0 {
		return "", ""
	}
	mounted := map[string]bool{}
	for _, p := range mountTable("/proc/self/mountinfo", 4) {
		mounted[p] = true
	}
	for _, p := range u.conf.Unit.RequiresMountsFor {
		for _, mp := range listed {
			if (p == mp || strings.HasPrefix(p, mp+"/") || mp == "/") && !mounted[mp] {
				return p, mp
			}
		}
	}
	return "", ""
}

// mountTable returns field (0-based) of each line of an fstab-like table,
// octal escapes decoded: the mount points of /etc/fstab (field 1) or of
// /proc/self/mountinfo (field 4). Comments, swap and non-absolute entries
// are skipped; an unreadable table is empty.
func mountTable(file string, field int) []string {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) <= field {
			continue
		}
		p := unescapeMount(fs[field])
		if !strings.HasPrefix(p, "/") {
			continue // "none", "swap"
		}
		out = append(out, filepath.Clean(p))
	}
	return out
}

// unescapeMount decodes the \ooo escapes fstab and mountinfo use for
// spaces and other special characters.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
