package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

const (
	readyTimeout = 15 * time.Second
	readyPoll    = 20 * time.Millisecond
)

// systemManager is the benchmark's own capsuled --system. A private
// runtime directory and cgroup let it run beside another system manager,
// although capsules themselves share global paths between the two.
type systemManager struct {
	cmd        *exec.Cmd
	exited     chan struct{} // closed once cmd has been waited for
	waitErr    error         // valid once exited is closed
	logPath    string
	storeDir   string // its log store, if the build has one ("": none)
	runtimeDir string
	cgroupDir  string
	// ready records that this instance got the runtime directory's lock,
	// so the directory and cgroup are ours to remove afterwards.
	ready bool
}

// startSystemManager starts capsuled and returns once it answers
// is-system-running. Its log goes to a temporary file so that it does not
// interleave with the tables.
func startSystemManager(ctx context.Context, exe string, c ctl, runtimeDir, cgroup string) (*systemManager, error) {
	cgRoot, err := cgroup2Mountpoint()
	if err != nil {
		return nil, err
	}
	logf, err := os.CreateTemp("", "capsuled-bench-*.log")
	if err != nil {
		return nil, fmt.Errorf("create capsuled log: %w", err)
	}
	defer logf.Close()

	args := []string{"--system", "--runtime-dir=" + runtimeDir, "--cgroup=" + cgroup}
	// A build with a log store gets one of its own, not the host's
	// /var/log/capsuled, which other managers may be writing.
	var storeDir string
	if hasFlag(exe, "log-dir") {
		if storeDir, err = os.MkdirTemp("/var/tmp", "capsuled-bench-log-*"); err != nil {
			os.Remove(logf.Name())
			return nil, fmt.Errorf("create log store directory: %w", err)
		}
		args = append(args, "--log-dir="+storeDir, "--journal-socket=")
	}
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// See run: Ctrl-C must not stop the manager before its capsules are
	// cleaned.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		os.Remove(logf.Name())
		if storeDir != "" {
			os.RemoveAll(storeDir)
		}
		return nil, fmt.Errorf("start %s: %w", exe, err)
	}
	s := &systemManager{
		cmd:        cmd,
		exited:     make(chan struct{}),
		logPath:    logf.Name(),
		storeDir:   storeDir,
		runtimeDir: runtimeDir,
		cgroupDir:  filepath.Join(cgRoot, filepath.Clean("/"+cgroup)),
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(ctx, c); err != nil {
		return nil, errors.Join(err, s.stop(readyTimeout))
	}
	s.ready = true
	return s, nil
}

// waitReady polls until the manager answers as running. It checks that
// the answer comes from our process: if another manager holds the runtime
// directory, ours exits on its lock while the other one answers.
func (s *systemManager) waitReady(ctx context.Context, c ctl) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		pid, err := managerPID(ctx, c)
		if err == nil && pid != s.cmd.Process.Pid {
			return fmt.Errorf("%s is in use by another capsuled (pid %d); pick another -runtime-dir", s.runtimeDir, pid)
		}
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("capsuled exited before it was ready (%v): %s", s.waitErr, s.logTail())
		case <-ctx.Done():
			return fmt.Errorf("waiting for capsuled: %w", ctx.Err())
		case <-time.After(readyPoll):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("capsuled not ready after %v: %w", readyTimeout, err)
		}
	}
}

// managerPID returns the pid of the system manager if it is running.
func managerPID(ctx context.Context, c ctl) (int, error) {
	out, err := c.run(ctx, "-o", "json", "is-system-running")
	if err != nil {
		return 0, err
	}
	var m struct {
		PID int `json:"pid"`
	}
	if err := json.Unmarshal(out, &m); err != nil {
		return 0, fmt.Errorf("parse manager state: %w", err)
	}
	return m.PID, nil
}

// stop terminates capsuled as its service manager would, and removes
// what it leaves behind. The log is kept when capsuled misbehaved.
func (s *systemManager) stop(timeout time.Duration) error {
	err := s.terminate(timeout)
	if s.ready {
		err = errors.Join(err, removeRuntimeDir(s.runtimeDir), removeCgroup(s.cgroupDir))
	}
	if s.storeDir != "" {
		err = errors.Join(err, os.RemoveAll(s.storeDir))
	}
	if err != nil {
		return fmt.Errorf("stop capsuled (log kept in %s): %w", s.logPath, err)
	}
	os.Remove(s.logPath)
	return nil
}

func (s *systemManager) terminate(timeout time.Duration) error {
	select {
	case <-s.exited:
		if s.ready {
			return fmt.Errorf("capsuled exited early: %v", s.waitErr)
		}
		return nil
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("signal capsuled: %w", err)
	}
	select {
	case <-s.exited:
		if s.waitErr != nil {
			return fmt.Errorf("capsuled: %w", s.waitErr)
		}
		return nil
	case <-time.After(timeout):
	}
	s.cmd.Process.Kill()
	<-s.exited
	return fmt.Errorf("capsuled did not stop within %v of SIGTERM and was killed", timeout)
}

// hasFlag reports whether capsuled at exe takes --name (its --help lists
// it).
func hasFlag(exe, name string) bool {
	out, _ := exec.Command(exe, "--help").CombinedOutput()
	return strings.Contains(string(out), "-"+name+" ")
}

// logTail returns the end of capsuled's log for error messages.
func (s *systemManager) logTail() string {
	const max = 2000
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return strings.TrimSpace(string(b))
}

// removeRuntimeDir removes the entries capsuled creates and then dir if
// empty. It never removes recursively: "root" is a mount staging area, and
// the directory may be one the user named, holding other files.
func removeRuntimeDir(dir string) error {
	var errs []error
	transient := filepath.Join(dir, "transient")
	entries, err := os.ReadDir(transient)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, err)
	}
	for _, e := range entries {
		errs = append(errs, removeIfExists(filepath.Join(transient, e.Name())))
	}
	for _, name := range []string{"transient", "root", "lock", "notify", "io.capsuled.Manager"} {
		errs = append(errs, removeIfExists(filepath.Join(dir, name)))
	}
	// Files of others in a directory the user named stay, and so does
	// the directory.
	if err := removeIfExists(dir); err != nil && !errors.Is(err, syscall.ENOTEMPTY) {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove runtime directory: %w", err)
	}
	return nil
}

// removeCgroup removes the manager's cgroup, which capsuled normally
// removes itself on exit; rmdir fails harmlessly if it is still in use.
func removeCgroup(dir string) error {
	if err := removeIfExists(dir); err != nil {
		return fmt.Errorf("remove cgroup: %w", err)
	}
	return nil
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// ownCgroup returns this process's cgroup in the unified hierarchy.
func ownCgroup() (string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", fmt.Errorf("read own cgroup: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if cg, ok := strings.CutPrefix(line, "0::"); ok {
			return cg, nil
		}
	}
	return "", errors.New("read own cgroup: no cgroup v2 entry in /proc/self/cgroup")
}

// cgroup2Mountpoint finds the cgroup2 file system, which is not always at
// /sys/fs/cgroup: hybrid setups mount it at /sys/fs/cgroup/unified.
func cgroup2Mountpoint() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", fmt.Errorf("find cgroup2 mount: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent dev root mountpoint options [optional...] - fstype ...
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields := strings.Fields(pre)
		if ok && len(fields) >= 5 && strings.HasPrefix(post, "cgroup2 ") {
			return fields[4], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("find cgroup2 mount: %w", err)
	}
	return "", errors.New("find cgroup2 mount: none mounted (capsuled needs cgroup v2)")
}
