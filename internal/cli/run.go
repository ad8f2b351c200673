package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/exitstatus"
	"github.com/capsuled/capsuled/internal/unitconf"
)

type runOptions struct {
	unit, description, workdir string
	pty, pipe, wait, collect   bool
	props, env                 []string
	timer                      runTimerOptions
}

func (r *runOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&r.unit, "unit", "", "unit name")
	fs.StringVar(&r.unit, "u", "", "unit name")
	fs.StringVar(&r.description, "description", "", "description")
	fs.StringVar(&r.workdir, "working-directory", "", "working directory")
	fs.BoolVar(&r.pty, "pty", false, "run on a pty")
	fs.BoolVar(&r.pty, "t", false, "run on a pty")
	fs.BoolVar(&r.pipe, "pipe", false, "pass stdio")
	fs.BoolVar(&r.pipe, "P", false, "pass stdio")
	fs.BoolVar(&r.wait, "wait", false, "wait for the end")
	fs.BoolVar(&r.collect, "collect", false, "unload even if failed")
	fs.BoolVar(&r.collect, "G", false, "unload even if failed")
	add := func(dst *[]string) func(string) error {
		return func(s string) error { *dst = append(*dst, s); return nil }
	}
	fs.Func("property", "KEY=VALUE", add(&r.props))
	fs.Func("p", "KEY=VALUE", add(&r.props))
	fs.Func("setenv", "NAME=VALUE", add(&r.env))
	fs.Func("E", "NAME=VALUE", add(&r.env))
	r.timer.register(fs)
}

// runCommand implements "capsulectl run", after systemd-run. raw is
// capsulectl's own stdio, used only for the command's byte stream;
// messages go to stdio, which escapes them.
func runCommand(args []string, o *options, raw, stdio IO, paths Paths) error {
	r := &runOptions{}
	fs := newFlagSet()
	o.register(fs, true)
	r.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.help {
		fmt.Fprint(stdio.Stdout, usage)
		return nil
	}
	if err := o.noUserManager(); err != nil {
		return err
	}
	argv := fs.Args()
	if len(argv) == 0 {
		return fail(exitUsage, "Command line to execute required.")
	}
	if err := r.timer.check(r); err != nil {
		return err
	}
	if !o.capsuleSet {
		if err := findExecutable(argv[0]); err != nil {
			return err
		}
	}
	if r.pty && r.pipe {
		// As systemd-run: -t -P is -t if stdin, stdout and stderr all are
		// terminals, else -P.
		if allTerminals(raw) {
			r.pipe = false
		} else {
			r.pty = false
		}
	}
	t, err := dial(paths, o)
	if err != nil {
		return err
	}
	defer t.client.Close()
	req := api.Run{Unit: r.unit, Description: r.description, Argv: argv, Environment: r.env,
		Properties: r.props, WorkingDirectory: r.workdir, Collect: r.collect, Wait: r.wait || r.pty || r.pipe, Timer: r.timer.lines}
	var files []*os.File
	var ptm, slave *os.File
	var pipes *pipeRelay
	switch {
	case r.pty:
		m, s, err := openPTY()
		if err != nil {
			return fail(exitFailure, "Failed to allocate a pseudo terminal: %v", err)
		}
		defer m.Close()
		ptm = m
		// The capsule manager opens the terminal by name as its own user.
		if t.capsule != "" {
			if err := s.Chown(t.uid, t.gid); err != nil {
				s.Close()
				return fail(exitFailure, "Failed to chown tty to capsule UID/GID: %v", err)
			}
			if err := s.Chmod(0o600); err != nil {
				s.Close()
				return fail(exitFailure, "Failed to chmod tty: %v", err)
			}
		}
		slave = s
		defer s.Close()
		req.Stdio, req.PTY = api.StdioPTY, s.Name()
		if v := os.Getenv("TERM"); v != "" {
			req.Environment = append(req.Environment, "TERM="+v)
		}
		if term.IsTerminal(int(raw.Stdin.Fd())) {
			inheritSize(raw.Stdin, m)
		}
	case r.pipe:
		req.Stdio = api.StdioFDs
		p, err := startPipeRelay(raw.Stdin, raw.Stdout, raw.Stderr)
		if err != nil {
			return fail(exitFailure, "Failed to create pipes for the command: %v", err)
		}
		pipes = p
		defer pipes.finish()
		files = pipes.remote
	}
	var session *ptySession
	defer func() {
		// Whatever happens, the terminal is given back as it was.
		if session != nil {
			session.finish()
		}
	}()
	var result api.RunReply
	warned := false
	err = t.client.CallMore(api.MethodRunTransient, req, func(p json.RawMessage, last bool) error {
		if pipes != nil {
			pipes.closeRemote()
		}
		var rep api.RunReply
		if err := json.Unmarshal(p, &rep); err != nil {
			return err
		}
		if !warned {
			// What the manager ignored of the options reaches this
			// terminal, not only its log.
			for _, w := range rep.Warnings {
				fmt.Fprintln(stdio.Stderr, printable(w))
			}
			warned = true
		}
		if rep.Timer != "" && !o.quiet {
			fmt.Fprintf(stdio.Stderr, "Running timer as unit: %s\nWill run service as unit: %s\n", printable(rep.Timer), printable(rep.Unit))
		} else if !rep.Done {
			if !o.quiet {
				fmt.Fprintf(stdio.Stderr, "Running as unit: %s; invocation ID: %s\n", printable(rep.Unit), printable(rep.InvocationID))
			}
			if ptm != nil && session == nil {
				if !o.quiet {
					fmt.Fprintf(stdio.Stderr, "Press ^] three times within 1s to disconnect TTY.\n")
				}
				// The manager has opened the terminal; drop our slave so
				// reading the master ends when the command's side closes.
				slave.Close()
				session = startPTY(ptm, raw.Stdin, raw.Stdout, func(detached bool) {
					// After ^]^]^] with --wait, keep waiting for the end.
					if !detached || !r.wait {
						t.client.Close()
					}
				})
			}
		}
		result = rep
		return nil
	}, files...)
	if pipes != nil {
		pipes.closeRemote()
		pipes.finish()
	}
	if session != nil {
		session.finish()
		if v, ok := session.signal(); ok {
			return fail(128+int(v.(syscall.Signal)), "")
		}
		if session.isDetached() && !r.wait {
			return nil
		}
	}
	if err != nil {
		if result.Unit != "" {
			return fail(exitFailure, "Failed to wait for %s: %v", printable(result.Unit), err)
		}
		if f, ok := jobFailure(err); ok && f.Unit != "" && len(r.timer.lines) == 0 {
			// The unit was made and its start failed: said as systemctl
			// says it, the unit stays for status to show why.
			return fail(exitFailure, "%s", jobFailureText("capsulectl"+(&ctl{t: t}).capsuleArg(), f.Unit, f))
		}
		kind := "service"
		if len(r.timer.lines) > 0 {
			// The timer is the unit created first, as systemd-run names it.
			kind = "timer"
		}
		return fail(exitFailure, "Failed to start transient %s unit: %v", kind, err)
	}
	if !req.Wait {
		return nil
	}
	if r.wait && !o.quiet {
		printRunSummary(stdio.Stderr, result)
	}
	return exitStatusOf(result)
}

// allTerminals reports whether stdin, stdout and stderr are all terminals.
func allTerminals(stdio IO) bool {
	for _, w := range []any{stdio.Stdin, stdio.Stdout, stdio.Stderr} {
		f, ok := w.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return false
		}
	}
	return true
}

// exitStatusOf maps how the command ended to capsulectl's exit code: its
// exit status, or 128+signal like a shell.
func exitStatusOf(r api.RunReply) error {
	switch {
	case r.ExitCode == "exited" && r.ExitStatus == 0:
		return nil
	case r.ExitCode == "exited":
		return fail(r.ExitStatus, "")
	case r.ExitCode == "killed" || r.ExitCode == "dumped":
		return fail(128+r.ExitStatus, "")
	case r.Result == "success":
		return nil
	}
	return fail(exitFailure, "Command failed with result %s.", printable(r.Result))
}

// findExecutable checks, as systemd-run does on the local machine, that
// the command names a file before any unit is made: a path must exist and
// not be a directory, a bare name must be found so in $PATH (execute
// permission is left to the manager, as there). A capsule's commands are
// found inside its sandbox, as systemd-run --capsule leaves them to the
// manager.
func findExecutable(cmd string) error {
	cands := []string{cmd}
	if !strings.Contains(cmd, "/") {
		cands = cands[:0]
		path, ok := os.LookupEnv("PATH")
		if !ok {
			path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"
		}
		for _, dir := range filepath.SplitList(path) {
			if dir != "" {
				cands = append(cands, filepath.Join(dir, cmd))
			}
		}
	}
	var first error
	for _, c := range cands {
		fi, err := os.Stat(c)
		if err == nil && fi.IsDir() {
			err = syscall.EISDIR
		}
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	if first == nil || !strings.Contains(cmd, "/") {
		first = syscall.ENOENT
	}
	var errno syscall.Errno
	if errors.As(first, &errno) {
		msg := errno.Error()
		return fail(exitFailure, "Failed to find executable %s: %s", cmd, strings.ToUpper(msg[:1])+msg[1:])
	}
	return fail(exitFailure, "Failed to find executable %s: %v", cmd, first)
}

// printRunSummary prints how a waited-for run ended, as systemd-run --wait
// does.
func printRunSummary(w io.Writer, r api.RunReply) {
	fmt.Fprintf(w, "Finished with result: %s\n", printable(r.Result))
	if r.ExitCode != "" {
		fmt.Fprintf(w, "Main processes terminated with: code=%s, status=%s\n", printable(r.ExitCode), exitstatus.Text(r.ExitCode, r.ExitStatus))
	}
	if r.RuntimeUSec != nil {
		fmt.Fprintf(w, "Service runtime: %s\n", unitconf.FormatTimespanAccuracy(time.Duration(*r.RuntimeUSec)*time.Microsecond, time.Millisecond))
	}
	if r.CPUUsageNSec != nil {
		fmt.Fprintf(w, "CPU time consumed: %s\n", unitconf.FormatTimespanAccuracy(time.Duration(*r.CPUUsageNSec), time.Millisecond))
	}
}
