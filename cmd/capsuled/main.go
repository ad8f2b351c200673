// Command capsuled is the capsuled service manager. With --system it is the
// host's manager, which starts capsules (capsule@NAME.service); with --user
// it is the manager inside one capsule. The same binary is also the
// executor that sets up a unit's sandbox before exec.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/busface"
	"github.com/capsuled/capsuled/internal/cgroup"
	"github.com/capsuled/capsuled/internal/control"
	"github.com/capsuled/capsuled/internal/dynuser"
	"github.com/capsuled/capsuled/internal/escape"
	"github.com/capsuled/capsuled/internal/executor"
	"github.com/capsuled/capsuled/internal/keyring"
	"github.com/capsuled/capsuled/internal/manager"
	"github.com/capsuled/capsuled/internal/unit"
	"github.com/capsuled/capsuled/units"
)

func main() {
	executor.IsExecutor(os.Args)
	// Neither manager may be traced or have its memory read by processes
	// of its own UID: a capsule's manager runs as the capsule's user, and a
	// unit of the capsule could otherwise take it over and answer in its
	// place. execve made the process dumpable again, so this comes first;
	// nothing else of the capsule's UID runs yet when its manager starts.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		fmt.Fprintf(os.Stderr, "capsuled: clear dumpable flag: %v\n", err)
		os.Exit(1)
	}
	// Whatever descriptors we were started with (a shell's, a service
	// manager's) must not reach the units, least of all into capsules.
	unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "capsuled: %s\n", escape.Text(err.Error()))
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("capsuled", flag.ContinueOnError)
	system := fs.Bool("system", false, "run the host's system manager")
	user := fs.Bool("user", false, "run a capsule's (per-user) manager")
	unitName := fs.String("unit", "", "unit to start at boot (system mode default: multi-user.target; user mode: capsule@NAME.target)")
	runtimeDir := fs.String("runtime-dir", "/run/capsuled", "system mode: directory of the control and notify sockets")
	cgroupPath := fs.String("cgroup", "", "system mode: cgroup to work in (default: a \"capsuled\" child of the current cgroup)")
	uidRange := fs.String("uid-range", fmt.Sprintf("%d-%d", dynuser.MinUID, dynuser.MaxUID), "system mode: dynamic UIDs to hand out, MIN-MAX")
	maxDepth := fs.Int("cgroup-max-depth", cgroup.DefaultMaxDepth, "system mode: cgroup.max.depth of a delegated cgroup (0: no limit)")
	maxDesc := fs.Int("cgroup-max-descendants", cgroup.DefaultMaxDescendants, "system mode: cgroup.max.descendants of a delegated cgroup (0: no limit)")
	tmpfsSize := fs.String("tmpfs-size", manager.DefaultTmpfsSize, "system mode: size of each tmpfs a sandboxed unit can write to (runtime directory, /tmp, /var/tmp, /dev/shm), bytes with K/M/G/T or a percentage of RAM; TmpfsSize= overrides it per unit")
	version := fs.Bool("version", false, "print the version and exit")
	var lf logFlags
	lf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *version {
		fmt.Println("capsuled", manager.Version)
		return nil
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	// IgnoreSIGPIPE=yes, the default: the commands started without the
	// executor inherit an ignored SIGPIPE from the manager (Go resets only
	// the signals it handles in a child), and a manager whose output pipe
	// closed goes on.
	signal.Ignore(syscall.SIGPIPE)
	switch {
	case *system == *user:
		return errors.New("choose exactly one of --system or --user")
	case *system:
		users, err := allocator(*uidRange)
		if err != nil {
			return err
		}
		if *maxDepth < 0 || *maxDesc < 0 {
			return errors.New("--cgroup-max-depth and --cgroup-max-descendants must not be negative")
		}
		limits := cgroup.TreeLimits{Depth: *maxDepth, Descendants: *maxDesc}
		size, err := manager.TmpfsSize(*tmpfsSize)
		if err != nil {
			return fmt.Errorf("--tmpfs-size: %w", err)
		}
		boot := *unitName
		if boot == "" {
			// As systemd's default target: enabled units and timers.target
			// (through basic.target) start with the manager.
			boot = "multi-user.target"
		}
		return runSystem(*runtimeDir, *cgroupPath, boot, users, limits, size, lf)
	default:
		return runUser(*unitName, lf)
	}
}

// allocator parses --uid-range. A range outside systemd's would break the
// shared lock protocol, so only sub-ranges are accepted.
func allocator(r string) (*dynuser.Allocator, error) {
	var lo, hi uint32
	if _, err := fmt.Sscanf(r, "%d-%d", &lo, &hi); err != nil || lo > hi || lo < dynuser.MinUID || hi > dynuser.MaxUID {
		return nil, fmt.Errorf("invalid --uid-range=%s: give MIN-MAX within %d-%d", r, dynuser.MinUID, dynuser.MaxUID)
	}
	return &dynuser.Allocator{Min: lo, Max: hi}, nil
}

func runSystem(runtimeDir, cgPath, boot string, users *dynuser.Allocator, limits cgroup.TreeLimits, tmpfsSize uint64, lf logFlags) error {
	if os.Geteuid() != 0 {
		return errors.New("the system manager must run as root")
	}
	// Units must not reach the keys of whoever started us.
	if err := keyring.DetachSession(); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	h, err := hierarchy()
	if err != nil {
		return err
	}
	if cgPath == "" {
		self, err := cgroup.Self()
		if err != nil {
			return err
		}
		// Not being PID 1, we work below our own cgroup, in a child we
		// create, never at a path someone else owns.
		cgPath = filepath.Join(self, "capsuled")
	}
	// A cgroup path is absolute within its hierarchy: "capsuled-x/" and
	// "/capsuled-x" name one cgroup, shown as systemd shows cgroups.
	cgPath = filepath.Clean("/" + cgPath)
	// Two managers in one cgroup would each take the other's units for
	// leftovers of a crash and kill them.
	unlockCgroup, err := lockCgroup(cgroupLockDir, cgPath)
	if err != nil {
		return err
	}
	defer unlockCgroup()
	if err := os.MkdirAll(runtimeDir, 0o755); err != nil {
		return err
	}
	lock, err := lockInstance(filepath.Join(runtimeDir, "lock"))
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := os.MkdirAll(filepath.Join(runtimeDir, "root"), 0o700); err != nil {
		return err
	}
	if err := h.Create(cgPath); err != nil {
		return err
	}
	memV1, pidsV1, devV1, err := v1Hierarchies()
	if err != nil {
		return err
	}
	cfg := manager.Config{
		Mode:       manager.System,
		RuntimeDir: runtimeDir,
		UnitPaths:  []string{"/etc/capsuled/system", filepath.Join(runtimeDir, "system")},
		ConfigDir:  "/etc/capsuled/system",
		// mask --runtime, edit --runtime
		RuntimeConfigDir: filepath.Join(runtimeDir, "system"),
		Builtin:          units.System(),
		Cgroups:          h,
		CgroupBase:       cgPath,
		TreeLimits:       limits,
		Users:            users,
		Exe:              exe,
		BinDir:           filepath.Dir(exe),
		Env:              []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"},
		TmpfsSize:        tmpfsSize,
		MemoryV1:         memV1,
		PidsV1:           pidsV1,
		DevicesV1:        devV1,
	}
	if err := lf.apply(&cfg, ""); err != nil {
		return err
	}
	m, err := manager.New(cfg)
	if err != nil {
		return err
	}
	if err := m.RecoverStale(context.Background()); err != nil {
		return fmt.Errorf("recover from a previous instance: %w", err)
	}
	err = serve(m, "", boot, hooks{cleanup: func() { h.RemoveTree(cgPath) }})
	if err == nil {
		removeRuntimeLeftovers(runtimeDir)
	}
	return err
}

// removeRuntimeLeftovers removes, after a clean stop, what the system
// manager made in its runtime directory and no longer needs: the empty
// staging and transient directories, then the lock file, unlinked while
// still held (lockFile retries on an unlinked one).
func removeRuntimeLeftovers(runtimeDir string) {
	for _, d := range []string{"root", "transient"} {
		// Only when empty: anything left there is not ours to delete.
		os.Remove(filepath.Join(runtimeDir, d))
	}
	os.Remove(filepath.Join(runtimeDir, "lock"))
}

func runUser(boot string, lf logFlags) error {
	// One processor runs a capsule manager's Go code while it is up, as
	// systemd's user manager is single-threaded: its work is starting
	// processes and waiting for them, which a second processor hardly
	// speeds up, while each processor costs a cache of heap spans and
	// threads (a capsule with 200 running services: 10 threads with two, 7
	// with one). Stopping hundreds of units at once is the exception
	// (their cgroups are emptied and removed in parallel: 500 units took
	// 195 ms on one processor, 160 ms on two), so such a stop gets them
	// all (see serve).
	var beforeStop func()
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
		beforeStop = func() { runtime.SetDefaultGOMAXPROCS() }
	}
	// A capsule manager is small and idle most of the time; with Go's
	// default the heap may double before a collection, which would make
	// an idle capsule's footprint grow with the work it once did. Its
	// boot, though, is a burst of short-lived allocations on the path of
	// every capsule start, which Go's default lets through without a
	// collection for a small capsule; the tighter target applies once the
	// boot is done, and the idle trim then hands the garbage back.
	var afterBoot func()
	if os.Getenv("GOGC") == "" {
		afterBoot = func() { debug.SetGCPercent(25) }
	}
	if boot == "" {
		return errors.New("user mode needs --unit=capsule@NAME.target")
	}
	n, err := unit.ParseName(boot)
	if err != nil {
		return err
	}
	rt := os.Getenv("XDG_RUNTIME_DIR")
	if rt == "" {
		return errors.New("trying to run as user instance, but $XDG_RUNTIME_DIR is not set")
	}
	home := os.Getenv("HOME")
	if home == "" {
		return errors.New("trying to run as user instance, but $HOME is not set")
	}
	h, err := hierarchy()
	if err != nil {
		return err
	}
	self, err := cgroup.Self()
	if err != nil {
		return err
	}
	base := self
	if filepath.Base(self) == "init.scope" {
		base = filepath.Dir(self)
	} else {
		// Started by hand: keep ourselves in init.scope so our units'
		// cgroups can be siblings.
		if err := h.Create(filepath.Join(self, "init.scope")); err != nil {
			return err
		}
		if err := h.AddPID(filepath.Join(self, "init.scope"), os.Getpid()); err != nil {
			return err
		}
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		// What the system manager set for this process alone, as systemd's
		// user manager drops it from its environment block (observed:
		// show-environment of a 257 capsule has none of them).
		case "NOTIFY_SOCKET", "INVOCATION_ID", "STATE_DIRECTORY", "RUNTIME_DIRECTORY", "LISTEN_FDS", "LISTEN_PID",
			"LISTEN_FDNAMES", "SYSTEMD_EXEC_PID", "MANAGERPID", "MAINPID", "EXIT_CODE", "EXIT_STATUS", "SERVICE_RESULT",
			"WATCHDOG_PID", "WATCHDOG_USEC", "JOURNAL_STREAM", "CREDENTIALS_DIRECTORY", "PIDFILE", "REMOTE_ADDR", "REMOTE_PORT":
			continue
		}
		env = append(env, kv)
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		env = append(env, "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(rt, "bus"))
	}
	cfgHome := os.Getenv("XDG_CONFIG_HOME")
	if cfgHome == "" {
		cfgHome = filepath.Join(home, ".config")
	}
	cfg := manager.Config{
		Mode:       manager.User,
		Capsule:    n.Instance,
		RuntimeDir: filepath.Join(rt, "capsuled"),
		// $XDG_RUNTIME_DIR/systemd/user after the persistent directories,
		// as systemd's user manager searches them.
		UnitPaths: []string{filepath.Join(cfgHome, "systemd/user"), "/etc/capsuled/user", "/etc/systemd/user",
			filepath.Join(rt, "systemd/user"), "/run/systemd/user", "/usr/local/lib/systemd/user", "/usr/lib/systemd/user"},
		ConfigDir:        filepath.Join(cfgHome, "systemd/user"),
		RuntimeConfigDir: filepath.Join(rt, "systemd/user"),
		Builtin:          units.User(),
		Cgroups:          h,
		CgroupBase:       base,
		// Inside the sandbox the binary's path may be hidden (under /tmp,
		// say); the magic link always reaches it.
		Exe:  "/proc/self/exe",
		Env:  env,
		Home: home,
	}
	if err := lf.apply(&cfg, home); err != nil {
		return err
	}
	m, err := manager.New(cfg)
	if err != nil {
		return err
	}
	// Like systemd's user manager: ready once basic.target is reached (the
	// capsule's sockets listen), while the rest of the boot goes on.
	return serve(m, "basic.target", boot, hooks{afterBoot: afterBoot, beforeStop: beforeStop})
}

// hooks are what serve runs at the turns of a manager's life; nil ones
// are skipped.
type hooks struct {
	afterBoot  func() // once the boot unit's start job is done
	beforeStop func() // before a stop of manyUnits or more units
	cleanup    func() // once every unit has stopped
}

func (h hooks) run(f func()) {
	if f != nil {
		f()
	}
}

// serve runs a manager: socket up, then in the background the units
// before readiness (ready) are started, READY=1 is sent and the boot unit
// follows; calls are answered until SIGTERM or SIGINT, after which every
// unit stops.
func serve(m *manager.Manager, ready, boot string, h hooks) error {
	if err := m.Open(); err != nil {
		return err
	}
	l, err := control.Listen(m.RuntimeDir())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	served := make(chan error, 1)
	go func() { served <- control.Serve(ctx, l, m) }()
	bus := busface.New(m, func(line string) { fmt.Fprintln(os.Stderr, escape.Text(line)) })
	if err := bus.Prepare(); err != nil {
		fmt.Fprintf(os.Stderr, "bus: %s\n", escape.Text(err.Error()))
	}
	go bus.Run(ctx)
	m.SetState("starting")
	// Booting runs beside the signal wait, so a stop during a slow boot
	// is acted on at once (Shutdown cancels the boot's start jobs). A boot
	// cut short that way ends after the stop began: it must then neither
	// report the manager running nor undo the stop's settings.
	var turn sync.Mutex
	stopping := false
	go func() {
		for _, u := range []string{ready, boot} {
			if u == "" {
				continue
			}
			if _, err := m.Start(ctx, u); err != nil {
				// A capsule's manager fails on unit files in the capsule's home.
				fmt.Fprintf(os.Stderr, "Failed to start %s: %s\n", u, escape.Text(err.Error()))
			}
			if u == ready {
				sdNotify("READY=1\nSTATUS=Reached " + ready + ".")
			}
		}
		if ready == "" {
			sdNotify("READY=1\nSTATUS=Ready.")
		}
		turn.Lock()
		defer turn.Unlock()
		if !stopping {
			m.SetState("running")
			h.run(h.afterBoot)
		}
	}()
	select {
	case <-sigs:
	case err = <-served:
	}
	turn.Lock()
	stopping = true
	turn.Unlock()
	sdNotify("STOPPING=1")
	if m.LoadedUnits() >= manyUnits {
		// Each switch stops the world: worth it only for a long stop.
		collectLessWhileStopping()
		h.run(h.beforeStop)
	}
	// New calls are refused from here on, but status queries keep working
	// while units stop.
	stopCtx, stopCancel := context.WithTimeout(context.Background(), 5*time.Minute)
	m.Shutdown(stopCtx)
	stopCancel()
	m.CloseLog()
	l.Close()
	os.Remove(control.SocketPath(m.RuntimeDir()))
	h.run(h.cleanup)
	return err
}

// sdNotify tells our own manager about a state change. The socket is a
// blocking datagram socket, so a full queue delays the message rather than
// dropping it; any other failure is reported, since our manager then waits
// in vain.
func sdNotify(state string) {
	if _, err := daemon.SdNotify(false, state); err != nil {
		fmt.Fprintf(os.Stderr, "Failed to notify the service manager (%q): %v\n", state, err)
	}
}

func hierarchy() (cgroup.Hierarchy, error) {
	root, err := cgroup.Mountpoint()
	if err != nil {
		return cgroup.Hierarchy{}, fmt.Errorf("%w: capsuled needs cgroup v2 for process tracking", err)
	}
	return cgroup.Hierarchy{Root: root}, nil
}

// v1Hierarchies finds the memory and pids controllers' v1 hierarchies of
// a hybrid host, which bound units where the unified one cannot.
func v1Hierarchies() (memory, pids, devices *cgroup.V1, err error) {
	var out [3]*cgroup.V1
	for i, c := range []string{"memory", "pids", "devices"} {
		v, ok, err := cgroup.FindV1(c)
		if err != nil {
			return nil, nil, nil, err
		}
		if ok {
			out[i] = &v
		}
	}
	return out[0], out[1], out[2], nil
}

// cgroupLockDir holds a lock file per cgroup a system manager works in. It
// is root's alone: a lock on the cgroup directory itself could be taken by
// any capsule, which sees that directory, and so keep the next manager
// from starting.
const cgroupLockDir = "/run/lock/capsuled"

// lockCgroup makes sure that no other system manager works in cgroup cg,
// nor in a cgroup above or below it (each would take the other's units for
// leftovers of a crash): it holds cg's lock file exclusively and those of
// all its ancestors shared. cg's lock file goes when the returned function
// is called; the ancestors' stay, as others may hold them.
func lockCgroup(dir, cg string) (func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("lock cgroup %s: %w", cg, err)
	}
	if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() || fi.Sys().(*syscall.Stat_t).Uid != 0 || fi.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("lock cgroup %s: %s must be a directory owned by root and writable only by root", cg, dir)
	}
	cg = filepath.Clean("/" + cg)
	var ancestors []string
	for p := cg; p != "/"; {
		p = filepath.Dir(p)
		ancestors = append(ancestors, p)
	}
	var held []*os.File
	release := func() {
		for _, f := range held {
			f.Close()
		}
	}
	for _, a := range ancestors {
		f, err := lockFile(filepath.Join(dir, "cgroup-"+url.PathEscape(a)+".lock"), unix.LOCK_SH)
		if err != nil {
			release()
			return nil, fmt.Errorf("another capsuled --system is already running in cgroup %s, above %s (%w); stop it first or choose another --cgroup", a, cg, err)
		}
		held = append(held, f)
	}
	path := filepath.Join(dir, "cgroup-"+url.PathEscape(cg)+".lock")
	f, err := lockFile(path, unix.LOCK_EX)
	if err != nil {
		release()
		return nil, fmt.Errorf("another capsuled --system is already running in cgroup %s or below it (%w); stop it first or choose another --cgroup", cg, err)
	}
	return func() {
		os.Remove(path)
		f.Close()
		release()
	}, nil
}

// lockFile opens (creating it if need be) and flocks path without waiting.
func lockFile(path string, how int) (*os.File, error) {
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
		if err != nil {
			return nil, err
		}
		if err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB); err != nil {
			f.Close()
			return nil, err
		}
		// The exclusive holder unlinks the file before it lets go; a
		// lock on an unlinked file guards nothing.
		var held, named unix.Stat_t
		if unix.Fstat(int(f.Fd()), &held) == nil && unix.Stat(path, &named) == nil && held.Ino == named.Ino && held.Dev == named.Dev {
			return f, nil
		}
		f.Close()
	}
}

// lockInstance makes sure only one system manager uses runtimeDir.
func lockInstance(path string) (*os.File, error) {
	f, err := lockFile(path, unix.LOCK_EX)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return nil, fmt.Errorf("another capsuled --system is already running with %s (%w); stop it first", filepath.Dir(path), err)
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}
