package cli

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/capsuled/capsuled/internal/api"
)

// fillProcesses completes the processes of u whose command line its
// manager could not read: a capsule's manager cannot see a process that
// made itself non-dumpable (ssh-agent, gpg-agent: their /proc entries are
// root's, which hidepid hides). capsulectl, root like systemctl, reads
// them itself, but only for a PID that /proc shows inside within (the
// capsule's cgroup as the system manager gives it), so a capsule cannot
// make root's status describe processes that are not its own.
func fillProcesses(u *api.Unit, within string) {
	if within == "" {
		return
	}
	for i := range u.Processes {
		p := &u.Processes[i]
		if p.Command != "" || p.PID <= 0 {
			continue
		}
		dir := filepath.Join("/proc", strconv.Itoa(p.PID))
		cmd, cerr := os.ReadFile(filepath.Join(dir, "cmdline"))
		comm, merr := os.ReadFile(filepath.Join(dir, "comm"))
		if cerr != nil || merr != nil || !inCgroup(p.PID, within) {
			continue
		}
		p.Comm = strings.TrimSuffix(string(comm), "\n")
		p.Command = strings.TrimRight(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})), " ")
		if p.Command == "" {
			p.Command = "[" + p.Comm + "]"
		}
	}
}

// inCgroup reports whether pid's cgroup (of the unified hierarchy) is
// within or below it.
func inCgroup(pid int, within string) bool {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "cgroup"))
	if err != nil {
		return false
	}
	defer f.Close()
	within = "/" + strings.Trim(within, "/")
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if cg, ok := strings.CutPrefix(sc.Text(), "0::"); ok {
			return within == "/" || cg == within || strings.HasPrefix(cg, within+"/")
		}
	}
	return false
}
