package executor

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The sandbox's seccomp filter: a classic-BPF program for
// RestrictSUIDSGID= and RestrictNamespaces=.
//
// RestrictSUIDSGID= makes every attempt to create a set-user-ID or
// set-group-ID file, or to add those bits to an existing one, fail with
// EPERM. It follows systemd's rule set (seccomp_restrict_suid_sgid): chmod,
// fchmod, fchmodat, fchmodat2, mkdir, mkdirat, mknod, mknodat and creat are
// refused when their mode has S_ISUID or S_ISGID; open and openat only when
// they also create a file (O_CREAT or O_TMPFILE); openat2 keeps its flags
// and mode in a struct a filter cannot read, so it fails with ENOSYS and
// libc falls back to openat. Unlike systemd's, it also refuses io_uring
// (ENOSYS, as on a kernel without it, so programs fall back to plain system
// calls): IORING_OP_OPENAT, OPENAT2 and MKDIRAT create files with any mode
// and never pass through a system call filter.
//
// RestrictNamespaces= refuses, with EPERM, unshare and clone with a flag of
// a denied namespace type, setns into one and setns with no type at all
// (which could join any); clone3 passes its flags in a struct, so it fails
// with ENOSYS and libc falls back to clone. This is what systemd does.
//
// Key upcalls: request_key(2) for a key that does not exist makes the
// kernel run /sbin/request-key as root, outside the sandbox and the unit's
// cgroup, with a description and callout text the caller chose, and the
// caller waits for it uninterruptibly. A sandboxed unit of a dynamic user
// gets ENOSYS instead, as on a kernel without keys; add_key and keyctl,
// which start nothing, stay. systemd leaves request_key open.

// NamespaceFlags are all CLONE_NEW* flags RestrictNamespaces= knows.
const NamespaceFlags = unix.CLONE_NEWCGROUP | unix.CLONE_NEWIPC | unix.CLONE_NEWNET | unix.CLONE_NEWNS |
	unix.CLONE_NEWPID | unix.CLONE_NEWUSER | unix.CLONE_NEWUTS | unix.CLONE_NEWTIME

// restrictions is what one filter program enforces.
type restrictions struct {
	suidSGID bool
	// namespaces are the CLONE_NEW* flags that may be neither created
	// nor joined; 0 restricts nothing.
	namespaces uint32
	// keyUpcalls refuses request_key(2).
	keyUpcalls bool
}

// Offsets into struct seccomp_data (linux/seccomp.h). Every ABI handled here
// is little-endian, so the low 32 bits of args[i] come first; only those
// bits of a mode or flags argument mean anything to the kernel.
const (
	seccompDataNr   = 0
	seccompDataArch = 4
	seccompDataArgs = 16
)

// suidSGIDBits are S_ISUID|S_ISGID.
const suidSGIDBits = unix.S_ISUID | unix.S_ISGID

type ruleKind int

const (
	// modeRule: EPERM when the mode argument has S_ISUID or S_ISGID.
	modeRule ruleKind = iota
	// openRule: as modeRule, but only when the flags argument creates a file.
	openRule
	// errnoRule: fail unconditionally with errno.
	errnoRule
	// flagsRule: EPERM when the flags argument has a bit of mask.
	flagsRule
	// setnsRule: EPERM when the type argument is 0 or has a bit of mask.
	setnsRule
)

type rule struct {
	nr    uint32
	kind  ruleKind
	mode  int        // argument index of the mode (modeRule, openRule)
	flags int        // argument index of the flags (openRule, flagsRule, setnsRule)
	mask  uint32     // flagsRule, setnsRule
	errno unix.Errno // errnoRule
}

// rules returns what r asks of a.
func (r restrictions) rules(a abi) []rule {
	var out []rule
	if r.suidSGID {
		out = append(out, a.sxid...)
		out = append(out,
			rule{nr: nrFchmodat2, kind: modeRule, mode: 2},
			rule{nr: nrOpenat2, kind: errnoRule, errno: unix.ENOSYS},
			rule{nr: nrIOUringSetup, kind: errnoRule, errno: unix.ENOSYS},
			rule{nr: nrIOUringEnter, kind: errnoRule, errno: unix.ENOSYS},
			rule{nr: nrIOUringRegister, kind: errnoRule, errno: unix.ENOSYS})
	}
	if ns := r.namespaces & NamespaceFlags; ns != 0 {
		setns := rule{nr: a.setns, kind: setnsRule, flags: 1, mask: ns}
		if ns == NamespaceFlags {
			setns = rule{nr: a.setns, kind: errnoRule, errno: unix.EPERM}
		}
		out = append(out,
			rule{nr: nrClone3, kind: errnoRule, errno: unix.ENOSYS},
			rule{nr: a.unshare, kind: flagsRule, flags: 0, mask: ns},
			rule{nr: a.clone, kind: flagsRule, flags: 0, mask: ns},
			setns)
	}
	if r.keyUpcalls {
		out = append(out, rule{nr: a.requestKey, kind: errnoRule, errno: unix.ENOSYS})
	}
	return out
}

func bpfStmt(code uint16, k uint32) unix.SockFilter {
	return unix.SockFilter{Code: code, K: k}
}

func bpfJump(code uint16, k uint32, jt, jf uint8) unix.SockFilter {
	return unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k}
}

func argLow(i int) uint32 { return uint32(seccompDataArgs + 8*i) }

const (
	retAllow = unix.SECCOMP_RET_ALLOW
	retEPERM = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
)

// ruleBody returns the instructions run once the syscall number matched r.
// Every path ends in a return, so the accumulator may be reused freely and
// all jumps stay inside the body.
func ruleBody(r rule, tmpfile uint32) []unix.SockFilter {
	switch r.kind {
	case modeRule:
		return []unix.SockFilter{
			bpfStmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, argLow(r.mode)),
			bpfJump(unix.BPF_JMP|unix.BPF_JSET|unix.BPF_K, suidSGIDBits, 0, 1),
			bpfStmt(unix.BPF_RET|unix.BPF_K, retEPERM),
			bpfStmt(unix.BPF_RET|unix.BPF_K, retAllow),
		}
	case openRule:
		return []unix.SockFilter{
			/* 0 */ bpfStmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, argLow(r.flags)),
			/* 1 */ bpfJump(unix.BPF_JMP|unix.BPF_JSET|unix.BPF_K, oCreat, 2, 0), // → 4
			// O_TMPFILE shares its O_DIRECTORY bit with plain directory
			// opens, so all of its bits must be set.
			/* 2 */ bpfStmt(unix.BPF_ALU|unix.BPF_AND|unix.BPF_K, tmpfile),
			/* 3 */ bpfJump(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, tmpfile, 0, 3), // → 4 or 7
			/* 4 */ bpfStmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, argLow(r.mode)),
			/* 5 */ bpfJump(unix.BPF_JMP|unix.BPF_JSET|unix.BPF_K, suidSGIDBits, 0, 1),
			/* 6 */ bpfStmt(unix.BPF_RET|unix.BPF_K, retEPERM),
			/* 7 */ bpfStmt(unix.BPF_RET|unix.BPF_K, retAllow),
		}
	case flagsRule:
		// Namespace flags all live in the low 32 bits.
		return []unix.SockFilter{
			bpfStmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, argLow(r.flags)),
			bpfJump(unix.BPF_JMP|unix.BPF_JSET|unix.BPF_K, r.mask, 0, 1),
			bpfStmt(unix.BPF_RET|unix.BPF_K, retEPERM),
			bpfStmt(unix.BPF_RET|unix.BPF_K, retAllow),
		}
	case setnsRule:
		// setns takes an int, so the high bits cannot smuggle a type in.
		return []unix.SockFilter{
			/* 0 */ bpfStmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, argLow(r.flags)),
			/* 1 */ bpfJump(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, 0, 1, 0), // → 3 or 2
			/* 2 */ bpfJump(unix.BPF_JMP|unix.BPF_JSET|unix.BPF_K, r.mask, 0, 1), // → 3 or 4
			/* 3 */ bpfStmt(unix.BPF_RET|unix.BPF_K, retEPERM),
			/* 4 */ bpfStmt(unix.BPF_RET|unix.BPF_K, retAllow),
		}
	default:
		return []unix.SockFilter{bpfStmt(unix.BPF_RET|unix.BPF_K, unix.SECCOMP_RET_ERRNO|uint32(r.errno))}
	}
}

// archSection returns the part of the filter run for syscalls of ABI a.
// Like a rule body, it always returns.
func archSection(a abi, rules []rule) ([]unix.SockFilter, error) {
	prog := []unix.SockFilter{bpfStmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, seccompDataNr)}
	if a.nrMask != 0 {
		prog = append(prog, bpfStmt(unix.BPF_ALU|unix.BPF_AND|unix.BPF_K, a.nrMask))
	}
	for _, r := range rules {
		body := ruleBody(r, a.tmpfile)
		prog = append(prog, bpfJump(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, r.nr, 0, uint8(len(body))))
		prog = append(prog, body...)
	}
	prog = append(prog, bpfStmt(unix.BPF_RET|unix.BPF_K, retAllow))
	if len(prog) > 0xff {
		// The arch check skips the section with an 8-bit jump offset.
		return nil, fmt.Errorf("seccomp section for arch %#x too long (%d instructions)", a.audit, len(prog))
	}
	return prog, nil
}

// program assembles the filter for r. Each known ABI gets its own section;
// a syscall of an ABI the filter does not know is allowed. Such an ABI
// cannot occur on the kernels filterGOARCH accepts, and failing closed there
// would break every program rather than enforce anything.
func (r restrictions) program() ([]unix.SockFilter, error) {
	prog := []unix.SockFilter{bpfStmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, seccompDataArch)}
	for _, a := range abis() {
		sec, err := archSection(a, r.rules(a))
		if err != nil {
			return nil, err
		}
		// A mismatch skips the section, which always returns, and lands on
		// the next arch check with the arch still in the accumulator.
		prog = append(prog, bpfJump(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, a.audit, 0, uint8(len(sec))))
		prog = append(prog, sec...)
	}
	return append(prog, bpfStmt(unix.BPF_RET|unix.BPF_K, retAllow)), nil
}

// install puts the filter for r on every thread of the process; it is
// inherited across fork and execve and cannot be removed. The caller needs
// no_new_privs or CAP_SYS_ADMIN, otherwise the kernel refuses with EACCES.
// On an architecture whose system calls the filter does not know it returns
// an error rather than silently not restricting.
func (r restrictions) install() error {
	if !filterGOARCH(runtime.GOARCH) {
		return fmt.Errorf("seccomp filter not supported on %s", runtime.GOARCH)
	}
	filter, err := r.program()
	if err != nil {
		return err
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	// TSYNC puts the filter on the Go runtime's other threads too, so
	// nothing started from any of them escapes it.
	r1, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(filter)
	switch {
	case errno == unix.ENOSYS:
		// Kernels before 3.17 lack seccomp(2) and TSYNC. prctl filters only
		// the calling thread, which is enough for the executor: it runs
		// on a locked thread and execs right after, and execve leaves
		// only that thread.
		err := unix.Prctl(unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, uintptr(unsafe.Pointer(&prog)), 0, 0)
		runtime.KeepAlive(filter)
		if err != nil {
			return fmt.Errorf("install seccomp filter: %w", err)
		}
	case errno != 0:
		return fmt.Errorf("install seccomp filter: %w", errno)
	case r1 != 0:
		// With TSYNC, a positive result names a thread that could not be
		// synchronized; no thread got the filter.
		return fmt.Errorf("install seccomp filter: thread %d could not be synchronized", r1)
	}
	return nil
}

// CanClone3 reports whether this process may call clone3, which Go needs to
// start a child directly in a cgroup. A RestrictNamespaces= filter makes it
// fail with ENOSYS, as does a kernel before 5.3; an unfiltered clone3 with
// no arguments fails with EFAULT or EINVAL instead.
func CanClone3() bool {
	_, _, errno := unix.Syscall(unix.SYS_CLONE3, 0, 0, 0)
	return errno != unix.ENOSYS
}
