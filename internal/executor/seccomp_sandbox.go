package executor

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The filters of systemd.exec(5)'s system call settings: SystemCallFilter=
// (with SystemCallErrorNumber= and SystemCallArchitectures=), and the
// argument checks of LockPersonality=, MemoryDenyWriteExecute=,
// RestrictRealtime= and RestrictAddressFamilies=. Each is a filter of its
// own next to the RestrictSUIDSGID=/RestrictNamespaces= one; the kernel
// runs them all and the strictest answer wins.

// SyscallPlan is what the executor installs for those settings.
type SyscallPlan struct {
	// Allow makes Names an allow-list: every other system call gets
	// Action. Otherwise Names are refused.
	Allow bool `json:"allow,omitempty"`
	// Names maps system calls to the errno they fail with; -1 is Action.
	Names map[string]int `json:"names,omitempty"`
	// Action is the errno of a refused call, or -1 to kill the process
	// (SIGSYS), systemd's default.
	Action int `json:"action"`
	// NativeOnly kills a process making a system call of another ABI
	// than the kernel's own (SystemCallArchitectures=native).
	NativeOnly bool `json:"nativeOnly,omitempty"`
	// Deny are further refusals (ProtectClock= and friends): each
	// system call (or @group) fails with its errno.
	Deny map[string]int `json:"deny,omitempty"`

	LockPersonality  bool `json:"lockPersonality,omitempty"`
	DenyWriteExecute bool `json:"denyWriteExecute,omitempty"`
	RestrictRealtime bool `json:"restrictRealtime,omitempty"`
	// Families, when RestrictFamilies, are the only address families
	// socket(2) takes (FamiliesAllow) or those it refuses.
	RestrictFamilies bool  `json:"restrictFamilies,omitempty"`
	FamiliesAllow    bool  `json:"familiesAllow,omitempty"`
	Families         []int `json:"families,omitempty"`
}

// addressFamilies are the AF_* names RestrictAddressFamilies= takes.
var addressFamilies = map[string]int{
	"AF_UNIX": 1, "AF_LOCAL": 1, "AF_INET": 2, "AF_AX25": 3, "AF_IPX": 4, "AF_APPLETALK": 5, "AF_NETROM": 6,
	"AF_BRIDGE": 7, "AF_ATMPVC": 8, "AF_X25": 9, "AF_INET6": 10, "AF_ROSE": 11, "AF_DECnet": 12,
	"AF_NETBEUI": 13, "AF_SECURITY": 14, "AF_KEY": 15, "AF_NETLINK": 16, "AF_PACKET": 17, "AF_ASH": 18,
	"AF_ECONET": 19, "AF_ATMSVC": 20, "AF_RDS": 21, "AF_SNA": 22, "AF_IRDA": 23, "AF_PPPOX": 24,
	"AF_WANPIPE": 25, "AF_LLC": 26, "AF_IB": 27, "AF_MPLS": 28, "AF_CAN": 29, "AF_TIPC": 30,
	"AF_BLUETOOTH": 31, "AF_IUCV": 32, "AF_RXRPC": 33, "AF_ISDN": 34, "AF_PHONET": 35, "AF_IEEE802154": 36,
	"AF_CAIF": 37, "AF_ALG": 38, "AF_NFC": 39, "AF_VSOCK": 40, "AF_KCM": 41, "AF_QIPCRTR": 42, "AF_SMC": 43,
	"AF_XDP": 44, "AF_MCTP": 45,
}

// ParseAddressFamily returns the number of an AF_* name.
func ParseAddressFamily(name string) (int, bool) {
	n, ok := addressFamilies[name]
	return n, ok
}

// AddressFamilyName is the name show uses for family n.
func AddressFamilyName(n int) string {
	var best string
	for k, v := range addressFamilies {
		if v == n && k != "AF_LOCAL" {
			best = k
		}
	}
	return best
}

// ParseErrno returns the number of an errno name (EPERM) or number.
func ParseErrno(s string) (int, bool) {
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err == nil && fmt.Sprint(n) == s {
		return n, n >= 0 && n <= 4095
	}
	for e := 1; e < 4096; e++ {
		if unix.ErrnoName(unix.Errno(e)) == s {
			return e, true
		}
	}
	return 0, false
}

// ErrnoName is the name of errno n, or its number.
func ErrnoName(n int) string {
	if s := unix.ErrnoName(unix.Errno(n)); s != "" {
		return s
	}
	return fmt.Sprint(n)
}

const (
	valuesRule ruleKind = iota + 100 // errno unless (or when) the masked argument is one of values
	maskEqRule                       // errno when arg&mask == mask
	protExec   = unix.PROT_EXEC
	protWrite  = unix.PROT_WRITE
	shmExec    = 0o100000
	perQuery   = 0xffffffff
)

// argRule is an argument check by system call name, resolved per ABI.
type argRule struct {
	name    string
	kind    ruleKind
	arg     int
	mask    uint32
	values  []uint32
	inverse bool // valuesRule: errno when the argument is one of values
	errno   unix.Errno
}

// argRules are the argument checks p asks for.
func (p *SyscallPlan) argRules() []argRule {
	var out []argRule
	if p.LockPersonality {
		// Only a query, or asking for the default personality, passes.
		out = append(out, argRule{name: "personality", kind: valuesRule, arg: 0, values: []uint32{perQuery, 0 /* PER_LINUX */}, errno: unix.EPERM})
	}
	if p.DenyWriteExecute {
		for _, n := range []string{"mmap", "mmap2"} {
			out = append(out, argRule{name: n, kind: maskEqRule, arg: 2, mask: protExec | protWrite, errno: unix.EPERM})
		}
		for _, n := range []string{"mprotect", "pkey_mprotect"} {
			out = append(out, argRule{name: n, kind: flagsRule, arg: 2, mask: protExec, errno: unix.EPERM})
		}
		out = append(out, argRule{name: "shmat", kind: flagsRule, arg: 2, mask: shmExec, errno: unix.EPERM})
	}
	if p.RestrictRealtime {
		// SCHED_OTHER, SCHED_BATCH and SCHED_IDLE, with or without
		// SCHED_RESET_ON_FORK.
		out = append(out, argRule{name: "sched_setscheduler", kind: valuesRule, arg: 1, mask: ^uint32(unix.SCHED_RESET_ON_FORK),
			values: []uint32{unix.SCHED_NORMAL, unix.SCHED_BATCH, unix.SCHED_IDLE}, errno: unix.EPERM})
	}
	if p.RestrictFamilies {
		var fam []uint32
		for _, f := range p.Families {
			fam = append(fam, uint32(f))
		}
		out = append(out, argRule{name: "socket", kind: valuesRule, arg: 0, values: fam, inverse: !p.FamiliesAllow, errno: unix.EAFNOSUPPORT})
		// i386's multiplexer passes the family in memory a filter cannot
		// read; programs fall back to it only where socket(2) is missing.
		out = append(out, argRule{name: "socketcall", kind: errnoRule, errno: unix.ENOSYS})
	}
	return out
}

func retErrno(e int) uint32 {
	if e < 0 {
		return unix.SECCOMP_RET_KILL_PROCESS
	}
	return unix.SECCOMP_RET_ERRNO | uint32(e)
}

// argBody is the instructions run once the number matched r; they always
// return.
func argBody(r argRule) []unix.SockFilter {
	ld := bpfStmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, argLow(r.arg))
	fail := bpfStmt(unix.BPF_RET|unix.BPF_K, retErrno(int(r.errno)))
	pass := bpfStmt(unix.BPF_RET|unix.BPF_K, retAllow)
	switch r.kind {
	case valuesRule:
		prog := []unix.SockFilter{ld}
		if r.mask != 0 {
			prog = append(prog, bpfStmt(unix.BPF_ALU|unix.BPF_AND|unix.BPF_K, r.mask))
		}
		n := len(r.values)
		for i, v := range r.values {
			// A match jumps past the other checks and the "none" return.
			prog = append(prog, bpfJump(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, v, uint8(n-i), 0))
		}
		if r.inverse {
			return append(prog, pass, fail)
		}
		return append(prog, fail, pass)
	case maskEqRule:
		return []unix.SockFilter{ld, bpfStmt(unix.BPF_ALU|unix.BPF_AND|unix.BPF_K, r.mask),
			bpfJump(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, r.mask, 0, 1), fail, pass}
	case flagsRule:
		return []unix.SockFilter{ld, bpfJump(unix.BPF_JMP|unix.BPF_JSET|unix.BPF_K, r.mask, 0, 1), fail, pass}
	default:
		return []unix.SockFilter{fail}
	}
}

// familyABIs are the ABIs of the kernel this binary runs on: the native
// one first, then its compat ABI.
func familyABIs(goarch string) []abi {
	var want []string
	switch goarch {
	case "amd64":
		want = []string{"x86_64", "i386"}
	case "386":
		want = []string{"i386"}
	case "arm64":
		want = []string{"aarch64", "arm"}
	case "arm":
		want = []string{"arm"}
	}
	var out []abi
	for _, w := range want {
		for _, a := range abis() {
			if a.table == w {
				out = append(out, a)
			}
		}
	}
	return out
}

// expand resolves names and @groups to system calls, each keeping the
// errno given for its entry.
func expand(m map[string]int) map[string]int {
	out := map[string]int{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		names, _ := ExpandSyscalls(k)
		for _, n := range names {
			out[n] = m[k]
		}
	}
	return out
}

// abiSection is the part of p's program for ABI a (native: the kernel's
// own); it always returns.
func (p *SyscallPlan) abiSection(a abi, native bool) []unix.SockFilter {
	block := retErrno(p.Action)
	if p.NativeOnly && !native {
		return []unix.SockFilter{bpfStmt(unix.BPF_RET|unix.BPF_K, unix.SECCOMP_RET_KILL_PROCESS)}
	}
	prog := []unix.SockFilter{bpfStmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, seccompDataNr)}
	if a.nrMask != 0 {
		// x32 calls carry their own numbers, which these tables do not
		// have: with a filter they are refused as a whole.
		x32 := block
		if p.NativeOnly || x32 == retAllow {
			x32 = unix.SECCOMP_RET_KILL_PROCESS
		}
		prog = append(prog, bpfJump(unix.BPF_JMP|unix.BPF_JSET|unix.BPF_K, x32Bit, 0, 1),
			bpfStmt(unix.BPF_RET|unix.BPF_K, x32))
	}
	for _, r := range p.argRules() {
		nr, ok := syscallNumber(a.table, r.name)
		if !ok {
			continue
		}
		body := argBody(r)
		prog = append(prog, bpfJump(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, nr, 0, uint8(len(body))))
		prog = append(prog, body...)
	}
	if p.refuseIOURing() {
		for _, n := range []string{"io_uring_setup", "io_uring_enter", "io_uring_register"} {
			if nr, ok := syscallNumber(a.table, n); ok {
				prog = append(prog, bpfJump(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, nr, 0, 1),
					bpfStmt(unix.BPF_RET|unix.BPF_K, retErrno(int(unix.ENOSYS))))
			}
		}
	}
	// What each listed call gets; refusals of Deny win over the filter.
	rets := map[uint32]uint32{}
	for n, e := range expand(p.Names) {
		nr, ok := syscallNumber(a.table, n)
		if !ok {
			continue
		}
		switch {
		case p.Allow:
			rets[nr] = retAllow
		case e >= 0:
			rets[nr] = retErrno(e)
		default:
			rets[nr] = block
		}
	}
	for n, e := range expand(p.Deny) {
		if nr, ok := syscallNumber(a.table, n); ok {
			rets[nr] = retErrno(e)
		}
	}
	unlisted := uint32(retAllow)
	if p.Allow {
		// A call newer than the list fails as on a kernel without it, so
		// programs fall back instead of being killed (as systemd does).
		unlisted = block
		prog = append(prog,
			bpfJump(unix.BPF_JMP|unix.BPF_JGT|unix.BPF_K, maxSyscall(a.table), 0, 1),
			bpfStmt(unix.BPF_RET|unix.BPF_K, retErrno(int(unix.ENOSYS))))
	}
	nrs := slices.Sorted(maps.Keys(rets))
	return append(prog, searchTree(nrs, rets, unlisted)...)
}

// searchTree is a binary search over the sorted numbers nrs for the
// number in the accumulator, returning rets[nr], or unlisted: a few dozen
// instructions run per call where a list of all would take hundreds.
func searchTree(nrs []uint32, rets map[uint32]uint32, unlisted uint32) []unix.SockFilter {
	if len(nrs) <= 8 {
		var prog []unix.SockFilter
		for _, nr := range nrs {
			prog = append(prog, bpfJump(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, nr, 0, 1),
				bpfStmt(unix.BPF_RET|unix.BPF_K, rets[nr]))
		}
		return append(prog, bpfStmt(unix.BPF_RET|unix.BPF_K, unlisted))
	}
	mid := len(nrs) / 2
	low := searchTree(nrs[:mid], rets, unlisted)
	high := searchTree(nrs[mid:], rets, unlisted)
	// nr >= nrs[mid] goes on to the jump over the lower half; both halves
	// end in returns.
	prog := []unix.SockFilter{
		bpfJump(unix.BPF_JMP|unix.BPF_JGE|unix.BPF_K, nrs[mid], 0, 1),
		bpfStmt(unix.BPF_JMP|unix.BPF_JA, uint32(len(low))),
	}
	prog = append(prog, low...)
	return append(prog, high...)
}

// program assembles p's filter for a kernel running goarch. Sections are
// skipped with BPF_JA, whose offset has 32 bits: an allow-list section is
// far longer than a conditional jump reaches.
func (p *SyscallPlan) program(goarch string) ([]unix.SockFilter, error) {
	fam := familyABIs(goarch)
	if len(fam) == 0 {
		return nil, fmt.Errorf("system call filters are not supported on %s", goarch)
	}
	prog := []unix.SockFilter{bpfStmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, seccompDataArch)}
	for i, a := range fam {
		sec := p.abiSection(a, i == 0)
		prog = append(prog, bpfJump(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, a.audit, 1, 0),
			bpfStmt(unix.BPF_JMP|unix.BPF_JA, uint32(len(sec))))
		prog = append(prog, sec...)
	}
	// Any other ABI: refused where only listed calls may pass.
	last := uint32(retAllow)
	if p.Allow || p.NativeOnly {
		last = unix.SECCOMP_RET_KILL_PROCESS
	}
	prog = append(prog, bpfStmt(unix.BPF_RET|unix.BPF_K, last))
	if len(prog) > 4096 {
		return nil, fmt.Errorf("system call filter too long (%d instructions)", len(prog))
	}
	return prog, nil
}

// filterFor is p's program for this process, ready for seccomp(2).
func (p *SyscallPlan) filterFor() ([]unix.SockFilter, error) { return p.program(runtime.GOARCH) }

// installThread puts filter on the calling thread only. The executor
// execs right after, which leaves only this thread, so what runs next is
// filtered while the Go runtime's other threads, which make calls an
// allow-list may lack, are not killed before the exec.
func installThread(filter []unix.SockFilter) error {
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	_, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(filter)
	if errno != 0 {
		return fmt.Errorf("install system call filter: %w", errno)
	}
	return nil
}

// denyWriteExecute asks the kernel to refuse memory that is both writable
// and executable, or becomes executable later (PR_SET_MDWE, Linux 6.3);
// it is inherited across fork and exec and cannot be undone.
func denyWriteExecute() error {
	const refuseExecGain = 1 // PR_MDWE_REFUSE_EXEC_GAIN
	return unix.Prctl(unix.PR_SET_MDWE, refuseExecGain, 0, 0, 0)
}

// ioURingOps are system calls io_uring can do in their place, past any
// system call filter.
var ioURingOps = []string{"accept", "accept4", "bind", "close", "connect", "epoll_ctl", "fadvise64",
	"fallocate", "fdatasync", "fgetxattr", "fsetxattr", "fsync", "ftruncate", "futex", "futex_waitv",
	"getxattr", "linkat", "listen", "madvise", "mkdirat", "openat", "openat2", "pipe2", "poll", "ppoll",
	"pread64", "preadv", "preadv2", "pwrite64", "pwritev", "pwritev2", "read", "readv", "recvfrom",
	"recvmsg", "renameat", "renameat2", "sendmsg", "sendto", "setxattr", "shutdown", "socket", "splice",
	"statx", "symlinkat", "sync_file_range", "tee", "unlinkat", "waitid", "write", "writev"}

// refuseIOURing reports whether io_uring must fail (ENOSYS, as on a
// kernel without it, so programs fall back to system calls): its
// operations never pass through a filter, so it would do what the filter
// refuses. systemd leaves it open.
func (p *SyscallPlan) refuseIOURing() bool {
	if p.RestrictFamilies {
		return true
	}
	if p.Names == nil {
		return false
	}
	names := expand(p.Names)
	for _, op := range ioURingOps {
		_, listed := names[op]
		if listed != p.Allow {
			return true
		}
	}
	return false
}
