package executor

import (
	"slices"
	"strconv"
	"strings"
	"sync"
)

// syscallTables is the parsed form of syscalldata.go, built on first use:
// only units with a system call filter need it.
type syscallTables struct {
	groups map[string][]string          // "@name" -> members as listed
	nums   map[string]map[string]uint32 // table name -> syscall -> number
	known  map[string]bool              // every name of any ABI or group
}

var tablesOnce = sync.OnceValue(func() *syscallTables {
	t := &syscallTables{groups: map[string][]string{}, nums: map[string]map[string]uint32{}, known: map[string]bool{}}
	for name, data := range map[string]string{"x86_64": syscallNumsX86_64, "i386": syscallNumsI386,
		"aarch64": syscallNumsAArch64, "arm": syscallNumsARM} {
		m := map[string]uint32{}
		for _, line := range strings.Split(strings.TrimSpace(data), "\n") {
			n, v, _ := strings.Cut(line, " ")
			nr, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				continue
			}
			m[n] = uint32(nr)
			t.known[n] = true
		}
		t.nums[name] = m
	}
	var cur string
	for _, line := range strings.Split(strings.Trim(syscallGroupData, "\n"), "\n") {
		member, ok := strings.CutPrefix(line, " ")
		if !ok {
			cur = line
			t.groups[cur] = []string{}
			continue
		}
		t.groups[cur] = append(t.groups[cur], member)
		if !strings.HasPrefix(member, "@") {
			t.known[member] = true
		}
	}
	return t
})

// SyscallGroups lists the names of systemd's system call groups, @known
// included, sorted.
func SyscallGroups() []string {
	out := []string{"@known"}
	for g := range tablesOnce().groups {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}

// ExpandSyscalls returns the system calls entry stands for: itself if it
// is a system call any known ABI has or a group lists, the members of a
// group (groups within it expanded), sorted; ok is false for a name
// nothing knows.
func ExpandSyscalls(entry string) (names []string, ok bool) {
	t := tablesOnce()
	if entry == "@known" {
		for n := range t.known {
			names = append(names, n)
		}
		slices.Sort(names)
		return names, true
	}
	if !strings.HasPrefix(entry, "@") {
		return []string{entry}, t.known[entry]
	}
	if _, ok := t.groups[entry]; !ok {
		return nil, false
	}
	seen := map[string]bool{}
	var walk func(g string)
	walk = func(g string) {
		if seen[g] {
			return
		}
		seen[g] = true
		for _, m := range t.groups[g] {
			if strings.HasPrefix(m, "@") {
				walk(m)
			} else {
				names = append(names, m)
			}
		}
	}
	walk(entry)
	slices.Sort(names)
	return slices.Compact(names), true
}

// syscallNumber returns the number of a system call on ABI table
// ("x86_64", "i386", "aarch64", "arm"); false where that ABI lacks it.
func syscallNumber(table, name string) (uint32, bool) {
	n, ok := tablesOnce().nums[table][name]
	return n, ok
}

// maxSyscall is the highest number of table: what lies beyond came after
// this list and is unknown to the filter.
func maxSyscall(table string) uint32 {
	var m uint32
	for _, n := range tablesOnce().nums[table] {
		if n > m && n < 0x0f0000 { // ARM's private calls sit far above
			m = n
		}
	}
	return m
}
