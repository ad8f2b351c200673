package executor

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// runFilter interprets the subset of classic BPF the filter uses, so the
// program can be checked for every ABI, including ones this machine cannot
// run. It fails on anything the kernel would reject as well: unknown
// opcodes, misaligned or out-of-range loads, jumps past the end.
func runFilter(t *testing.T, prog []unix.SockFilter, data []byte) uint32 {
	t.Helper()
	var a uint32
	for pc := 0; pc < len(prog); pc++ {
		ins := prog[pc]
		switch ins.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			if ins.K%4 != 0 || int(ins.K)+4 > len(data) {
				t.Fatalf("pc %d: bad load offset %d", pc, ins.K)
			}
			a = binary.LittleEndian.Uint32(data[ins.K:])
		case unix.BPF_ALU | unix.BPF_AND | unix.BPF_K:
			a &= ins.K
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K:
			if a == ins.K {
				pc += int(ins.Jt)
			} else {
				pc += int(ins.Jf)
			}
		case unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K:
			if a&ins.K != 0 {
				pc += int(ins.Jt)
			} else {
				pc += int(ins.Jf)
			}
		case unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K:
			if a >= ins.K {
				pc += int(ins.Jt)
			} else {
				pc += int(ins.Jf)
			}
		case unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K:
			if a > ins.K {
				pc += int(ins.Jt)
			} else {
				pc += int(ins.Jf)
			}
		case unix.BPF_JMP | unix.BPF_JA:
			pc += int(ins.K)
			if pc >= len(prog) {
				t.Fatalf("pc %d: jump past the end", pc)
			}
		case unix.BPF_RET | unix.BPF_K:
			return ins.K
		default:
			t.Fatalf("pc %d: unsupported instruction %#x", pc, ins.Code)
		}
	}
	t.Fatalf("program ran past its end")
	return 0
}

// seccompData builds a little-endian struct seccomp_data.
func seccompData(arch, nr uint32, args ...uint64) []byte {
	b := make([]byte, 64)
	binary.LittleEndian.PutUint32(b[0:], nr)
	binary.LittleEndian.PutUint32(b[4:], arch)
	for i, v := range args {
		binary.LittleEndian.PutUint64(b[16+8*i:], v)
	}
	return b
}

// TestSeccompFilterProgram checks the filter's decisions per ABI. Syscall
// numbers and flag values are written out independently of seccomp.go.
func TestSeccompFilterProgram(t *testing.T) {
	const (
		x86    = 0xc000003e
		i386   = 0x40000003
		a64    = 0xc00000b7
		arm    = 0x40000028
		riscv  = 0xc00000f3
		x32    = 0x40000000
		allow  = unix.SECCOMP_RET_ALLOW
		eperm  = unix.SECCOMP_RET_ERRNO | 1
		enosys = unix.SECCOMP_RET_ERRNO | 38

		creat      = 0o100
		x86Tmpfile = 0o20200000
		x86Dir     = 0o200000
		armTmpfile = 0o20040000
		armDir     = 0o40000
		fifo       = 0o10000
	)
	tests := []struct {
		name string
		arch uint32
		nr   uint32
		args []uint64
		want uint32
	}{
		{"x86_64 chmod setuid", x86, 90, []uint64{0, 0o4755}, eperm},
		{"x86_64 chmod setgid", x86, 90, []uint64{0, 0o2755}, eperm},
		{"x86_64 chmod plain", x86, 90, []uint64{0, 0o755}, allow},
		{"x86_64 chmod high word ignored", x86, 90, []uint64{0, 1<<32 | 0o755}, allow},
		{"x86_64 chmod setuid with high word", x86, 90, []uint64{0, 1<<32 | 0o4000}, eperm},
		{"x86_64 fchmod setuid", x86, 91, []uint64{3, 0o4000}, eperm},
		{"x86_64 fchmodat setgid", x86, 268, []uint64{0, 0, 0o2000}, eperm},
		{"x86_64 fchmodat mode in wrong arg", x86, 268, []uint64{0, 0o4000, 0o644}, allow},
		{"x86_64 fchmodat2 setuid", x86, 452, []uint64{0, 0, 0o4000, 0}, eperm},
		{"x86_64 mkdir setgid", x86, 83, []uint64{0, 0o2755}, eperm},
		{"x86_64 mkdirat setgid", x86, 258, []uint64{0, 0, 0o2755}, eperm},
		{"x86_64 mknod setuid fifo", x86, 133, []uint64{0, fifo | 0o4644}, eperm},
		{"x86_64 mknodat plain fifo", x86, 259, []uint64{0, 0, fifo | 0o644}, allow},
		{"x86_64 creat setuid", x86, 85, []uint64{0, 0o4755}, eperm},
		{"x86_64 creat plain", x86, 85, []uint64{0, 0o644}, allow},
		{"x86_64 open create setuid", x86, 2, []uint64{0, creat | 1, 0o4755}, eperm},
		{"x86_64 open create plain", x86, 2, []uint64{0, creat | 1, 0o644}, allow},
		{"x86_64 open existing, setuid mode ignored", x86, 2, []uint64{0, 2, 0o4755}, allow},
		{"x86_64 open tmpfile setgid", x86, 2, []uint64{0, x86Tmpfile | 2, 0o2700}, eperm},
		{"x86_64 open directory, setuid mode ignored", x86, 2, []uint64{0, x86Dir, 0o4755}, allow},
		{"x86_64 openat create setuid", x86, 257, []uint64{0, 0, creat | 1, 0o4755}, eperm},
		{"x86_64 openat create plain", x86, 257, []uint64{0, 0, creat | 1, 0o644}, allow},
		{"x86_64 openat no create", x86, 257, []uint64{0, 0, 0, 0o4755}, allow},
		{"x86_64 openat tmpfile setuid", x86, 257, []uint64{0, 0, x86Tmpfile | 2, 0o4700}, eperm},
		{"x86_64 openat2", x86, 437, nil, enosys},
		{"x86_64 unrelated", x86, 1, []uint64{0, 0o4000, 0o4000, 0o4000}, allow},
		{"x32 chmod setuid", x86, x32 | 90, []uint64{0, 0o4000}, eperm},
		{"x32 chmod plain", x86, x32 | 90, []uint64{0, 0o644}, allow},
		{"x32 openat create setgid", x86, x32 | 257, []uint64{0, 0, creat, 0o2000}, eperm},
		{"x32 openat2", x86, x32 | 437, nil, enosys},
		{"x32 own syscall", x86, x32 | 515, []uint64{0, 0o4000, 0o4000}, allow},
		{"i386 chmod setuid", i386, 15, []uint64{0, 0o4000}, eperm},
		{"i386 fchmodat setgid", i386, 306, []uint64{0, 0, 0o2000}, eperm},
		{"i386 open create setuid", i386, 5, []uint64{0, creat, 0o4000}, eperm},
		{"i386 openat tmpfile setuid", i386, 295, []uint64{0, 0, x86Tmpfile, 0o4000}, eperm},
		{"i386 openat2", i386, 437, nil, enosys},
		{"i386 x86_64 chmod number", i386, 90, []uint64{0, 0o4000}, allow},
		{"aarch64 fchmodat setuid", a64, 53, []uint64{0, 0, 0o4000}, eperm},
		{"aarch64 mknodat setgid", a64, 33, []uint64{0, 0, fifo | 0o2644}, eperm},
		{"aarch64 openat create setuid", a64, 56, []uint64{0, 0, creat, 0o4000}, eperm},
		{"aarch64 openat tmpfile setgid", a64, 56, []uint64{0, 0, armTmpfile, 0o2000}, eperm},
		{"aarch64 openat directory", a64, 56, []uint64{0, 0, armDir, 0o4000}, allow},
		{"aarch64 openat2", a64, 437, nil, enosys},
		{"aarch64 x86_64 chmod number", a64, 90, []uint64{0, 0o4000}, allow},
		{"arm chmod setgid", arm, 15, []uint64{0, 0o2000}, eperm},
		{"arm fchmodat setuid", arm, 333, []uint64{0, 0, 0o4000}, eperm},
		{"arm openat create setuid", arm, 322, []uint64{0, 0, creat, 0o4000}, eperm},
		{"x86_64 io_uring_setup", x86, 425, []uint64{4, 0}, enosys},
		{"x86_64 io_uring_enter", x86, 426, nil, enosys},
		{"x86_64 io_uring_register", x86, 427, nil, enosys},
		{"x32 io_uring_setup", x86, x32 | 425, nil, enosys},
		{"i386 io_uring_setup", i386, 425, nil, enosys},
		{"aarch64 io_uring_enter", a64, 426, nil, enosys},
		{"arm io_uring_register", arm, 427, nil, enosys},
		{"x86_64 unshare not restricted", x86, 272, []uint64{0x10000000}, allow},
		{"x86_64 clone3 not restricted", x86, 435, nil, allow},
		{"unknown arch allowed", riscv, 53, []uint64{0, 0, 0o4000}, allow},
	}
	prog, err := restrictions{suidSGID: true}.program()
	if err != nil {
		t.Fatal(err)
	}
	if len(prog) > unix.BPF_MAXINSNS {
		t.Fatalf("filter has %d instructions, kernel limit is %d", len(prog), unix.BPF_MAXINSNS)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := runFilter(t, prog, seccompData(tt.arch, tt.nr, tt.args...)); got != tt.want {
				t.Errorf("got %#x, want %#x", got, tt.want)
			}
		})
	}
}

const (
	seccompHelperEnv = "CAPSULED_SECCOMP_HELPER" // "filter" or "control"
	seccompDirEnv    = "CAPSULED_SECCOMP_DIR"
	seccompResultTag = "seccomp-result"
)

// errName turns an error into the word the parent compares against.
func errName(err error) string {
	var errno syscall.Errno
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &errno):
		if n := unix.ErrnoName(errno); n != "" {
			return n
		}
		return fmt.Sprintf("errno%d", int(errno))
	default:
		return "error:" + strings.ReplaceAll(err.Error(), " ", "_")
	}
}

// legacySyscall issues a path-and-mode syscall that Go's os package never
// uses (it always picks the *at variant). Numbers are x86_64's.
func legacySyscall(nr uintptr, path string, a1, a2 uintptr) error {
	if runtime.GOARCH != "amd64" {
		return errors.New("skip")
	}
	p, err := unix.BytePtrFromString(path)
	if err != nil {
		return err
	}
	r, _, errno := unix.Syscall(nr, uintptr(unsafe.Pointer(p)), a1, a2)
	runtime.KeepAlive(p)
	if errno != 0 {
		return errno
	}
	if nr == 85 || nr == 2 { // creat, open: close the new fd
		unix.Close(int(r))
	}
	return nil
}

// TestHelperSeccomp is not a test by itself: TestSeccompRestrictSUIDSGID
// runs it in a child process, because the filter can never be removed again.
func TestHelperSeccomp(t *testing.T) {
	mode := os.Getenv(seccompHelperEnv)
	if mode == "" {
		t.Skip("helper process for TestSeccompRestrictSUIDSGID")
	}
	dir := os.Getenv(seccompDirEnv)
	p := func(name string) string { return filepath.Join(dir, name) }
	for _, name := range []string{"file", "fchmod", "existing", "program"} {
		if err := os.WriteFile(p(name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fchmodFile, err := os.Open(p("fchmod"))
	if err != nil {
		t.Fatal(err)
	}
	defer fchmodFile.Close()

	if mode == "filter" {
		// no_new_privs is per thread, and the kernel checks it on the
		// thread installing the filter; TSYNC then carries both to the
		// other threads.
		runtime.LockOSThread()
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			t.Fatal(err)
		}
		if err := (restrictions{suidSGID: true}).install(); err != nil {
			t.Fatal(err)
		}
		runtime.UnlockOSThread()
	}

	openClose := func(path string, flag int, perm os.FileMode) error {
		f, err := os.OpenFile(path, flag, perm)
		if err == nil {
			f.Close()
		}
		return err
	}
	rawOpen := func(path string, flags int, perm uint32) error {
		fd, err := unix.Open(path, flags, perm)
		if err == nil {
			unix.Close(fd)
		}
		return err
	}
	cases := []struct {
		name string
		run  func() string
	}{
		{"chmod-setuid", func() string { return errName(os.Chmod(p("file"), 0o755|os.ModeSetuid)) }},
		{"chmod-setgid", func() string { return errName(os.Chmod(p("file"), 0o755|os.ModeSetgid)) }},
		{"chmod-plain", func() string { return errName(os.Chmod(p("file"), 0o755)) }},
		{"fchmod-setuid", func() string { return errName(fchmodFile.Chmod(0o755 | os.ModeSetuid)) }},
		{"fchmodat2-setgid", func() string {
			return errName(unix.Fchmodat(unix.AT_FDCWD, p("file"), 0o2755, unix.AT_SYMLINK_NOFOLLOW))
		}},
		{"fchmodat2-plain", func() string {
			return errName(unix.Fchmodat(unix.AT_FDCWD, p("file"), 0o750, unix.AT_SYMLINK_NOFOLLOW))
		}},
		{"create-setuid", func() string {
			return errName(openClose(p("new-suid"), os.O_CREATE|os.O_WRONLY, 0o755|os.ModeSetuid))
		}},
		{"create-setuid-left-nothing", func() string { _, err := os.Lstat(p("new-suid")); return errName(err) }},
		{"create-excl-setgid", func() string {
			return errName(openClose(p("new-sgid"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o700|os.ModeSetgid))
		}},
		{"create-plain", func() string { return errName(openClose(p("new-plain"), os.O_CREATE|os.O_WRONLY, 0o644)) }},
		{"open-existing", func() string { return errName(openClose(p("existing"), os.O_RDWR, 0)) }},
		{"open-existing-setuid-mode", func() string {
			return errName(openClose(p("existing"), os.O_RDWR, 0o755|os.ModeSetuid))
		}},
		{"tmpfile-setuid", func() string { return errName(rawOpen(dir, unix.O_TMPFILE|unix.O_RDWR, 0o4700)) }},
		{"tmpfile-plain", func() string { return errName(rawOpen(dir, unix.O_TMPFILE|unix.O_RDWR, 0o600)) }},
		{"open-directory-setuid-mode", func() string { return errName(rawOpen(dir, unix.O_DIRECTORY|unix.O_RDONLY, 0o4700)) }},
		{"mknod-fifo-setuid", func() string { return errName(unix.Mknod(p("fifo-suid"), unix.S_IFIFO|unix.S_ISUID|0o644, 0)) }},
		{"mknod-fifo-plain", func() string { return errName(unix.Mknod(p("fifo"), unix.S_IFIFO|0o644, 0)) }},
		{"mkdir-setgid", func() string { return errName(unix.Mkdir(p("dir-sgid"), unix.S_ISGID|0o755)) }},
		{"mkdir-plain", func() string { return errName(unix.Mkdir(p("dir"), 0o755)) }},
		{"openat2", func() string {
			fd, err := unix.Openat2(unix.AT_FDCWD, p("existing"), &unix.OpenHow{Flags: unix.O_RDONLY})
			if err == nil {
				unix.Close(fd)
			}
			return errName(err)
		}},
		{"legacy-chmod-setgid", func() string { return errName(legacySyscall(90, p("file"), 0o2755, 0)) }},
		{"legacy-creat-setuid", func() string { return errName(legacySyscall(85, p("creat-suid"), 0o4755, 0)) }},
		{"legacy-creat-plain", func() string { return errName(legacySyscall(85, p("creat"), 0o644, 0)) }},
		{"legacy-open-create-setuid", func() string {
			return errName(legacySyscall(2, p("open-suid"), unix.O_CREAT|unix.O_WRONLY, 0o4755))
		}},
		{"legacy-mknod-setuid", func() string { return errName(legacySyscall(133, p("fifo-legacy"), unix.S_IFIFO|0o4644, 0)) }},
		{"legacy-mkdir-setgid", func() string { return errName(legacySyscall(83, p("dir-legacy"), 0o2755, 0)) }},
		{"all-threads-filtered", func() string { return threadsFiltered() }},
		{"chmod-program", func() string {
			// Filters are inherited, so a real program is caught too.
			err := osexec.Command("chmod", "u+s", p("program")).Run()
			fi, serr := os.Stat(p("program"))
			if serr != nil {
				return errName(serr)
			}
			return fmt.Sprintf("exit=%d,setuid=%t", exitStatus(err), fi.Mode()&os.ModeSetuid != 0)
		}},
	}
	for _, c := range cases {
		fmt.Printf("%s %s %s\n", seccompResultTag, c.name, c.run())
	}
}

func exitStatus(err error) int {
	var ee *osexec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	default:
		return -1
	}
}

// threadsFiltered reports whether every thread of the process is in seccomp
// filter mode, which only TSYNC achieves for threads that already existed.
func threadsFiltered() string {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return errName(err)
	}
	unfiltered := 0
	for _, task := range tasks {
		status, err := os.ReadFile(filepath.Join("/proc/self/task", task.Name(), "status"))
		if err != nil {
			continue // thread exited meanwhile
		}
		if !bytes.Contains(status, []byte("\nSeccomp:\t2\n")) {
			unfiltered++
		}
	}
	if unfiltered > 0 || len(tasks) < 2 {
		return fmt.Sprintf("threads=%d,unfiltered=%d", len(tasks), unfiltered)
	}
	return "yes"
}

func runSeccompHelper(t *testing.T, mode string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	cmd := osexec.Command(os.Args[0], "-test.run=^TestHelperSeccomp$", "-test.count=1")
	cmd.Env = append(os.Environ(), seccompHelperEnv+"="+mode, seccompDirEnv+"="+dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s helper: %v\nstdout:\n%s\nstderr:\n%s", mode, err, stdout.String(), stderr.String())
	}
	results := map[string]string{}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == seccompResultTag {
			results[f[1]] = f[2]
		}
	}
	return results
}

// TestSeccompRestrictSUIDSGID installs the filter in a child process and
// checks what it refuses. A control child without the filter runs the same
// operations, so a denial can be attributed to the filter and not to the
// environment.
func TestSeccompRestrictSUIDSGID(t *testing.T) {
	if !filterGOARCH(runtime.GOARCH) {
		t.Skipf("RestrictSUIDSGID is not supported on %s", runtime.GOARCH)
	}
	if _, err := osexec.LookPath("chmod"); err != nil {
		t.Skip("chmod(1) not found")
	}
	// Alternatives after "|" cover kernels without fchmodat2 (6.6) or
	// openat2 (5.6), and file systems without O_TMPFILE.
	tests := []struct {
		name    string
		filter  string
		control string
		legacy  bool // x86_64-only raw syscall
	}{
		{name: "chmod-setuid", filter: "EPERM", control: "ok"},
		{name: "chmod-setgid", filter: "EPERM", control: "ok"},
		{name: "chmod-plain", filter: "ok", control: "ok"},
		{name: "fchmod-setuid", filter: "EPERM", control: "ok"},
		{name: "fchmodat2-setgid", filter: "EPERM", control: "ok|EOPNOTSUPP"},
		{name: "fchmodat2-plain", filter: "ok|EOPNOTSUPP", control: "ok|EOPNOTSUPP"},
		{name: "create-setuid", filter: "EPERM", control: "ok"},
		{name: "create-setuid-left-nothing", filter: "ENOENT", control: "ok"},
		{name: "create-excl-setgid", filter: "EPERM", control: "ok"},
		{name: "create-plain", filter: "ok", control: "ok"},
		{name: "open-existing", filter: "ok", control: "ok"},
		{name: "open-existing-setuid-mode", filter: "ok", control: "ok"},
		{name: "tmpfile-setuid", filter: "EPERM", control: "ok|EOPNOTSUPP"},
		{name: "tmpfile-plain", filter: "ok|EOPNOTSUPP", control: "ok|EOPNOTSUPP"},
		{name: "open-directory-setuid-mode", filter: "ok", control: "ok"},
		{name: "mknod-fifo-setuid", filter: "EPERM", control: "ok"},
		{name: "mknod-fifo-plain", filter: "ok", control: "ok"},
		{name: "mkdir-setgid", filter: "EPERM", control: "ok"},
		{name: "mkdir-plain", filter: "ok", control: "ok"},
		{name: "openat2", filter: "ENOSYS", control: "ok|ENOSYS"},
		{name: "legacy-chmod-setgid", filter: "EPERM", control: "ok", legacy: true},
		{name: "legacy-creat-setuid", filter: "EPERM", control: "ok", legacy: true},
		{name: "legacy-creat-plain", filter: "ok", control: "ok", legacy: true},
		{name: "legacy-open-create-setuid", filter: "EPERM", control: "ok", legacy: true},
		{name: "legacy-mknod-setuid", filter: "EPERM", control: "ok", legacy: true},
		{name: "legacy-mkdir-setgid", filter: "EPERM", control: "ok", legacy: true},
		{name: "all-threads-filtered", filter: "yes", control: "threads=*"},
		{name: "chmod-program", filter: "exit=1,setuid=false", control: "exit=0,setuid=true"},
	}
	runs := map[string]map[string]string{
		"control": runSeccompHelper(t, "control"),
		"filter":  runSeccompHelper(t, "filter"),
	}
	for _, tt := range tests {
		for _, mode := range []string{"control", "filter"} {
			t.Run(mode+"/"+tt.name, func(t *testing.T) {
				want := tt.filter
				if mode == "control" {
					want = tt.control
				}
				if tt.legacy && runtime.GOARCH != "amd64" {
					want = "error:skip"
				}
				got, ok := runs[mode][tt.name]
				if !ok {
					t.Fatalf("helper reported no result")
				}
				if !matchResult(got, want) {
					t.Errorf("got %s, want %s", got, want)
				}
			})
		}
	}
}

// matchResult compares against "|"-separated alternatives; a trailing "*"
// matches any suffix.
func matchResult(got, want string) bool {
	return slices.ContainsFunc(strings.Split(want, "|"), func(w string) bool {
		if prefix, ok := strings.CutSuffix(w, "*"); ok {
			return strings.HasPrefix(got, prefix)
		}
		return got == w
	})
}
