package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/creack/pty"
)

// ctl runs capsulectl against the benchmark's own system manager.
type ctl struct {
	path string
	env  []string
}

func newCtl(path, runtimeDir string) ctl {
	return ctl{path: path, env: append(os.Environ(), "CAPSULED_RUNTIME_DIR="+runtimeDir)}
}

func (c ctl) command(ctx context.Context, args []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.path, args...)
	cmd.Env = c.env
	// See run: keeps the terminal's Ctrl-C away from the child.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// timed runs capsulectl with args and returns its wall-clock time, from
// fork to exit, as a user at a shell would experience it.
func (c ctl) timed(ctx context.Context, args ...string) (time.Duration, error) {
	var out bytes.Buffer
	cmd := c.command(ctx, args)
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return d, commandError(args, err, out.Bytes())
	}
	return d, nil
}

// run runs capsulectl with args and returns its standard output.
func (c ctl) run(ctx context.Context, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := c.command(ctx, args)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, commandError(args, err, append(stdout.Bytes(), stderr.Bytes()...))
	}
	return stdout.Bytes(), nil
}

// timedPty runs capsulectl with args on a new pseudo-terminal, which
// "run -t" requires, and returns the time of the capsulectl process alone:
// the terminal is set up before the clock starts.
func (c ctl) timedPty(ctx context.Context, args ...string) (time.Duration, error) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		return 0, fmt.Errorf("open pty: %w", err)
	}
	defer ptmx.Close()
	// A zero-sized terminal is unusual; look like a common one.
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 80}); err != nil {
		tty.Close()
		return 0, fmt.Errorf("size pty: %w", err)
	}
	cmd := exec.CommandContext(ctx, c.path, args...)
	cmd.Env = c.env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	// A session of its own with the pty as controlling terminal, as a
	// login shell would give it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}

	start := time.Now()
	err = cmd.Start()
	tty.Close()
	if err != nil {
		return 0, commandError(args, err, nil)
	}
	// The master must be drained or the child blocks writing to it; what
	// it shows is kept for error messages.
	var out bytes.Buffer
	drained := make(chan struct{})
	go func() {
		io.Copy(&out, ptmx) // ends with EIO once the child has exited
		close(drained)
	}()
	err = cmd.Wait()
	d := time.Since(start)
	<-drained
	if err != nil {
		return d, commandError(args, err, out.Bytes())
	}
	return d, nil
}

// mainPID returns the main process of a unit of the system manager.
func (c ctl) mainPID(ctx context.Context, unit string) (int, error) {
	out, err := c.run(ctx, "-o", "json", "status", unit)
	if err != nil {
		return 0, err
	}
	var st struct {
		MainPID int `json:"mainPID"`
	}
	if err := json.Unmarshal(out, &st); err != nil {
		return 0, fmt.Errorf("parse status of %s: %w", unit, err)
	}
	if st.MainPID <= 0 {
		return 0, fmt.Errorf("%s has no main process", unit)
	}
	return st.MainPID, nil
}

func commandError(args []string, err error, out []byte) error {
	msg := strings.TrimSpace(string(out))
	if msg == "" {
		return fmt.Errorf("capsulectl %s: %w", strings.Join(args, " "), err)
	}
	return fmt.Errorf("capsulectl %s: %w: %s", strings.Join(args, " "), err, msg)
}
