// Command bench measures how fast capsulectl operations complete against a
// private capsuled system manager and how much memory capsule managers
// use, and sets the figures beside a table measured with systemd 257.
// With -base it measures a second build in the same run, interleaved, and
// sets the two side by side.
//
// Run it as root from the repository root after building the binaries:
//
//	make build && go run ./bench [-base REV|DIR]
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
	"regexp"
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
	unitsOnly  bool
	timersOnly bool
	// only, if set, keeps the steps whose description it matches.
	only *regexp.Regexp
	// base is a git revision or a directory of binaries to compare with;
	// "" measures the current build alone.
	base string
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
	fs.BoolVar(&o.unitsOnly, "units-only", false, "measure only the capsule with 200 running units")
	fs.BoolVar(&o.timersOnly, "timers-only", false, "measure only the capsule with 1,000 armed timers")
	only := fs.String("only", "", "measure only the steps whose description matches this regular expression (see the progress lines)")
	fs.StringVar(&o.base, "base", "", "git revision to build, or directory holding capsuled and capsulectl, to measure beside -bin (A/B)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			return o, fmt.Errorf("-only: %w", err)
		}
		o.only = re
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

	builds := []buildSpec{{label: "current", bin: opts.bin, runtimeDir: opts.runtimeDir, cgroup: opts.cgroup, tag: "c"}}
	if opts.base != "" {
		base, err := prepareBase(ctx, opts.base, stderr)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, base.cleanup()) }()
		if err := checkSameLinking(filepath.Join(opts.bin, "capsuled"), filepath.Join(base.bin, "capsuled")); err != nil {
			fmt.Fprintln(stderr, "bench: warning:", err)
		}
		// The base goes first in the first round; see runSteps.
		builds = append([]buildSpec{{label: "base " + base.label, bin: base.bin,
			runtimeDir: opts.runtimeDir + "-base", cgroup: opts.cgroup + "-base", tag: "b"}}, builds...)
	}

	var sides []*bench
	for _, bs := range builds {
		b, stop, err := startBuild(ctx, bs, opts, stderr)
		if err != nil {
			return err
		}
		// Deferred in order, so the last build started is torn down first.
		defer func() { err = errors.Join(err, stop()) }()
		sides = append(sides, b)
	}

	load := startLoadMonitor()
	runErr := runSteps(ctx, sides, stepsFor(opts), opts.n, stderr)
	if runErr != nil && ctx.Err() != nil {
		runErr = fmt.Errorf("interrupted: %w", runErr)
	}
	loadSummary := load.stop()
	// Partial results are still worth printing when a later step failed.
	current := sides[len(sides)-1]
	for _, b := range sides {
		if len(sides) > 1 {
			fmt.Fprintf(stdout, "%s build (%s)\n", b.label, b.bin)
		}
		printResults(stdout, b.results)
		fmt.Fprintln(stdout)
	}
	if len(sides) > 1 {
		printAB(stdout, sides[0], current)
		fmt.Fprintln(stdout)
	}
	if len(current.logResults) > 0 {
		fmt.Fprintln(stdout, "log store (current build; the base kept unit output in memory only)")
		printResults(stdout, current.logResults)
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "load average (1 min) during the run: %s\n", loadSummary)
	if perr := printComparison(stdout, current.results, opts.compare); perr != nil {
		fmt.Fprintln(stderr, "bench:", perr)
	}
	return runErr
}

// buildSpec is one build under test and where its system manager runs.
type buildSpec struct {
	label, bin, runtimeDir, cgroup string
	// tag keeps the capsule names of two builds apart.
	tag string
}

// startBuild starts the system manager of one build and returns its
// bench with a function that stops and cleans its capsules, then the
// manager.
func startBuild(ctx context.Context, bs buildSpec, opts options, stderr io.Writer) (*bench, func() error, error) {
	c := newCtl(filepath.Join(bs.bin, "capsulectl"), bs.runtimeDir)
	fmt.Fprintf(stderr, "%s: starting %s --system --runtime-dir=%s --cgroup=%s\n", bs.label,
		filepath.Join(bs.bin, "capsuled"), bs.runtimeDir, bs.cgroup)
	sys, err := startSystemManager(ctx, filepath.Join(bs.bin, "capsuled"), c, bs.runtimeDir, bs.cgroup)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", bs.label, err)
	}
	caps := newCapsules(c, fmt.Sprintf("bench%d%s-", os.Getpid(), bs.tag))
	b := &bench{label: bs.label, bin: bs.bin, runtimeDir: bs.runtimeDir, ctl: c, caps: caps, sys: sys,
		progress: stderr, stormTotal: opts.storm, stormBatch: opts.stormBatch}
	stop := func() error {
		cctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		err := errors.Join(caps.cleanup(cctx), sys.stop(cleanupTimeout))
		if err != nil {
			return fmt.Errorf("%s: %w", bs.label, err)
		}
		return nil
	}
	return b, stop, nil
}
