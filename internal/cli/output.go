package cli

import (
	"fmt"
	"io"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/escape"
	"github.com/capsuled/capsuled/internal/exitstatus"
)

func matchGlob(pattern, name string) (bool, error) { return path.Match(pattern, name) }

// printable escapes text a manager sent, so it cannot drive the terminal
// of the root user reading it: a capsule controls its manager and all it
// reports (unit names, output, command lines, cgroup names).
func printable(s string) string { return escape.Text(s) }

// printUnitTable prints units the way systemctl list-units does, the
// legend only under a table with rows, then footer; with legend false
// (--no-legend) only the rows, their columns as wide as their cells.
func printUnitTable(w io.Writer, units []api.Unit, footer string, legend bool) {
	wName, wLoad, wActive, wSub := len("UNIT"), len("LOAD"), len("ACTIVE"), len("SUB")
	if !legend {
		wName, wLoad, wActive, wSub = 0, 0, 0, 0
	}
	shown := make([]api.Unit, len(units))
	for i, u := range units {
		u.Name, u.LoadState, u.ActiveState, u.SubState = printable(u.Name), printable(u.LoadState),
			printable(u.ActiveState), printable(u.SubState)
		shown[i] = u
	}
	units = shown
	for _, u := range units {
		wName = max(wName, len(u.Name))
		wLoad = max(wLoad, len(u.LoadState))
		wActive = max(wActive, len(u.ActiveState))
		wSub = max(wSub, len(u.SubState))
	}
	if legend {
		fmt.Fprintf(w, "  %-*s %-*s %-*s %-*s %s\n", wName, "UNIT", wLoad, "LOAD", wActive, "ACTIVE", wSub, "SUB", "DESCRIPTION")
	}
	for _, u := range units {
		mark := " "
		if u.ActiveState == "failed" {
			mark = "●"
		}
		fmt.Fprintf(w, "%s %-*s %-*s %-*s %-*s %s\n", mark, wName, u.Name, wLoad, u.LoadState, wActive, u.ActiveState,
			wSub, u.SubState, printable(u.Description))
	}
	if !legend {
		return
	}
	if len(units) > 0 {
		fmt.Fprintf(w, "\nLegend: LOAD   → Reflects whether the unit definition was properly loaded.\n")
		fmt.Fprintf(w, "        ACTIVE → The high-level unit activation state, i.e. generalization of SUB.\n")
		fmt.Fprintf(w, "        SUB    → The low-level unit activation state, values depend on unit type.\n")
	}
	fmt.Fprintf(w, "\n%s", footer)
}

func printManager(w io.Writer, m *api.Manager) {
	name := "capsuled"
	if m.Capsule != "" {
		name = m.Capsule
	}
	name = printable(name)
	fmt.Fprintf(w, "● %s\n", name)
	fmt.Fprintf(w, "    State: %s\n", printable(m.State))
	fmt.Fprintf(w, "    Units: %d loaded\n", m.Units)
	fmt.Fprintf(w, "     Jobs: %d queued\n", m.Jobs)
	fmt.Fprintf(w, "   Failed: %d units\n", m.Failed)
	fmt.Fprintf(w, "    Since: %s\n", since(m.Since))
	fmt.Fprintf(w, " capsuled: %s (%s mode, PID %d)\n", printable(m.Version), printable(m.Mode), m.PID)
	fmt.Fprintf(w, "   CGroup: %s\n", printable(m.ControlGroup))
}

func since(us int64) string {
	t := time.UnixMicro(us)
	return fmt.Sprintf("%s; %s ago", t.Format("Mon 2006-01-02 15:04:05 MST"), ago(time.Since(t)))
}

func ago(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dmin %ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh %dmin", int(d.Hours()), int(d.Minutes())%60)
}

// printStatus prints one unit like systemctl status.
func printStatus(w io.Writer, u *api.Unit) {
	bullet := "●"
	switch u.ActiveState {
	case "inactive", "maintenance":
		bullet = "○"
	case "failed":
		bullet = "×"
	}
	// systemd prints " - DESCRIPTION" only when the unit has one of its own.
	if u.Description == "" || u.Description == u.Name {
		fmt.Fprintf(w, "%s %s\n", bullet, printable(u.Name))
	} else {
		fmt.Fprintf(w, "%s %s - %s\n", bullet, printable(u.Name), printable(u.Description))
	}
	loaded := printable(u.LoadState)
	switch {
	case u.LoadError != "":
		loaded = fmt.Sprintf("%s (Reason: %s)", loaded, printable(u.LoadError))
	case u.Fragment != "":
		loaded = fmt.Sprintf("%s (%s; %s)", loaded, printable(u.Fragment), printable(u.UnitFileState))
	}
	fmt.Fprintf(w, "     Loaded: %s\n", loaded)
	printDropIns(w, u.DropIns)
	if u.Transient {
		fmt.Fprintf(w, "  Transient: yes\n")
	}
	active := fmt.Sprintf("%s (%s)", printable(u.ActiveState), printable(u.SubState))
	if u.ActiveState == "failed" && u.Result != "" {
		active = fmt.Sprintf("failed (Result: %s)", printable(u.Result))
	}
	if u.StateChange != 0 {
		active += " since " + since(u.StateChange)
	}
	fmt.Fprintf(w, "     Active: %s\n", active)
	printChecks(w, u)
	if u.InvocationID != "" && u.ActiveState != "inactive" {
		fmt.Fprintf(w, " Invocation: %s\n", printable(u.InvocationID))
	}
	printTriggers(w, u)
	printListen(w, u)
	if a := u.Accept; a != nil {
		fmt.Fprintf(w, "   Accepted: %d; Connected: %d;", a.Accepted, a.Connected)
		// As systemctl: refused connections only once there are some.
		if a.Refused > 0 {
			fmt.Fprintf(w, "   Refused: %d", a.Refused)
		}
		fmt.Fprintln(w)
	}
	for _, e := range u.Execs {
		fmt.Fprintf(w, "    Process: %d %s=%s (code=%s, %s)\n", e.PID, printable(e.Kind), printable(e.Argv),
			printable(e.Code), exitText(e.Code, e.Status))
	}
	switch {
	case u.MainPID > 0:
		comm := ""
		for _, p := range u.Processes {
			if p.PID != u.MainPID {
				continue
			}
			// systemctl shows the process's name (comm); a manager
			// that sends none gives its command's program.
			switch {
			case p.Comm != "":
				comm = " (" + printable(p.Comm) + ")"
			case strings.TrimSpace(p.Command) != "":
				comm = " (" + printable(path.Base(strings.Fields(p.Command)[0])) + ")"
			}
		}
		fmt.Fprintf(w, "   Main PID: %d%s\n", u.MainPID, comm)
	case u.ExitCode != "":
		pid := ""
		if u.ExecMainPID > 0 {
			pid = fmt.Sprintf("%d ", u.ExecMainPID)
		}
		fmt.Fprintf(w, "   Main PID: %s(code=%s, %s)\n", pid, printable(u.ExitCode), exitText(u.ExitCode, u.ExitStatus))
	}
	if u.StatusText != "" {
		fmt.Fprintf(w, "     Status: \"%s\"\n", printable(u.StatusText))
	}
	if u.ControlGroup != "" {
		fmt.Fprintf(w, "     CGroup: %s\n", printable(u.ControlGroup))
		printTree(w, u.Processes)
		if u.ProcsError != "" {
			fmt.Fprintf(w, "             (more processes may run: %s)\n", printable(u.ProcsError))
		}
	}
	if len(u.Log) > 0 {
		fmt.Fprintln(w)
		for _, l := range u.Log {
			fmt.Fprintln(w, printable(l))
		}
	}
}

// printTree shows processes grouped by their sub-cgroup.
func printTree(w io.Writer, procs []api.Process) {
	groups := map[string][]api.Process{}
	var names []string
	for _, p := range procs {
		if _, ok := groups[p.Cgroup]; !ok {
			names = append(names, p.Cgroup)
		}
		groups[p.Cgroup] = append(groups[p.Cgroup], p)
	}
	sort.Strings(names)
	const indent = "             "
	for gi, g := range names {
		lastGroup := gi == len(names)-1
		prefix := indent
		if g != "" {
			branch, cont := "├─", "│ "
			if lastGroup {
				branch, cont = "└─", "  "
			}
			fmt.Fprintf(w, "%s%s%s\n", indent, branch, printable(g))
			prefix = indent + cont
		}
		ps := groups[g]
		for i, p := range ps {
			branch := "├─"
			// The unit's own processes come first; only the very last line
			// of the tree, or of a sub-cgroup, closes its branch.
			if i == len(ps)-1 && (g != "" || lastGroup) {
				branch = "└─"
			}
			cmd := p.Command
			if cmd == "" {
				cmd = "n/a" // as systemctl shows what it cannot read
			}
			fmt.Fprintf(w, "%s%s%d %s\n", prefix, branch, p.PID, printable(cmd))
		}
	}
}

// printChecks prints, as systemd does, the condition and the assert the
// last start of u found unmet.
func printChecks(w io.Writer, u *api.Unit) {
	if u.ConditionFailed != 0 {
		fmt.Fprintf(w, "  Condition: start condition unmet at %s\n", since(u.ConditionFailed))
		for i, c := range u.Unmet {
			glyph := "├─"
			if i == len(u.Unmet)-1 {
				glyph = "└─"
			}
			fmt.Fprintf(w, "             %s %s\n", glyph, printable(c))
		}
	}
	if u.AssertFailed != 0 {
		fmt.Fprintf(w, "     Assert: start assertion failed at %s\n", since(u.AssertFailed))
		if u.AssertUnmet != "" {
			fmt.Fprintf(w, "             %s\n", printable(u.AssertUnmet))
		}
	}
}

// exitText is how systemctl status words a main process's end:
// "status=0/SUCCESS" for an exit, "signal=TERM" for a signal.
func exitText(code string, status int) string {
	if code != "exited" {
		name := strings.TrimPrefix(unix.SignalName(syscall.Signal(status)), "SIG")
		if name == "" {
			name = strconv.Itoa(status)
		}
		return "signal=" + name
	}
	if name := exitstatus.Name(status); name != "" {
		return fmt.Sprintf("status=%d/%s", status, name)
	}
	return fmt.Sprintf("status=%d", status)
}

// printDropIns prints status's Drop-In: lines as systemctl 257 does: each
// directory, then "└─" and the names of its files, comma-separated.
func printDropIns(w io.Writer, paths []string) {
	head := "    Drop-In: "
	for i := 0; i < len(paths); {
		dir := filepath.Dir(paths[i])
		var names []string
		for ; i < len(paths) && filepath.Dir(paths[i]) == dir; i++ {
			names = append(names, printable(filepath.Base(paths[i])))
		}
		fmt.Fprintf(w, "%s%s\n             └─%s\n", head, printable(dir), strings.Join(names, ", "))
		head = "             "
	}
}
