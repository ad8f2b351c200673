package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// capsuleDropin adds a drop-in to capsule@NAME.service where only the
// system manager under test finds it.
func capsuleDropin(t *testing.T, capsule, text string) {
	t.Helper()
	dir := filepath.Join(e.runtimeDir, "system", "capsule@"+capsule+".service.d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bounds.conf"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
}

// mountOf returns the mountinfo line of the mount at path, "" if none.
func mountOf(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	found := ""
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] == path {
			found = line // the last one is on top
		}
	}
	return found
}

func ramBytes(t *testing.T) uint64 {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		t.Fatal(err)
	}
	return uint64(si.Totalram) * uint64(si.Unit)
}

// TestEscapeFillTmp fills every tmpfs a capsule can write to. Each must end
// at its configured size with ENOSPC, not at half of the host's RAM.
func TestEscapeFillTmp(t *testing.T) {
	name := newCapsule(t, "fill")
	capsuleDropin(t, name, "[Service]\nTmpfsSize=8M\n")
	ctl(t, 0, "start", "capsule@"+name+".service")
	waitRunning(t, name)
	for _, d := range []string{"/tmp", "/var/tmp", "/dev/shm", "$XDG_RUNTIME_DIR"} {
		// 32 MiB: four times the limit, and small enough to be harmless
		// if the limit is missing.
		r := inCapsule(t, name, 0, fmt.Sprintf(`d=%s
dd if=/dev/zero of=$d/fill bs=1M count=32 2>&1; echo "rc=$?"
stat -c 'bytes=%%s' $d/fill; df -B1 --output=size $d | tail -n 1; rm -f $d/fill`, d))
		if !strings.Contains(r.stdout, "No space left on device") || strings.Contains(r.stdout, "rc=0") {
			t.Errorf("filling %s in the capsule did not stop with ENOSPC:\n%s", d, r.stdout)
		}
		lines := strings.Fields(r.stdout)
		size, _ := strconv.ParseUint(lines[len(lines)-1], 10, 64)
		if size == 0 || size > 8<<20 {
			t.Errorf("%s in the capsule has size %d, want at most 8 MiB (TmpfsSize=8M):\n%s", d, size, r.stdout)
		}
	}
}

// TestEscapeRuntimeDirOnHostDisk checks that a capsule's runtime directory
// is a tmpfs of its own with a size (10% of RAM by default), not a
// directory on whatever holds /run, and that the capsule cannot unmount it
// or remount it bigger.
func TestEscapeRuntimeDirOnHostDisk(t *testing.T) {
	name := startCapsule(t, "rtfs")
	uid, _ := capsuleUID(t, name)
	rt := "/run/capsules/" + name
	mi := mountOf(t, rt)
	if mi == "" {
		t.Fatalf("%s is not a mount point", rt)
	}
	if !strings.Contains(mi, " - tmpfs ") || !strings.Contains(mi, "nosuid") || !strings.Contains(mi, "nodev") {
		t.Errorf("%s is not a nosuid,nodev tmpfs: %s", rt, mi)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(rt, &st); err != nil {
		t.Fatal(err)
	}
	size := st.Blocks * uint64(st.Bsize)
	ram := ramBytes(t)
	if size < ram/10-ram/100 || size > ram/10+ram/100 {
		t.Errorf("%s has %d bytes, want about 10%% of %d", rt, size, ram)
	}
	fi, err := os.Stat(rt)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 || int(fi.Sys().(*syscall.Stat_t).Uid) != uid {
		t.Errorf("%s has mode %o owner %d, want 0700 owned by %d", rt, fi.Mode().Perm(), fi.Sys().(*syscall.Stat_t).Uid, uid)
	}
	// The private /tmp has the same default size.
	r := inCapsule(t, name, 0, "df -B1 --output=size /tmp | tail -n 1")
	if tmp, _ := strconv.ParseUint(strings.TrimSpace(r.stdout), 10, 64); tmp != size {
		t.Errorf("/tmp in the capsule has %d bytes, want %d", tmp, size)
	}
	// Try to lift the bound from inside, directly and from a user
	// namespace of the capsule's own.
	inCapsule(t, name, -1+1, `d=$XDG_RUNTIME_DIR
mount -o remount,size=50% $d 2>&1; umount -l $d 2>&1
unshare -rm sh -c "mount -o remount,size=50% $d; umount -l $d; mount -t tmpfs -o size=50% x $d" 2>&1
true`)
	if err := syscall.Statfs(rt, &st); err != nil || st.Blocks*uint64(st.Bsize) != size {
		t.Errorf("%s changed size from inside the capsule: %d blocks, err %v", rt, st.Blocks, err)
	}
	r = inCapsule(t, name, 0, "df -B1 --output=size $XDG_RUNTIME_DIR | tail -n 1")
	if got, _ := strconv.ParseUint(strings.TrimSpace(r.stdout), 10, 64); got != size {
		t.Errorf("runtime dir seen from a new process in the capsule has %d bytes, want %d", got, size)
	}
	ctl(t, 0, "stop", "capsule@"+name+".service")
	if mi := mountOf(t, rt); mi != "" {
		t.Errorf("%s still mounted after stop: %s", rt, mi)
	}
	if _, err := os.Lstat(rt); err == nil {
		t.Errorf("%s still exists after stop", rt)
	}
}
