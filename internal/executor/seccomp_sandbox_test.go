package executor

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestSyscallPlanProgram checks the decisions of the SystemCallFilter=
// family's filter. Numbers are written out independently of the tables.
func TestSyscallPlanProgram(t *testing.T) {
	const (
		x86  = 0xc000003e
		i386 = 0x40000003
		a64  = 0xc00000b7
		arm  = 0x40000028
		kill = unix.SECCOMP_RET_KILL_PROCESS
	)
	allow := uint32(unix.SECCOMP_RET_ALLOW)
	errno := func(e unix.Errno) uint32 { return unix.SECCOMP_RET_ERRNO | uint32(e) }
	type call struct {
		arch, nr uint32
		args     []uint64
		want     uint32
	}
	tests := []struct {
		name   string
		goarch string
		plan   SyscallPlan
		calls  []call
	}{
		{"deny list, default kill and errno per call", "amd64",
			SyscallPlan{Names: map[string]int{"getppid": -1, "@mount": int(unix.EPERM)}, Action: -1},
			[]call{
				{x86, 110, nil, kill},              // getppid
				{x86, 165, nil, errno(unix.EPERM)}, // mount
				{x86, 39, nil, allow},              // getpid
				{i386, 64, nil, kill},              // getppid, compat ABI
				{i386, 21, nil, errno(unix.EPERM)}, // mount, compat ABI
				{i386, 20, nil, allow},             // getpid, compat ABI
				{x86, 0x40000000 | 39, nil, kill},  // x32
				{0xdeadbeef, 1, nil, allow},        // unknown ABI, deny-list
			}},
		{"deny list with SystemCallErrorNumber=", "amd64",
			SyscallPlan{Names: map[string]int{"@clock": -1}, Action: int(unix.EACCES)},
			[]call{{x86, 227, nil, errno(unix.EACCES)}, {x86, 228, nil, allow}}}, // clock_settime, clock_gettime
		{"allow list", "amd64",
			SyscallPlan{Allow: true, Names: map[string]int{"@default": -1, "write": -1}, Action: -1},
			[]call{
				{x86, 1, nil, allow},                // write
				{x86, 59, nil, allow},               // execve
				{x86, 161, nil, kill},               // chroot
				{x86, 999, nil, errno(unix.ENOSYS)}, // newer than the list
				{x86, 425, nil, errno(unix.ENOSYS)}, // io_uring_setup: io_uring could read
				{0xdeadbeef, 1, nil, kill},          // unknown ABI, allow-list
			}},
		{"native only", "amd64", SyscallPlan{NativeOnly: true, Action: -1},
			[]call{{x86, 39, nil, allow}, {i386, 20, nil, kill}, {x86, 0x40000000 | 39, nil, kill}}},
		{"native only, arm64", "arm64", SyscallPlan{NativeOnly: true, Action: -1},
			[]call{{a64, 172, nil, allow}, {arm, 20, nil, kill}}},
		{"deny list, arm64 and arm", "arm64", SyscallPlan{Names: map[string]int{"getppid": 1}, Action: -1},
			[]call{{a64, 173, nil, errno(unix.EPERM)}, {arm, 64, nil, errno(unix.EPERM)}, {a64, 172, nil, allow}}},
		{"protect settings", "amd64", SyscallPlan{Deny: map[string]int{"@clock": 1, "sethostname": 1}, Action: -1},
			[]call{{x86, 227, nil, errno(unix.EPERM)}, {x86, 170, nil, errno(unix.EPERM)}, {x86, 63, nil, allow}}},
		{"lock personality", "amd64", SyscallPlan{LockPersonality: true, Action: -1},
			[]call{
				{x86, 135, []uint64{0xffffffff}, allow},
				{x86, 135, []uint64{0}, allow},
				{x86, 135, []uint64{0x0008}, errno(unix.EPERM)}, // PER_LINUX32
				{i386, 136, []uint64{0x0400000}, errno(unix.EPERM)},
			}},
		{"memory deny write execute", "amd64", SyscallPlan{DenyWriteExecute: true, Action: -1},
			[]call{
				{x86, 9, []uint64{0, 4096, 7}, errno(unix.EPERM)},  // mmap rwx
				{x86, 9, []uint64{0, 4096, 5}, allow},              // mmap r-x
				{x86, 9, []uint64{0, 4096, 3}, allow},              // mmap rw-
				{x86, 10, []uint64{0, 4096, 4}, errno(unix.EPERM)}, // mprotect x
				{x86, 10, []uint64{0, 4096, 1}, allow},
				{x86, 30, []uint64{0, 0, 0o100000}, errno(unix.EPERM)}, // shmat SHM_EXEC
				{i386, 192, []uint64{0, 4096, 6}, errno(unix.EPERM)},   // mmap2 wx
			}},
		{"restrict realtime", "amd64", SyscallPlan{RestrictRealtime: true, Action: -1},
			[]call{
				{x86, 144, []uint64{0, 1}, errno(unix.EPERM)},              // SCHED_FIFO
				{x86, 144, []uint64{0, 2 | 0x40000000}, errno(unix.EPERM)}, // SCHED_RR|RESET_ON_FORK
				{x86, 144, []uint64{0, 6}, errno(unix.EPERM)},              // SCHED_DEADLINE
				{x86, 144, []uint64{0, 3}, allow},                          // SCHED_BATCH
				{x86, 144, []uint64{0, 5 | 0x40000000}, allow},
			}},
		{"address families allowed", "amd64", SyscallPlan{RestrictFamilies: true, FamiliesAllow: true, Families: []int{1, 10}, Action: -1},
			[]call{
				{x86, 41, []uint64{1}, allow},
				{x86, 41, []uint64{10}, allow},
				{x86, 41, []uint64{2}, errno(unix.EAFNOSUPPORT)},
				{x86, 425, nil, errno(unix.ENOSYS)}, // io_uring_setup
				{i386, 359, []uint64{2}, errno(unix.EAFNOSUPPORT)},
				{i386, 102, nil, errno(unix.ENOSYS)}, // socketcall
			}},
		{"address families refused", "amd64", SyscallPlan{RestrictFamilies: true, Families: []int{17}, Action: -1},
			[]call{{x86, 41, []uint64{17}, errno(unix.EAFNOSUPPORT)}, {x86, 41, []uint64{2}, allow}}},
		{"deny list of a call io_uring can do", "amd64", SyscallPlan{Names: map[string]int{"connect": 1}, Action: -1},
			[]call{{x86, 42, nil, errno(unix.EPERM)}, {x86, 426, nil, errno(unix.ENOSYS)}}},
		{"deny list io_uring cannot bypass", "amd64", SyscallPlan{Names: map[string]int{"@mount": 1}, Action: -1},
			[]call{{x86, 425, nil, allow}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prog, err := tc.plan.program(tc.goarch)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tc.calls {
				if got := runFilter(t, prog, seccompData(c.arch, c.nr, c.args...)); got != c.want {
					t.Errorf("arch %#x nr %d args %v: got %#x, want %#x", c.arch, c.nr, c.args, got, c.want)
				}
			}
		})
	}
}

// TestSyscallPlanFits checks that the largest lists fit the kernel's
// limit of 4096 instructions on every supported kernel.
func TestSyscallPlanFits(t *testing.T) {
	for _, goarch := range []string{"amd64", "386", "arm64", "arm"} {
		for _, allow := range []bool{true, false} {
			p := SyscallPlan{Allow: allow, Names: map[string]int{"@known": -1}, Action: -1, LockPersonality: true,
				DenyWriteExecute: true, RestrictRealtime: true, RestrictFamilies: true, Families: []int{1, 2, 10, 16}}
			if _, err := p.program(goarch); err != nil {
				t.Errorf("%s allow=%v: %v", goarch, allow, err)
			}
		}
	}
}

func TestExpandSyscalls(t *testing.T) {
	got, ok := ExpandSyscalls("@mount")
	want := []string{"chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr", "move_mount", "open_tree", "pivot_root", "umount", "umount2"}
	if !ok || len(got) != len(want) {
		t.Fatalf("@mount = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("@mount = %v, want %v", got, want)
		}
	}
	if _, ok := ExpandSyscalls("@nonsense"); ok {
		t.Error("@nonsense known")
	}
	if _, ok := ExpandSyscalls("not_a_call"); ok {
		t.Error("not_a_call known")
	}
	// @system-service pulls in other groups.
	ss, _ := ExpandSyscalls("@system-service")
	has := map[string]bool{}
	for _, n := range ss {
		has[n] = true
	}
	for _, n := range []string{"read", "execve", "kill", "socket", "epoll_wait"} {
		if !has[n] {
			t.Errorf("@system-service lacks %s", n)
		}
	}
	if has["chroot"] || has["reboot"] {
		t.Error("@system-service has chroot or reboot")
	}
}

// TestSyscallPlanSearch compares the filter's binary search with plain
// membership, for every number of each ABI of an amd64 kernel.
func TestSyscallPlanSearch(t *testing.T) {
	names, _ := ExpandSyscalls("@system-service")
	listed := map[string]int{}
	for _, n := range names {
		listed[n] = -1
	}
	for _, allow := range []bool{true, false} {
		p := SyscallPlan{Allow: allow, Names: listed, Action: int(unix.EACCES)}
		prog, err := p.program("amd64")
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range familyABIs("amd64") {
			in := map[uint32]bool{}
			for _, n := range names {
				if nr, ok := syscallNumber(a.table, n); ok {
					in[nr] = true
				}
			}
			for nr := uint32(0); nr <= maxSyscall(a.table); nr++ {
				if a.table == "x86_64" && nr >= 425 && nr <= 427 {
					continue // io_uring: refused apart
				}
				want := uint32(unix.SECCOMP_RET_ERRNO | uint32(unix.EACCES))
				if in[nr] == allow {
					want = unix.SECCOMP_RET_ALLOW
				}
				if a.table == "i386" && (nr == 102 || (nr >= 425 && nr <= 427)) {
					continue
				}
				if got := runFilter(t, prog, seccompData(a.audit, nr)); got != want {
					t.Errorf("%s allow=%v nr %d: %#x, want %#x", a.table, allow, nr, got, want)
				}
			}
		}
	}
}
