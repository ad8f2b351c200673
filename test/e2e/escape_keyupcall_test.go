package e2e

import (
	"strings"
	"testing"
)

// requestKeyProbe calls request_key(2) for a key of a description that
// /etc/request-key.conf hands to a helper ("debug:*" on Debian), and prints
// the errno name, or "key" if the call returned one.
const requestKeyProbe = `
import ctypes, errno, os
nr = {"x86_64": 249, "aarch64": 218}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
r = libc.syscall(nr, b"user", b"debug:capsuled-upcall", b"callout", -3)
print("key" if r >= 0 else errno.errorcode[ctypes.get_errno()])
`

// TestEscapeRequestKeyUpcall has a capsule ask the kernel for a key nobody
// has: the kernel would run /sbin/request-key as root, outside the capsule's
// sandbox, cgroup and limits, on text the capsule chose, while the caller
// waits uninterruptibly. The call must fail at once with ENOSYS instead,
// in the capsule and in what its manager starts.
func TestEscapeRequestKeyUpcall(t *testing.T) {
	name := startCapsule(t, "rqkey")
	r := inCapsule(t, name, 0, "/usr/bin/python3 -c '"+requestKeyProbe+"'")
	if got := strings.TrimSpace(r.stdout); got != "ENOSYS" {
		t.Errorf("request_key in a capsule: %q, want ENOSYS:\n%s", got, r)
	}
	// A service of the capsule, started by its manager.
	r = ctl(t, 0, "run", "-q", "-C", name, "--wait", "-P", "-u", "upcall", "/usr/bin/python3", "-c", requestKeyProbe)
	if got := strings.TrimSpace(r.stdout); got != "ENOSYS" {
		t.Errorf("request_key in a capsule's service: %q, want ENOSYS:\n%s", got, r)
	}
}
