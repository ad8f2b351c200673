package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/dynuser"
	"github.com/capsuled/capsuled/internal/varlink"
)

// Paths says where the managers' sockets are.
type Paths struct {
	// SystemRuntime is the system manager's runtime directory.
	SystemRuntime string
	// CapsulesRuntime holds one runtime directory per capsule.
	CapsulesRuntime string
	// Timeout bounds how long a manager may stay silent during a call
	// (zero: DefaultTimeout). Managers send heartbeats on long calls.
	Timeout time.Duration
}

// DefaultPaths are the paths on a normal host.
var DefaultPaths = Paths{SystemRuntime: "/run/capsuled", CapsulesRuntime: "/run/capsules"}

// DefaultTimeout is how long a manager may stay silent before a call fails,
// as long as sd-bus waits for a method reply. A honest manager sends a
// heartbeat every varlink.HeartbeatInterval while it works on a call.
const DefaultTimeout = 25 * time.Second

func (p Paths) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return DefaultTimeout
}

// target is a connected manager.
type target struct {
	client  *varlink.Client
	capsule string
	uid     int // owner of the capsule (for a pty)
	gid     int
	cgroup  string // the capsule's cgroup, as the system manager gives it
}

// dial checks the caller and connects to the manager the options name,
// turning failures into capsulectl's exit code and message.
func dial(p Paths, o *options) (*target, error) {
	if err := checkRoot(); err != nil {
		return nil, fail(exitFailure, "%v", err)
	}
	t, err := connect(p, o.capsule, o.capsuleSet)
	if err != nil {
		return nil, fail(exitFailure, "%s", capitalize(err.Error()))
	}
	return t, nil
}

// connect reaches the system manager or, with -C given, that capsule's
// manager.
func connect(p Paths, capsule string, capsuleSet bool) (*target, error) {
	if !capsuleSet {
		path := filepath.Join(p.SystemRuntime, api.Interface)
		c, err := varlink.Dial(path, p.timeout())
		if err != nil {
			return nil, connectError("capsuled", path, err,
				"is capsuled --system running? For one started with --runtime-dir=DIR, set CAPSULED_RUNTIME_DIR=DIR")
		}
		c.Name = "capsuled"
		return &target{client: c}, nil
	}
	if err := dynuser.ValidCapsuleName(capsule); err != nil {
		return nil, err
	}
	dir := filepath.Join(p.CapsulesRuntime, capsule)
	// The capsule owns its runtime directory and could put a symlink where
	// the socket should be, pointing root at another socket. Open every
	// component without following symlinks, check the owner, and connect
	// through the pinned inode.
	dfd, err := unix.Openat2(unix.AT_FDCWD, dir, &unix.OpenHow{
		Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS})
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, fmt.Errorf("failed to connect to capsule %s: capsule is not running (%s does not exist); start it with: capsulectl start capsule@%s.service", capsule, dir, capsule)
		}
		return nil, fmt.Errorf("failed to connect to capsule %s: %w", capsule, err)
	}
	defer unix.Close(dfd)
	var dst unix.Stat_t
	if err := unix.Fstat(dfd, &dst); err != nil {
		return nil, err
	}
	rel := filepath.Join("capsuled", api.Interface)
	sfd, err := unix.Openat2(dfd, rel, &unix.OpenHow{
		Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_BENEATH})
	if err != nil {
		return nil, connectError("capsule "+capsule, filepath.Join(dir, rel), err, "the capsule's manager is not up")
	}
	defer unix.Close(sfd)
	var sst unix.Stat_t
	if err := unix.Fstat(sfd, &sst); err != nil {
		return nil, err
	}
	if sst.Mode&unix.S_IFMT != unix.S_IFSOCK || sst.Uid != dst.Uid {
		return nil, fmt.Errorf("failed to connect to capsule %s: %s is not a socket owned by the capsule's user (UID %d); refusing", capsule, filepath.Join(dir, rel), dst.Uid)
	}
	c, err := varlink.Dial(fmt.Sprintf("/proc/self/fd/%d", sfd), p.timeout())
	if err != nil {
		return nil, connectError("capsule "+capsule, filepath.Join(dir, rel), err, "")
	}
	c.Name = "the manager of capsule " + capsule
	cgroup, err := checkManagerPeer(p, c.Conn(), capsule)
	if err != nil {
		c.Close()
		return nil, err
	}
	if err := checkPeerName(c.Conn(), filepath.Join(dir, rel), capsule); err != nil {
		c.Close()
		return nil, err
	}
	return &target{client: c, capsule: capsule, uid: int(dst.Uid), gid: int(dst.Gid), cgroup: cgroup}, nil
}

func connectError(what, path string, err error, hint string) error {
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED):
		if hint != "" {
			return fmt.Errorf("failed to connect to %s at %s: not running (%s)", what, path, hint)
		}
		return fmt.Errorf("failed to connect to %s at %s: not running", what, path)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("failed to connect to %s at %s: permission denied; capsulectl must run as root", what, path)
	}
	return fmt.Errorf("failed to connect to %s at %s: %w", what, path, err)
}

// checkRoot refuses non-root callers early with a clear message; the
// managers would refuse them anyway.
func checkRoot() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("capsulectl must run as root (effective UID is %d): capsules and their managers only accept root", os.Geteuid())
	}
	return nil
}

// capitalize makes an error message read like systemctl's output.
func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
