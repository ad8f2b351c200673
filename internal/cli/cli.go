// Package cli implements capsulectl: systemctl's and systemd-run's grammar,
// output and exit codes, spoken to capsuled over varlink.
package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/dynuser"
	"github.com/capsuled/capsuled/internal/escape"
	"github.com/capsuled/capsuled/internal/varlink"
)

// Exit codes as systemctl uses them (LSB for status/is-active).
const (
	exitFailure    = 1
	exitUsage      = 2
	exitInactive   = 3
	exitNoSuchUnit = 4
	exitNotLoaded  = 5
)

// exitError carries an exit code and an optional message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func fail(code int, format string, args ...any) error {
	return &exitError{code: code, msg: fmt.Sprintf(format, args...)}
}

// IO is what a command reads and writes.
type IO struct {
	Stdin          *os.File
	Stdout, Stderr io.Writer
}

// options are the global options, valid before or after the verb.
type options struct {
	capsule    string
	capsuleSet bool // -C given, even if empty
	output     string
	all        bool
	lines      int
	what       []string
	quiet      bool
	now        bool
	help       bool
	units      []string
	follow     bool
	props      []string // show -p
	value      bool     // show --value
	reverse    bool     // list-dependencies --reverse
	after      bool     // list-dependencies --after
	before     bool     // list-dependencies --before
	plain      bool     // list-dependencies --plain
	jobMode    string   // --job-mode=
	noBlock    bool     // --no-block
	noLegend   bool     // list-*: no header and footer
	showTypes  bool     // list-sockets --show-types
	signal     string   // kill -s
	killWhom   string   // kill --kill-whom=
	states     []string // list-units, list-unit-files, ... --state= (--failed: failed)
	types      []string // list-units, list-unit-files, ... --type=
	user       bool     // --user: refused, capsulectl has no per-user manager
	runtime    bool     // mask, unmask, edit --runtime
	dropIn     string   // edit --drop-in=
	full       bool     // edit --full; -l, --full elsewhere (capsulectl never ellipsizes)
	stdin      bool     // edit --stdin
	force      bool     // edit --force
	since      string   // logs --since=
	until      string   // logs --until=
	priority   string   // logs --priority= (-p is show's --property)
	invocation string   // logs --invocation=
}

// register adds the global options to fs; run has its own -u, so the
// logs options are left out for it.
func (o *options) register(fs *flag.FlagSet, forRun bool) {
	if !forRun {
		addUnit := func(s string) error { o.units = append(o.units, s); return nil }
		fs.Func("unit", "logs: show the log of `UNIT`", addUnit)
		fs.Func("u", "short for --unit", addUnit)
		addProp := func(s string) error {
			for _, p := range strings.Split(s, ",") {
				if p != "" {
					o.props = append(o.props, p)
				}
			}
			return nil
		}
		fs.Func("property", "show: only the properties `NAME[,NAME...]`", addProp)
		fs.Func("p", "short for --property", addProp)
		fs.Func("P", "show: same as --property=`NAME` --value", func(s string) error {
			o.value = true
			return addProp(s)
		})
	}
	fs.BoolVar(&o.value, "value", o.value, "show: print values only")
	fs.BoolVar(&o.reverse, "reverse", o.reverse, "list-dependencies: show the units that depend on the unit")
	fs.BoolVar(&o.after, "after", o.after, "list-dependencies: show the units the unit is ordered after; list-jobs: the jobs each job blocks")
	fs.BoolVar(&o.before, "before", o.before, "list-dependencies: show the units the unit is ordered before; list-jobs: the jobs each job waits for")
	fs.BoolVar(&o.noLegend, "no-legend", o.noLegend, "list-*: no header and footer")
	fs.BoolVar(&o.showTypes, "show-types", o.showTypes, "list-sockets: show the socket types")
	fs.BoolVar(&o.plain, "plain", o.plain, "list-dependencies: a flat list instead of a tree")
	fs.StringVar(&o.jobMode, "job-mode", o.jobMode, "start/stop/restart: how the job deals with queued jobs (`MODE`)")
	fs.BoolVar(&o.follow, "follow", o.follow, "logs: keep printing new lines")
	fs.BoolVar(&o.follow, "f", o.follow, "short for --follow")
	fs.StringVar(&o.since, "since", o.since, "logs: lines from `TIME` on")
	fs.StringVar(&o.until, "until", o.until, "logs: lines up to `TIME`")
	fs.StringVar(&o.priority, "priority", o.priority, "logs: lines at `LEVEL` or more important")
	fs.StringVar(&o.invocation, "invocation", o.invocation, "logs: lines of one invocation of the unit (`ID`, or 0: the newest)")
	setCapsule := func(s string) error { o.capsule, o.capsuleSet = s, true; return nil }
	fs.Func("capsule", "operate on the manager of capsule `NAME`", setCapsule)
	fs.Func("C", "short for --capsule", setCapsule)
	fs.StringVar(&o.output, "output", o.output, "output `mode`: json for machine-readable output")
	fs.StringVar(&o.output, "o", o.output, "short for --output")
	fs.BoolVar(&o.all, "all", o.all, "list-units: show inactive units too")
	fs.BoolVar(&o.all, "a", o.all, "short for --all")
	fs.BoolVar(&o.user, "user", o.user, "refused: use -C NAME for a capsule's manager")
	fs.IntVar(&o.lines, "lines", o.lines, "status: number of log lines to show")
	fs.IntVar(&o.lines, "n", o.lines, "short for --lines")
	fs.Func("what", "clean: runtime, state, cache, logs, configuration, fdstore or all (repeatable, comma-separated)", func(s string) error {
		if s == "" {
			return errors.New("--what= requires arguments (see --what=help)")
		}
		o.what = append(o.what, strings.Split(s, ",")...)
		return nil
	})
	fs.BoolVar(&o.quiet, "quiet", o.quiet, "suppress informational messages")
	fs.BoolVar(&o.quiet, "q", o.quiet, "short for --quiet")
	fs.BoolVar(&o.now, "now", o.now, "enable/disable: also start/stop the unit")
	fs.BoolVar(&o.help, "help", false, "show help")
	fs.BoolVar(&o.help, "h", false, "short for --help")
	fs.Bool("no-pager", false, "accepted for compatibility; capsulectl never pages")
	fs.BoolVar(&o.noBlock, "no-block", o.noBlock, "start/stop/restart: do not wait for the job to finish")
	if !forRun {
		o.registerUnitFileOptions(fs)
	}
}

// registerUnitFileOptions adds the options of kill, list-unit-files,
// mask, unmask and edit (run has a -t of its own).
func (o *options) registerUnitFileOptions(fs *flag.FlagSet) {
	fs.StringVar(&o.signal, "signal", o.signal, "kill: the `SIGNAL` to send (name or number)")
	fs.StringVar(&o.signal, "s", o.signal, "short for --signal")
	fs.StringVar(&o.killWhom, "kill-whom", o.killWhom, "kill: main, control or all processes")
	fs.StringVar(&o.killWhom, "kill-who", o.killWhom, "same as --kill-whom")
	addList := func(l *[]string) func(string) error {
		return func(s string) error {
			for _, v := range strings.Split(s, ",") {
				if v != "" {
					*l = append(*l, strings.TrimPrefix(v, "."))
				}
			}
			return nil
		}
	}
	fs.Func("state", "list-units, list-unit-files, list-timers, list-paths: only units in these `STATES`", addList(&o.states))
	fs.Func("type", "list-units, list-unit-files, list-timers, list-paths: only units of these `TYPES`", addList(&o.types))
	fs.Func("t", "short for --type", addList(&o.types))
	fs.BoolFunc("failed", "same as --state=failed", func(string) error { o.states = append(o.states, "failed"); return nil })
	fs.BoolVar(&o.runtime, "runtime", o.runtime, "mask, unmask, edit: only until the next reboot")
	fs.StringVar(&o.dropIn, "drop-in", o.dropIn, "edit: the drop-in file `NAME` (default override)")
	fs.BoolVar(&o.full, "full", o.full, "edit: edit a copy of the whole unit file; elsewhere accepted: nothing is ellipsized")
	fs.BoolVar(&o.full, "l", o.full, "short for --full")
	fs.BoolVar(&o.stdin, "stdin", o.stdin, "edit: take the new text from stdin")
	fs.BoolVar(&o.force, "force", o.force, "edit: create the unit's file if it has none")
}

const usage = `capsulectl [OPTIONS...] COMMAND ...

Control capsuled and the managers of its capsules.

Commands:
  list-units                   List loaded units (default)
  status UNIT...               Show the status of units
  is-active UNIT...            Print whether units are active
  start UNIT...                Start units and wait until they are up
  stop UNIT...                 Stop units
  restart UNIT...              Stop, then start units
  try-restart UNIT...          Restart units that are running
  reload UNIT...               Reload units (ExecReload=)
  reload-or-restart UNIT...    Reload units that can, restart others, starting stopped ones
  try-reload-or-restart UNIT...  Reload or restart units that are running
  is-failed [UNIT...]          Print whether units failed (without: whether the manager is degraded)
  show [UNIT...]               Show properties of units (without: of the manager)
  list-dependencies [UNIT...]  Show the units a unit needs as a tree
  reset-failed [UNIT...]       Forget failed states
  show-environment             Print the manager's environment block
  set-environment VAR=VALUE... Set variables in the manager's environment block
  unset-environment VAR...     Remove variables from the manager's environment block
  list-jobs [PATTERN...]       List queued jobs (--after, --before: how they wait)
  list-timers [PATTERN...]     List active timers (--all: loaded inactive ones too)
  list-paths [PATTERN...]      List watched paths of active path units (--all: inactive ones too)
  list-sockets [PATTERN...]    List listeners of active socket units (--all, --show-types)
  cancel [JOB...]              Cancel jobs by ID (without IDs: all jobs)
  daemon-reload                Re-read all unit files
  cat UNIT...                  Show the files and drop-ins of units
  kill [-s SIG] [--kill-whom=main|control|all] UNIT...  Send a signal to the processes of units
  list-unit-files [PATTERN...] List unit files (--state=, --type=)
  mask [--runtime] UNIT...     Link units to /dev/null so they cannot start
  unmask [--runtime] UNIT...   Remove those links
  edit [--runtime] [--drop-in=NAME] [--full] [--stdin] [--force] UNIT...
                               Edit a drop-in or a copy of units (--force: create new units)
  enable [--now] UNIT...       Link units as their [Install] section says
  disable [--now] UNIT...      Remove those links
  is-enabled UNIT...           Print enabled, disabled, static, ...
  logs [-u UNIT...] [-f] [-n N] [--since=TIME] [--until=TIME] [-p PRIO] [-o json|cat|short]
       [--invocation=ID|0]     Log lines of units (or the whole manager); -f follows
  bus [busctl VERB [ARGS...]]  busctl's verbs on a capsule's own D-Bus broker (with -C;
                               see capsulectl -C NAME bus --help)
  clean [--what=...] UNIT...   Remove a unit's directories (unit must be stopped)
  is-system-running            Print the manager's state (exit 0 if running)
  run [OPTIONS] COMMAND...     Run a command as a transient service
  calendar EXPR...             Normalize calendar events, show next elapses

Options:
  -C --capsule=NAME            Talk to the manager of capsule NAME
  -o --output=json             Machine-readable output
  -a --all                     list-units: include inactive units
  -n --lines=N                 status: log lines to show (default 10)
     --what=KIND               clean: runtime,state,cache,logs,configuration,fdstore,all
  -q --quiet                   Fewer messages
  -p --property=NAME[,NAME]    show: only these properties
  -P NAME                      show: the value of NAME only (-p NAME --value)
     --value                   show: values only
     --reverse                 list-dependencies: units that need the unit
     --after, --before         list-dependencies: ordering instead of requirements;
                               list-jobs: the jobs each job blocks / waits for
     --no-legend               list-units, list-jobs, list-timers, list-paths,
                               list-sockets, list-unit-files: no header and footer
     --show-types              list-sockets: a TYPE column
     --plain                   list-dependencies: a flat list
     --no-block                start/stop/...: do not wait for the job
  -t --type=TYPE[,TYPE]        list-units, list-unit-files, list-timers, list-paths, list-sockets:
                               only units of these types
     --state=STATE[,STATE]     the same: only units in these states
     --failed                  same as --state=failed
  -l --full                    accepted: capsulectl never ellipsizes
     (no --user: a capsule's manager is reached with -C NAME)
     --job-mode=MODE           start/stop/...: job mode (replace, fail, isolate, flush,
                               ignore-dependencies, ignore-requirements,
                               replace-irreversibly, triggering)

run options:
  -u --unit=NAME               Name of the transient unit
  -t --pty                     Run on a new terminal connected to this one
  -P --pipe                    Connect the command to this stdin/stdout/stderr
     --wait                    Wait until the command ends; exit with its status
  -p --property=KEY=VALUE      Set a unit property
  -E --setenv=NAME=VALUE       Set an environment variable
  -G --collect                 Unload the unit even if it failed
     --description=TEXT        Unit description
     --working-directory=DIR   Working directory of the command
     --on-active=SEC, --on-boot=SEC, --on-startup=SEC, --on-unit-active=SEC,
     --on-unit-inactive=SEC, --on-calendar=SPEC, --on-clock-change,
     --on-timezone-change      Start the command from a transient timer
     --timer-property=KEY=VALUE  Set a property of that timer
`

// Main runs capsulectl with args (without the program name) and returns
// the exit code.
func Main(args []string, stdio IO, paths Paths) int {
	// Everything capsulectl prints passes through an escaping writer (a
	// capsule controls what its manager says); only the byte stream of
	// run -t/-P is relayed raw, by runCommand from the raw stdio.
	raw := stdio
	stdio.Stdout, stdio.Stderr = escape.NewWriter(stdio.Stdout), escape.NewWriter(stdio.Stderr)
	err := run(args, raw, stdio, paths)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stdio.Stderr, ee.msg)
		}
		return ee.code
	}
	fmt.Fprintln(stdio.Stderr, err)
	return exitFailure
}

func run(args []string, raw, stdio IO, paths Paths) error {
	o := &options{lines: 10}
	verb, rest, err := splitVerb(args, o)
	if err != nil {
		return err
	}
	if err := o.noUserManager(); err != nil {
		return err
	}
	if o.help {
		fmt.Fprint(stdio.Stdout, usage)
		return nil
	}
	if verb == "run" {
		return runCommand(rest, o, raw, stdio, paths)
	}
	if verb == "bus" {
		return busCommand(rest, o, raw, stdio, paths)
	}
	if verb == "calendar" {
		return calendarCommand(rest, stdio, time.Local, time.Now())
	}
	pos, err := parseInterleaved(rest, o)
	if err != nil {
		return err
	}
	if o.help {
		fmt.Fprint(stdio.Stdout, usage)
		return nil
	}
	if err := o.noUserManager(); err != nil {
		return err
	}
	if help, err := o.sortTypes(stdio.Stdout); help || err != nil {
		return err
	}
	if o.output != "" && o.output != "json" && (verb != "logs" || o.output != "cat" && o.output != "short") {
		return fail(exitUsage, "Unknown output mode %q (only json is supported; logs: json, cat, short)", o.output)
	}
	for _, w := range o.what {
		if w == "help" {
			fmt.Fprintln(stdio.Stdout, "runtime\nstate\ncache\nlogs\nconfiguration\nfdstore\nall")
			return nil
		}
	}
	needUnits := map[string]bool{"status": false, "is-active": true, "start": true, "stop": true, "restart": true,
		"try-restart": true, "reload": true, "reload-or-restart": true, "try-reload-or-restart": true, "clean": true, "enable": true, "disable": true,
		"is-enabled": true, "cat": true, "kill": true, "mask": true, "unmask": true, "edit": true}
	need, known := needUnits[verb]
	switch verb {
	case "list-units", "is-system-running", "reset-failed", "daemon-reload", "logs", "is-failed", "show",
		"list-dependencies", "list-jobs", "cancel", "list-timers", "list-paths", "list-sockets", "list-unit-files",
		"show-environment", "set-environment", "unset-environment":
		known = true
	}
	if !known {
		return fail(exitUsage, "Unknown command verb '%s'; see capsulectl --help.", verb)
	}
	if need && len(pos) == 0 {
		return fail(exitUsage, "Too few arguments: %s needs at least one unit name.", verb)
	}
	t, err := dial(paths, o)
	if err != nil {
		return err
	}
	defer t.client.Close()
	c := &ctl{t: t, o: o, io: stdio, paths: paths}
	pos, done, err := c.expandForVerb(verb, pos)
	if done {
		return err
	}
	switch verb {
	case "list-units":
		return c.listUnits(pos)
	case "is-system-running":
		return c.isSystemRunning()
	case "status":
		return c.status(pos)
	case "is-active":
		return c.isActive(pos)
	case "start", "stop", "restart", "try-restart", "reload", "reload-or-restart", "try-reload-or-restart":
		return c.job(verb, pos)
	case "is-failed":
		return c.isFailed(pos)
	case "show":
		return c.show(pos)
	case "list-dependencies":
		return c.listDependencies(pos)
	case "list-jobs":
		return c.listJobs(pos)
	case "list-timers":
		return c.listTimers(pos)
	case "list-paths":
		return c.listPaths(pos)
	case "list-sockets":
		return c.listSockets(pos)
	case "cancel":
		return c.cancel(pos)
	case "clean":
		return c.clean(pos)
	case "enable", "disable":
		return c.install(verb, pos)
	case "is-enabled":
		return c.isEnabled(pos)
	case "cat":
		return c.cat(pos)
	case "kill":
		return c.kill(pos)
	case "list-unit-files":
		return c.listUnitFiles(pos)
	case "mask", "unmask":
		return c.mask(verb, pos)
	case "edit":
		return c.edit(raw, pos)
	case "logs":
		return c.logs(args, pos)
	case "reset-failed":
		return c.resetFailed(pos)
	case "show-environment":
		return c.showEnvironment()
	case "set-environment", "unset-environment":
		return c.setEnvironment(verb, pos)
	case "daemon-reload":
		if err := c.t.client.Call(api.MethodReload, struct{}{}, nil); err != nil {
			return fail(exitFailure, "Failed to reload daemon: %v", err)
		}
	}
	return nil
}

// splitVerb parses global options up to the verb.
func splitVerb(args []string, o *options) (string, []string, error) {
	fs := newFlagSet()
	o.register(fs, false)
	if err := parseFlags(fs, args); err != nil {
		return "", nil, err
	}
	if fs.NArg() == 0 {
		return "list-units", nil, nil
	}
	return fs.Arg(0), fs.Args()[1:], nil
}

// parseInterleaved accepts options anywhere among positional arguments.
func parseInterleaved(args []string, o *options) ([]string, error) {
	var pos []string
	args = splitAttached(args)
	for {
		fs := newFlagSet()
		o.register(fs, false)
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		// After "--" everything is positional, even words with dashes.
		if consumed := len(args) - fs.NArg(); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, fs.Args()...), nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// splitAttached separates the values of -p and -P written attached, as
// getopt allows ("-pMainPID" is "-p MainPID"), up to "--".
func splitAttached(args []string) []string {
	var out []string
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && (a[:2] == "-p" || a[:2] == "-P") && a[2] != '=' {
			out = append(out, a[:2], a[2:])
			continue
		}
		out = append(out, a)
	}
	return out
}

func newFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("capsulectl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// ctl runs manager verbs against one connected manager.
type ctl struct {
	t     *target
	o     *options
	io    IO
	paths Paths
}

func (c *ctl) json(v any) error {
	enc := json.NewEncoder(c.io.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (c *ctl) listUnits(patterns []string) error {
	var l api.UnitList
	if err := c.t.client.Call(api.MethodListUnits, struct{}{}, &l); err != nil {
		return fail(exitFailure, "Failed to list units: %v", err)
	}
	var shown []api.Unit
	for _, u := range l.Units {
		if c.o.listedUnit(u, patterns) {
			shown = append(shown, u)
		}
	}
	sort.Slice(shown, func(i, j int) bool { return shown[i].Name < shown[j].Name })
	if c.o.output == "json" {
		return c.json(shown)
	}
	printUnitTable(c.io.Stdout, shown, c.o.listFooter(len(shown)), !c.o.noLegend)
	return nil
}

func (c *ctl) isSystemRunning() error {
	var m api.Manager
	if err := c.t.client.Call(api.MethodGetManager, struct{}{}, &m); err != nil {
		return fail(exitFailure, "Failed to query manager: %v", err)
	}
	if c.o.output == "json" {
		c.json(m)
	} else {
		fmt.Fprintln(c.io.Stdout, printable(m.State))
	}
	if m.State != "running" {
		return fail(exitFailure, "")
	}
	return nil
}

func (c *ctl) status(names []string) error {
	if len(names) == 0 {
		var m api.Manager
		if err := c.t.client.Call(api.MethodGetManager, struct{}{}, &m); err != nil {
			return fail(exitFailure, "Failed to query manager: %v", err)
		}
		if c.o.output == "json" {
			return c.json(m)
		}
		printManager(c.io.Stdout, &m)
		return nil
	}
	code := 0
	for i, name := range names {
		name = withSuffix(name)
		var u api.Unit
		err := c.t.client.Call(api.MethodGetUnit, api.UnitName{Name: name, Lines: c.o.lines}, &u)
		if varlink.IsError(err, api.ErrNoSuchUnit) {
			fmt.Fprintf(c.io.Stderr, "Unit %s could not be found.\n", name)
			code = max(code, exitNoSuchUnit)
			continue
		}
		if err != nil {
			return fail(exitFailure, "Failed to get status of %s: %v", name, err)
		}
		fillProcesses(&u, c.t.cgroup)
		if i > 0 {
			fmt.Fprintln(c.io.Stdout)
		}
		if c.o.output == "json" {
			c.json(u)
		} else {
			printStatus(c.io.Stdout, &u)
		}
		if u.NeedReload {
			fmt.Fprintf(c.io.Stderr, "Warning: The unit file, source configuration file or drop-ins of %s changed on disk. Run '%s' to reload units.\n",
				escape.Text(name), c.reloadCommand())
		}
		if u.ActiveState != "active" && u.ActiveState != "reloading" {
			code = max(code, exitInactive)
		}
	}
	if code != 0 {
		return fail(code, "")
	}
	return nil
}

func (c *ctl) isActive(names []string) error {
	code := exitInactive
	for _, name := range names {
		name = withSuffix(name)
		var u api.Unit
		err := c.t.client.Call(api.MethodGetUnit, api.UnitName{Name: name}, &u)
		state := "inactive"
		if err == nil {
			state = u.ActiveState
		} else if !varlink.IsError(err, api.ErrNoSuchUnit) {
			return fail(exitFailure, "Failed to get state of %s: %v", name, err)
		}
		if !c.o.quiet {
			fmt.Fprintln(c.io.Stdout, printable(state))
		}
		if state == "active" {
			code = 0
		}
	}
	if code != 0 {
		return fail(code, "")
	}
	return nil
}

// job runs start, stop or restart for each unit. Several units are handled
// at once, each on its own connection, as systemctl queues all its jobs
// in one go; errors are reported in the order the units were named.
func (c *ctl) job(verb string, names []string) error {
	method := map[string]string{"start": api.MethodStartUnit, "stop": api.MethodStopUnit,
		"restart": api.MethodRestartUnit, "try-restart": api.MethodTryRestart,
		"reload-or-restart": api.MethodReloadOrRestart, "reload": api.MethodReloadUnit,
		// No unit reloads yet: a running unit is restarted, as without ExecReload=.
		"try-reload-or-restart": api.MethodTryReloadOrRestart}[verb]
	for i, name := range names {
		names[i] = withSuffix(name)
		if err := checkCapsuleUnit(names[i]); err != nil {
			return err
		}
	}
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		client := c.t.client
		if i > 0 {
			t, err := connect(c.paths, c.o.capsule, c.o.capsuleSet)
			if err != nil {
				errs[i] = err
				continue
			}
			defer t.client.Close()
			client = t.client
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var u api.Unit
			errs[i] = client.Call(method, api.Job{Name: name, Mode: c.o.jobMode, NoBlock: c.o.noBlock}, &u)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		name := names[i]
		switch {
		case err == nil:
		case verb == "stop" && varlink.IsError(err, api.ErrNoSuchUnit):
			return fail(exitNotLoaded, "Failed to stop %s: %v", name, err)
		case varlink.IsError(err, api.ErrNoSuchUnit):
			return fail(exitNotLoaded, "Failed to %s %s: %v", verb, name, err)
		case varlink.IsError(err, api.ErrJobTypeNotApplicable):
			return fail(exitInactive, "Failed to %s %s: %v", verb, name, err)
		case varlink.IsError(err, api.ErrInvalidArgument), varlink.IsError(err, api.ErrNotSupported):
			return fail(exitFailure, "Failed to %s %s: %v", verb, name, err)
		case isRefusal(err):
			return fail(refusalCode(err), "Failed to %s %s: %v\n%s", verb, name, err, c.refusalHint(name))
		default:
			if f, ok := jobFailure(err); ok {
				return fail(exitFailure, "%s", jobFailureText("capsulectl"+c.capsuleArg(), name, f))
			}
			return fail(exitFailure, "Job for %s failed: %v\nSee \"capsulectl%s status %s\" for details.",
				name, err, c.capsuleArg(), name)
		}
	}
	if verb == "stop" && !c.o.noBlock && !c.o.quiet {
		for _, name := range names {
			c.warnTriggeringAs("Stopping", name)
		}
	}
	return nil
}

// warnTriggeringAs says which active units can start a stopped (or
// masked) unit again, as systemctl stop does once its jobs are done (not
// with --no-block) and mask does; verb is "Stopping" or "Masking".
func (c *ctl) warnTriggeringAs(verb, name string) {
	var u api.Unit // the full status: only it names the triggering units
	if c.t.client.Call(api.MethodGetUnit, api.UnitName{Name: name}, &u) != nil {
		return
	}
	var active []string
	for _, t := range u.TriggeredBy {
		var tu api.Unit
		if c.t.client.Call(api.MethodGetUnit, api.UnitName{Name: t, Brief: true}, &tu) != nil {
			continue
		}
		if tu.ActiveState == "active" || tu.ActiveState == "reloading" {
			active = append(active, printable(t))
		}
	}
	if len(active) > 0 {
		fmt.Fprintf(c.io.Stderr, "%s '%s', but its triggering units are still active:\n%s\n", verb, printable(name), strings.Join(active, ", "))
	}
}

func (c *ctl) capsuleArg() string {
	if c.t.capsule == "" {
		return ""
	}
	return " -C " + c.t.capsule
}

func (c *ctl) clean(names []string) error {
	for _, name := range names {
		name = withSuffix(name)
		if err := checkCapsuleUnit(name); err != nil {
			return err
		}
		var r api.Cleaned
		if err := c.t.client.Call(api.MethodCleanUnit, api.Clean{Name: name, What: c.o.what}, &r); err != nil {
			if varlink.IsError(err, api.ErrUnitBusy) {
				return fail(exitFailure, "Failed to clean unit %s: %v (capsulectl%s stop %s)", name, err, c.capsuleArg(), name)
			}
			if varlink.IsError(err, api.ErrNothingToClean) {
				return fail(exitFailure, "Failed to clean unit %s: No matching resources found.", name)
			}
			return fail(exitFailure, "Failed to clean unit %s: %v", name, err)
		}
		if c.o.output == "json" {
			c.json(r)
		}
	}
	return nil
}

func (c *ctl) install(verb string, names []string) error {
	method := api.MethodEnableUnit
	if verb == "disable" {
		method = api.MethodDisableUnit
	}
	// As systemctl 257: the hint comes only when no unit named has
	// anything to install, and is no failure.
	static := 0
	for _, name := range names {
		name = withSuffix(name)
		var r api.Changes
		if err := c.t.client.Call(method, api.UnitName{Name: name}, &r); err != nil {
			// A missing unit, or one Also= names, is a failure like any
			// other here (exit 1, "Unit X does not exist"), as systemctl
			// 257's.
			code := exitFailure
			if c.t.capsule != "" && strings.Contains(err.Error(), "not writable by this manager's user") {
				// The home is ID-mapped: inside it nobody (65534) on disk
				// is the capsule's user, whatever its UID this time.
				return fail(code, "Failed to %s unit: %v\nHint: files root puts into the capsule's home must belong to nobody (65534) on disk; fix it with: chown -R 65534:65534 /var/lib/capsules/%s/.config/systemd", verb, err, c.t.capsule)
			}
			return fail(code, "Failed to %s unit: %v", verb, err)
		}
		if r.NoInstallInfo {
			static++
		}
		if c.o.output == "json" {
			c.json(r)
		} else if !c.o.quiet {
			printChanges(c.io.Stderr, r.Changes)
		}
	}
	if static == len(names) && static > 0 && c.o.output != "json" {
		fmt.Fprint(c.io.Stderr, noInstallInfoHint)
	}
	if c.o.now {
		if verb == "enable" {
			return c.job("start", names)
		}
		return c.job("stop", names)
	}
	return nil
}

func (c *ctl) isEnabled(names []string) error {
	code := 1
	for _, name := range names {
		name = withSuffix(name)
		var r api.FileState
		err := c.t.client.Call(api.MethodUnitFileState, api.UnitName{Name: name}, &r)
		if varlink.IsError(err, api.ErrNoSuchUnit) {
			fmt.Fprintf(c.io.Stderr, "Failed to get unit file state for %s: No such file or directory\n", name)
			code = max(code, exitNoSuchUnit)
			continue
		}
		if err != nil {
			return fail(exitFailure, "Failed to get unit file state for %s: %v", name, err)
		}
		if !c.o.quiet {
			fmt.Fprintln(c.io.Stdout, printable(r.State))
		}
		switch r.State { // as systemctl's exit status
		case "enabled", "enabled-runtime", "static", "transient", "alias", "indirect", "generated":
			code = 0
		}
	}
	if code != 0 {
		return fail(code, "")
	}
	return nil
}

// flagGiven reports whether args set one of the named flags.
func flagGiven(args []string, names ...string) bool {
	for _, a := range args {
		for _, n := range names {
			if a == "-"+n || a == "--"+n || strings.HasPrefix(a, "-"+n+"=") || strings.HasPrefix(a, "--"+n+"=") {
				return true
			}
		}
	}
	return false
}

func (c *ctl) resetFailed(names []string) error {
	if len(names) == 0 {
		names = []string{""}
	}
	for _, name := range names {
		if name != "" {
			name = withSuffix(name)
		}
		if err := c.t.client.Call(api.MethodResetFailed, api.UnitName{Name: name}, nil); err != nil {
			return fail(exitFailure, "Failed to reset failed state of %s: %v", name, err)
		}
	}
	return nil
}

// checkCapsuleUnit validates the capsule name in capsule@NAME.service
// before anything is sent.
func checkCapsuleUnit(name string) error {
	inst, ok := strings.CutPrefix(name, "capsule@")
	if !ok || !strings.HasSuffix(inst, ".service") {
		return nil
	}
	inst = strings.TrimSuffix(inst, ".service")
	if inst == "" {
		return nil // a template; the manager explains
	}
	if err := dynuser.ValidCapsuleName(inst); err != nil {
		return fail(exitFailure, "%s", capitalize(err.Error()))
	}
	return nil
}

// withSuffix adds ".service" to a name without a unit type, as systemctl does.
func withSuffix(name string) string {
	for _, t := range []string{".service", ".target", ".slice", ".socket", ".scope", ".timer", ".path", ".mount"} {
		if strings.HasSuffix(name, t) {
			return name
		}
	}
	return name + ".service"
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := matchGlob(p, name); ok {
			return true
		}
	}
	return false
}

// reloadCommand is the daemon-reload command line for the manager this
// invocation speaks to.
func (c *ctl) reloadCommand() string {
	if c.o.capsule != "" {
		return "capsulectl -C " + escape.Text(c.o.capsule) + " daemon-reload"
	}
	return "capsulectl daemon-reload"
}

// printChanges reports enable's and disable's changes in systemctl 257's
// words, paths in single quotes.
func printChanges(w io.Writer, changes []api.Change) {
	for _, ch := range changes {
		if ch.Type == "symlink" {
			fmt.Fprintf(w, "Created symlink '%s' → '%s'.\n", printable(ch.Path), printable(ch.Source))
		} else {
			fmt.Fprintf(w, "Removed '%s'.\n", printable(ch.Path))
		}
	}
}
