// Command bench measures how fast capsulectl operations complete against a
// private capsuled system manager and how much memory capsule managers
// use, and sets the figures beside a table measured with systemd 257.
//
// Run it as root from the repository root after building the binaries:
//
//	go build -o bin/ ./cmd/... && go run ./bench
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// cleanupTimeout bounds the teardown so that a wedged manager cannot keep
// the benchmark from exiting; it is generous because every capsule left
// over is stopped and cleaned one by one.
const cleanupTimeout = 2 * time.Minute

type options struct {
	n          int
	bin        string
	runtimeDir string
	cgroup     string
	compare    string
	storm      int
	stormBatch int
	stormOnly  bool
}

func main() {
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if err := run(opts, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.IntVar(&o.n, "n", 31, "runs per metric")
	fs.StringVar(&o.bin, "bin", "bin", "directory holding capsuled and capsulectl")
	fs.StringVar(&o.runtimeDir, "runtime-dir", "/run/capsuled-bench", "runtime directory of the benchmark's own system manager")
	fs.StringVar(&o.cgroup, "cgroup", "", `cgroup of the benchmark's own system manager (default: a "capsuled-bench" child of the current cgroup)`)
	fs.StringVar(&o.compare, "compare", "../shared/reference/systemd257-bench.txt", "systemd reference table to compare with (skipped if missing)")
	fs.IntVar(&o.storm, "storm", 1000, "capsules the storm starts and keeps running at once (0: no storm)")
	fs.IntVar(&o.stormBatch, "storm-batch", 100, "capsules per capsulectl start call in the storm")
	fs.BoolVar(&o.stormOnly, "storm-only", false, "measure only the storm")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if o.storm < 0 || o.stormBatch < 1 {
		return o, fmt.Errorf("-storm must be at least 0 and -storm-batch at least 1")
	}
	if o.n < 1 {
		return o, fmt.Errorf("-n must be at least 1, not %d", o.n)
	}
	bin, err := filepath.Abs(o.bin)
	if err != nil {
		return o, fmt.Errorf("resolve -bin %s: %w", o.bin, err)
	}
	o.bin = bin
	if o.cgroup == "" {
		self, err := ownCgroup()
		if err != nil {
			return o, err
		}
		o.cgroup = filepath.Join(self, "capsuled-bench")
	}
	return o, nil
}

// run measures everything and prints the tables. Whatever it created is
// torn down before it returns, also when interrupted.
func run(opts options, stdout, stderr io.Writer) (err error) {
	if os.Geteuid() != 0 {
		return errors.New("must run as root: the system manager and capsules need it")
	}
	// The children run in process groups of their own, so Ctrl-C reaches
	// only this process, which then tears down in order instead of having
	// the manager die under the capsules it still has to clean.
	ctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()

	c := newCtl(filepath.Join(opts.bin, "capsulectl"), opts.runtimeDir)
	fmt.Fprintf(stderr, "starting capsuled --system --runtime-dir=%s --cgroup=%s\n", opts.runtimeDir, opts.cgroup)
	sys, err := startSystemManager(ctx, filepath.Join(opts.bin, "capsuled"), c, opts.runtimeDir, opts.cgroup)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, sys.stop(cleanupTimeout)) }()

	caps := newCapsules(c, fmt.Sprintf("bench%d-", os.Getpid()))
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		err = errors.Join(err, caps.cleanup(cctx))
	}()

	b := &bench{n: opts.n, runtimeDir: opts.runtimeDir, ctl: c, caps: caps, sys: sys, progress: stderr,
		stormTotal: opts.storm, stormBatch: opts.stormBatch, stormOnly: opts.stormOnly}
	runErr := b.all(ctx)
	if runErr != nil && ctx.Err() != nil {
		runErr = fmt.Errorf("interrupted: %w", runErr)
	}
	// Partial results are still worth printing when a later step failed.
	printResults(stdout, b.results)
	if perr := printComparison(stdout, b.results, opts.compare); perr != nil {
		fmt.Fprintln(stderr, "bench:", perr)
	}
	return runErr
}
