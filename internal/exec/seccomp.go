package exec

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// RestrictSUIDSGID= support: a classic-BPF seccomp filter that makes every
// attempt to create a set-user-ID or set-group-ID file, or to add those bits
// to an existing one, fail with EPERM. It follows systemd's rule set
// (seccomp_restrict_suid_sgid): chmod, fchmod, fchmodat, fchmodat2, mkdir,
// mkdirat, mknod, mknodat and creat are refused when their mode has S_ISUID or
// S_ISGID; open and openat only when they also create a file (O_CREAT or
// O_TMPFILE); openat2 keeps its flags and mode in a struct a filter cannot
// read, so it fails with ENOSYS and libc falls back to openat.

// Offsets into struct seccomp_data (linux/seccomp.h). Every ABI handled here
// is little-endian, so the low 32 bits of args[i] come first; only those
// bits of a mode or flags argument mean anything to the kernel.
const (
	seccompDataNr   = 0
	seccompDataArch = 4
	seccompDataArgs = 16
)

// x32Bit marks x32 system calls. They reach the filter with the x86_64 audit
// arch and, for every call handled here, the x86_64 number plus this bit.
const x32Bit = 0x40000000

// suidSGIDBits are S_ISUID|S_ISGID.
const suidSGIDBits = unix.S_ISUID | unix.S_ISGID

// O_CREAT is the same on every ABI handled here. O_TMPFILE is not (it
// includes O_DIRECTORY), so the filter needs each ABI's value rather than the
// one of the architecture Go was built for.
const (
	oCreat      = 0x40
	oTmpfileX86 = 0x410000 // x86_64, x32 and i386
	oTmpfileARM = 0x404000 // aarch64 and arm
)

type sxidRuleKind int

const (
	// modeRule: refuse when the mode argument has S_ISUID or S_ISGID.
	modeRule sxidRuleKind = iota
	// openRule: as modeRule, but only when the flags argument creates a file.
	openRule
	// enosysRule: refuse unconditionally with ENOSYS.
	enosysRule
)

type sxidRule struct {
	nr    uint32
	kind  sxidRuleKind
	mode  int // argument index of the mode
	flags int // argument index of the open flags (openRule only)
}

// sxidArch is the rule set of one system call ABI.
type sxidArch struct {
	audit   uint32 // AUDIT_ARCH_* as seen in seccomp_data.arch
	nrMask  uint32 // applied to the syscall number first; 0 means none
	tmpfile uint32 // this ABI's O_TMPFILE
	rules   []sxidRule
}

// sxidArches lists the ABIs the filter knows. It covers the compat ABI of
// each 64-bit kernel too: the filter is inherited by whatever the unit execs,
// and a 32-bit binary would otherwise walk past it. The syscall numbers are
// spelled out because golang.org/x/sys only defines those of the GOARCH being
// built.
func sxidArches() []sxidArch {
	return []sxidArch{
		{
			audit: unix.AUDIT_ARCH_X86_64,
			// Folding x32 onto x86_64 keeps x32 programs working and
			// filtered instead of refusing all their system calls.
			nrMask:  ^uint32(x32Bit),
			tmpfile: oTmpfileX86,
			rules: []sxidRule{
				{nr: 90, kind: modeRule, mode: 1},            // chmod
				{nr: 91, kind: modeRule, mode: 1},            // fchmod
				{nr: 268, kind: modeRule, mode: 2},           // fchmodat
				{nr: 452, kind: modeRule, mode: 2},           // fchmodat2
				{nr: 83, kind: modeRule, mode: 1},            // mkdir
				{nr: 258, kind: modeRule, mode: 2},           // mkdirat
				{nr: 133, kind: modeRule, mode: 1},           // mknod
				{nr: 259, kind: modeRule, mode: 2},           // mknodat
				{nr: 85, kind: modeRule, mode: 1},            // creat
				{nr: 2, kind: openRule, flags: 1, mode: 2},   // open
				{nr: 257, kind: openRule, flags: 2, mode: 3}, // openat
				{nr: 437, kind: enosysRule},                  // openat2
			},
		},
		{
			audit:   unix.AUDIT_ARCH_I386,
			tmpfile: oTmpfileX86,
			rules: []sxidRule{
				{nr: 15, kind: modeRule, mode: 1},            // chmod
				{nr: 94, kind: modeRule, mode: 1},            // fchmod
				{nr: 306, kind: modeRule, mode: 2},           // fchmodat
				{nr: 452, kind: modeRule, mode: 2},           // fchmodat2
				{nr: 39, kind: modeRule, mode: 1},            // mkdir
				{nr: 296, kind: modeRule, mode: 2},           // mkdirat
				{nr: 14, kind: modeRule, mode: 1},            // mknod
				{nr: 297, kind: modeRule, mode: 2},           // mknodat
				{nr: 8, kind: modeRule, mode: 1},             // creat
				{nr: 5, kind: openRule, flags: 1, mode: 2},   // open
				{nr: 295, kind: openRule, flags: 2, mode: 3}, // openat
				{nr: 437, kind: enosysRule},                  // openat2
			},
		},
		{
			// aarch64 has only the *at variants.
			audit:   unix.AUDIT_ARCH_AARCH64,
			tmpfile: oTmpfileARM,
			rules: []sxidRule{
				{nr: 52, kind: modeRule, mode: 1},           // fchmod
				{nr: 53, kind: modeRule, mode: 2},           // fchmodat
				{nr: 452, kind: modeRule, mode: 2},          // fchmodat2
				{nr: 34, kind: modeRule, mode: 2},           // mkdirat
				{nr: 33, kind: modeRule, mode: 2},           // mknodat
				{nr: 56, kind: openRule, flags: 2, mode: 3}, // openat
				{nr: 437, kind: enosysRule},                 // openat2
			},
		},
		{
			audit:   unix.AUDIT_ARCH_ARM,
			tmpfile: oTmpfileARM,
			rules: []sxidRule{
				{nr: 15, kind: modeRule, mode: 1},            // chmod
				{nr: 94, kind: modeRule, mode: 1},            // fchmod
				{nr: 333, kind: modeRule, mode: 2},           // fchmodat
				{nr: 452, kind: modeRule, mode: 2},           // fchmodat2
				{nr: 39, kind: modeRule, mode: 1},            // mkdir
				{nr: 323, kind: modeRule, mode: 2},           // mkdirat
				{nr: 14, kind: modeRule, mode: 1},            // mknod
				{nr: 324, kind: modeRule, mode: 2},           // mknodat
				{nr: 8, kind: modeRule, mode: 1},             // creat
				{nr: 5, kind: openRule, flags: 1, mode: 2},   // open
				{nr: 322, kind: openRule, flags: 2, mode: 3}, // openat
				{nr: 437, kind: enosysRule},                  // openat2
			},
		},
	}
}

// sxidGOARCH reports whether the kernel's native ABI is among sxidArches
// when this binary runs as goarch (a 32-bit binary may run on a 64-bit kernel
// of the same family, which is covered as well).
func sxidGOARCH(goarch string) bool {
	switch goarch {
	case "amd64", "386", "arm64", "arm":
		return true
	}
	return false
}

func bpfStmt(code uint16, k uint32) unix.SockFilter {
	return unix.SockFilter{Code: code, K: k}
}

func bpfJump(code uint16, k uint32, jt, jf uint8) unix.SockFilter {
	return unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k}
}

func argLow(i int) uint32 { return uint32(seccompDataArgs + 8*i) }

const (
	retAllow  = unix.SECCOMP_RET_ALLOW
	retEPERM  = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	retENOSYS = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
)

// ruleBody returns the instructions run once the syscall number matched r.
// Every path ends in a return, so the accumulator may be reused freely and
// all jumps stay inside the body.
func ruleBody(r sxidRule, tmpfile uint32) []unix.SockFilter {
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
	default:
		return []unix.SockFilter{bpfStmt(unix.BPF_RET|unix.BPF_K, retENOSYS)}
	}
}

// archSection returns the part of the filter run for syscalls of arch a.
// Like a rule body, it always returns.
func archSection(a sxidArch) ([]unix.SockFilter, error) {
	prog := []unix.SockFilter{bpfStmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, seccompDataNr)}
	if a.nrMask != 0 {
		prog = append(prog, bpfStmt(unix.BPF_ALU|unix.BPF_AND|unix.BPF_K, a.nrMask))
	}
	for _, r := range a.rules {
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

// suidSGIDFilter assembles the RestrictSUIDSGID= program. Each known arch
// gets its own section; a syscall of an arch the filter does not know is
// allowed. Such an arch cannot occur on the kernels sxidGOARCH accepts, and
// failing closed there would break every program rather than enforce
// anything.
func suidSGIDFilter() ([]unix.SockFilter, error) {
	prog := []unix.SockFilter{bpfStmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, seccompDataArch)}
	for _, a := range sxidArches() {
		sec, err := archSection(a)
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

// restrictSUIDSGID installs the RestrictSUIDSGID= filter on every thread of
// the process; it is inherited across fork and execve and cannot be removed.
// The caller needs no_new_privs or CAP_SYS_ADMIN, otherwise the kernel
// refuses with EACCES. On an architecture whose system calls the filter does
// not know it returns an error rather than silently not restricting.
func restrictSUIDSGID() error {
	if !sxidGOARCH(runtime.GOARCH) {
		return fmt.Errorf("RestrictSUIDSGID: not supported on %s", runtime.GOARCH)
	}
	filter, err := suidSGIDFilter()
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
