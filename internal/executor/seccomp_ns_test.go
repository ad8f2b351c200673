package executor

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestSeccompNamespaceProgram checks the RestrictNamespaces= decisions per
// ABI. Syscall numbers and flag values are written out independently of
// seccomp_abi.go.
func TestSeccompNamespaceProgram(t *testing.T) {
	const (
		x86    = 0xc000003e
		i386   = 0x40000003
		a64    = 0xc00000b7
		arm    = 0x40000028
		x32    = 0x40000000
		allow  = unix.SECCOMP_RET_ALLOW
		eperm  = unix.SECCOMP_RET_ERRNO | 1
		enosys = unix.SECCOMP_RET_ERRNO | 38

		newns     = 0x00020000
		newcgroup = 0x02000000
		newuts    = 0x04000000
		newipc    = 0x08000000
		newuser   = 0x10000000
		newpid    = 0x20000000
		newnet    = 0x40000000
		newtime   = 0x80
		all       = newns | newcgroup | newuts | newipc | newuser | newpid | newnet | newtime
		sigchld   = 17
		vm        = 0x100 // CLONE_VM, as threads are made
	)
	type call struct {
		name string
		arch uint32
		nr   uint32
		args []uint64
		want uint32
	}
	tests := []struct {
		name  string
		deny  uint32
		calls []call
	}{
		{"all", all, []call{
			{"x86_64 unshare user", x86, 272, []uint64{newuser}, eperm},
			{"x86_64 unshare user|net|mnt", x86, 272, []uint64{newuser | newnet | newns}, eperm},
			{"x86_64 unshare files only", x86, 272, []uint64{0x400}, allow},
			{"x86_64 unshare time", x86, 272, []uint64{newtime}, eperm},
			{"x86_64 clone thread", x86, 56, []uint64{vm | 0x10000 | 0x800}, allow},
			{"x86_64 fork-like clone", x86, 56, []uint64{sigchld}, allow},
			{"x86_64 clone new pid", x86, 56, []uint64{newpid | sigchld}, eperm},
			{"x86_64 clone3", x86, 435, []uint64{0, 88}, enosys},
			{"x86_64 setns any type", x86, 308, []uint64{3, 0}, eperm},
			{"x86_64 setns net", x86, 308, []uint64{3, newnet}, eperm},
			{"x86_64 io_uring untouched", x86, 425, nil, allow},
			{"x86_64 chmod setuid untouched", x86, 90, []uint64{0, 0o4755}, allow},
			{"x32 unshare user", x86, x32 | 272, []uint64{newuser}, eperm},
			{"x32 clone3", x86, x32 | 435, nil, enosys},
			{"i386 unshare user", i386, 310, []uint64{newuser}, eperm},
			{"i386 clone new net", i386, 120, []uint64{newnet}, eperm},
			{"i386 setns", i386, 346, []uint64{3, newipc}, eperm},
			{"i386 x86_64 unshare number", i386, 272, []uint64{newuser}, allow},
			{"aarch64 unshare user", a64, 97, []uint64{newuser}, eperm},
			{"aarch64 clone new uts", a64, 220, []uint64{newuts}, eperm},
			{"aarch64 setns", a64, 268, []uint64{3, 0}, eperm},
			{"aarch64 clone3", a64, 435, nil, enosys},
			{"arm unshare cgroup", arm, 337, []uint64{newcgroup}, eperm},
			{"arm setns", arm, 375, []uint64{3, newpid}, eperm},
		}},
		{"~user", newuser, []call{
			{"unshare user", x86, 272, []uint64{newuser}, eperm},
			{"unshare user with others", x86, 272, []uint64{newuser | newns}, eperm},
			{"unshare mnt", x86, 272, []uint64{newns}, allow},
			{"unshare net|ipc", x86, 272, []uint64{newnet | newipc}, allow},
			{"clone user", x86, 56, []uint64{newuser | sigchld}, eperm},
			{"clone net", x86, 56, []uint64{newnet | sigchld}, allow},
			{"clone3 still refused", x86, 435, nil, enosys},
			{"setns user", x86, 308, []uint64{3, newuser}, eperm},
			{"setns net", x86, 308, []uint64{3, newnet}, allow},
			{"setns any type", x86, 308, []uint64{3, 0}, eperm},
			{"setns any type, high word set", x86, 308, []uint64{3, 1 << 32}, eperm},
			{"aarch64 setns mnt", a64, 268, []uint64{3, newns}, allow},
		}},
		{"none", 0, []call{
			{"unshare user", x86, 272, []uint64{newuser}, allow},
			{"clone3", x86, 435, nil, allow},
			{"setns any type", x86, 308, []uint64{3, 0}, allow},
		}},
	}
	for _, tt := range tests {
		prog, err := restrictions{namespaces: tt.deny}.program()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range tt.calls {
			t.Run(tt.name+"/"+c.name, func(t *testing.T) {
				if got := runFilter(t, prog, seccompData(c.arch, c.nr, c.args...)); got != c.want {
					t.Errorf("got %#x, want %#x", got, c.want)
				}
			})
		}
	}
	// Both restrictions at once still fit the 8-bit jumps.
	if _, err := (restrictions{suidSGID: true, namespaces: all}).program(); err != nil {
		t.Fatal(err)
	}
}
