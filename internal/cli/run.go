package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/term"

	"github.com/capsuled/capsuled/internal/api"
)

type runOptions struct {
	unit, description, workdir string
	pty, pipe, wait, collect   bool
	props, env                 []string
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
}

// runCommand implements "capsulectl run", after systemd-run.
func runCommand(args []string, o *options, stdio IO, paths Paths) error {
	r := &runOptions{}
	fs := newFlagSet()
	o.register(fs, true)
	r.register(fs)
	if err := fs.Parse(args); err != nil {
		return fail(exitUsage, "%v", err)
	}
	if o.help {
		fmt.Fprint(stdio.Stdout, usage)
		return nil
	}
	argv := fs.Args()
	if len(argv) == 0 {
		return fail(exitUsage, "Command line to execute required.")
	}
	if r.pty && r.pipe {
		// systemd-run treats -t -P as "-t if a terminal, else -P".
		if term.IsTerminal(int(stdio.Stdin.Fd())) {
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
		Properties: r.props, WorkingDirectory: r.workdir, Collect: r.collect, Wait: r.wait || r.pty || r.pipe}
	var files []*os.File
	var ptm, slave *os.File
	switch {
	case r.pty:
		m, s, err := pty.Open()
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
		if term.IsTerminal(int(stdio.Stdin.Fd())) {
			pty.InheritSize(stdio.Stdin, m)
		}
	case r.pipe:
		req.Stdio = api.StdioFDs
		out, ok1 := stdio.Stdout.(*os.File)
		errf, ok2 := stdio.Stderr.(*os.File)
		if !ok1 || !ok2 {
			return fail(exitFailure, "--pipe needs real stdout and stderr")
		}
		files = []*os.File{stdio.Stdin, out, errf}
	}
	var session *ptySession
	var result api.RunReply
	err = t.client.CallMore(api.MethodRunTransient, req, func(p json.RawMessage, last bool) error {
		var rep api.RunReply
		if err := json.Unmarshal(p, &rep); err != nil {
			return err
		}
		if !rep.Done {
			if !o.quiet {
				fmt.Fprintf(stdio.Stderr, "Running as unit: %s; invocation ID: %s\n", rep.Unit, rep.InvocationID)
			}
			if ptm != nil && session == nil {
				// The manager has opened the terminal; drop our slave so
				// reading the master ends when the command's side closes.
				slave.Close()
				session = startPTY(ptm, stdio)
			}
		}
		result = rep
		return nil
	}, files...)
	if session != nil {
		session.finish()
	}
	if err != nil {
		return fail(exitFailure, "Failed to start transient service unit: %v", err)
	}
	if !req.Wait {
		return nil
	}
	if r.wait && !o.quiet {
		fmt.Fprintf(stdio.Stderr, "Finished with result: %s\nMain processes terminated with: code=%s/status=%d\n",
			result.Result, result.ExitCode, result.ExitStatus)
	}
	return exitStatusOf(result)
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
	return fail(exitFailure, "Command failed with result %s.", r.Result)
}

// ptySession forwards between this terminal and the pty master.
type ptySession struct {
	ptm     *os.File
	restore func()
	out     chan struct{}
	stopSig chan os.Signal
}

func startPTY(ptm *os.File, stdio IO) *ptySession {
	s := &ptySession{ptm: ptm, out: make(chan struct{}), restore: func() {}}
	in := int(stdio.Stdin.Fd())
	if term.IsTerminal(in) {
		if old, err := term.MakeRaw(in); err == nil {
			s.restore = func() { term.Restore(in, old) }
		}
		s.stopSig = make(chan os.Signal, 1)
		signal.Notify(s.stopSig, syscall.SIGWINCH)
		go func() {
			for range s.stopSig {
				pty.InheritSize(stdio.Stdin, ptm)
			}
		}()
	}
	go func() {
		io.Copy(stdio.Stdout, ptm) // ends with EIO when the last slave fd closes
		close(s.out)
	}()
	go copyInput(ptm, stdio.Stdin)
	return s
}

// copyInput forwards keystrokes until this side's input ends.
func copyInput(dst io.Writer, src io.Reader) { io.Copy(dst, src) }

// finish drains the remaining output and restores the terminal.
func (s *ptySession) finish() {
	select {
	case <-s.out:
	case <-time.After(2 * time.Second):
		// A child that detached may hold the terminal open; do not hang.
	}
	s.restore()
	if s.stopSig != nil {
		signal.Stop(s.stopSig)
		close(s.stopSig)
	}
}
