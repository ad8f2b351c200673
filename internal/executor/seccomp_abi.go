package executor

import "golang.org/x/sys/unix"

// System call numbers of the ABIs the seccomp filter knows. They are spelled
// out because golang.org/x/sys only defines those of the GOARCH being built.

// x32Bit marks x32 system calls. They reach the filter with the x86_64 audit
// arch and, for every call handled here, the x86_64 number plus this bit.
const x32Bit = 0x40000000

// Numbers that are the same on every ABI handled here.
const (
	nrIOUringSetup    = 425
	nrIOUringEnter    = 426
	nrIOUringRegister = 427
	nrClone3          = 435
	nrOpenat2         = 437
	nrFchmodat2       = 452
)

// O_CREAT is the same on every ABI handled here. O_TMPFILE is not (it
// includes O_DIRECTORY), so the filter needs each ABI's value rather than the
// one of the architecture Go was built for.
const (
	oCreat      = 0x40
	oTmpfileX86 = 0x410000 // x86_64, x32 and i386
	oTmpfileARM = 0x404000 // aarch64 and arm
)

// abi is what the filter needs to know of one system call ABI.
type abi struct {
	audit   uint32 // AUDIT_ARCH_* as seen in seccomp_data.arch
	table   string // its system call table (syscallgroups.go)
	nrMask  uint32 // applied to the syscall number first; 0 means none
	tmpfile uint32 // this ABI's O_TMPFILE
	// sxid are the RestrictSUIDSGID= rules: every call that can create a
	// file or set a mode.
	sxid []rule
	// clone, unshare and setns take namespace flags; clone's are its
	// first argument on all of these ABIs (not on s390).
	clone, unshare, setns uint32
	requestKey            uint32 // request_key(2)
}

// abis lists the ABIs the filter knows. It covers the compat ABI of each
// 64-bit kernel too: the filter is inherited by whatever the unit execs,
// and a 32-bit binary would otherwise walk past it.
func abis() []abi {
	return []abi{
		{
			audit: unix.AUDIT_ARCH_X86_64, table: "x86_64",
			// Folding x32 onto x86_64 keeps x32 programs working and
			// filtered instead of refusing all their system calls.
			nrMask:  ^uint32(x32Bit),
			tmpfile: oTmpfileX86,
			sxid: []rule{
				{nr: 90, kind: modeRule, mode: 1},            // chmod
				{nr: 91, kind: modeRule, mode: 1},            // fchmod
				{nr: 268, kind: modeRule, mode: 2},           // fchmodat
				{nr: 83, kind: modeRule, mode: 1},            // mkdir
				{nr: 258, kind: modeRule, mode: 2},           // mkdirat
				{nr: 133, kind: modeRule, mode: 1},           // mknod
				{nr: 259, kind: modeRule, mode: 2},           // mknodat
				{nr: 85, kind: modeRule, mode: 1},            // creat
				{nr: 2, kind: openRule, flags: 1, mode: 2},   // open
				{nr: 257, kind: openRule, flags: 2, mode: 3}, // openat
			},
			clone: 56, unshare: 272, setns: 308, requestKey: 249,
		},
		{
			audit: unix.AUDIT_ARCH_I386, table: "i386",
			tmpfile: oTmpfileX86,
			sxid: []rule{
				{nr: 15, kind: modeRule, mode: 1},            // chmod
				{nr: 94, kind: modeRule, mode: 1},            // fchmod
				{nr: 306, kind: modeRule, mode: 2},           // fchmodat
				{nr: 39, kind: modeRule, mode: 1},            // mkdir
				{nr: 296, kind: modeRule, mode: 2},           // mkdirat
				{nr: 14, kind: modeRule, mode: 1},            // mknod
				{nr: 297, kind: modeRule, mode: 2},           // mknodat
				{nr: 8, kind: modeRule, mode: 1},             // creat
				{nr: 5, kind: openRule, flags: 1, mode: 2},   // open
				{nr: 295, kind: openRule, flags: 2, mode: 3}, // openat
			},
			clone: 120, unshare: 310, setns: 346, requestKey: 287,
		},
		{
			// aarch64 has only the *at variants.
			audit: unix.AUDIT_ARCH_AARCH64, table: "aarch64",
			tmpfile: oTmpfileARM,
			sxid: []rule{
				{nr: 52, kind: modeRule, mode: 1},           // fchmod
				{nr: 53, kind: modeRule, mode: 2},           // fchmodat
				{nr: 34, kind: modeRule, mode: 2},           // mkdirat
				{nr: 33, kind: modeRule, mode: 2},           // mknodat
				{nr: 56, kind: openRule, flags: 2, mode: 3}, // openat
			},
			clone: 220, unshare: 97, setns: 268, requestKey: 218,
		},
		{
			audit: unix.AUDIT_ARCH_ARM, table: "arm",
			tmpfile: oTmpfileARM,
			sxid: []rule{
				{nr: 15, kind: modeRule, mode: 1},            // chmod
				{nr: 94, kind: modeRule, mode: 1},            // fchmod
				{nr: 333, kind: modeRule, mode: 2},           // fchmodat
				{nr: 39, kind: modeRule, mode: 1},            // mkdir
				{nr: 323, kind: modeRule, mode: 2},           // mkdirat
				{nr: 14, kind: modeRule, mode: 1},            // mknod
				{nr: 324, kind: modeRule, mode: 2},           // mknodat
				{nr: 8, kind: modeRule, mode: 1},             // creat
				{nr: 5, kind: openRule, flags: 1, mode: 2},   // open
				{nr: 322, kind: openRule, flags: 2, mode: 3}, // openat
			},
			clone: 120, unshare: 337, setns: 375, requestKey: 310,
		},
	}
}

// filterGOARCH reports whether the kernel's native ABI is among abis when
// this binary runs as goarch (a 32-bit binary may run on a 64-bit kernel of
// the same family, which is covered as well).
func filterGOARCH(goarch string) bool {
	switch goarch {
	case "amd64", "386", "arm64", "arm":
		return true
	}
	return false
}
