// Package control is the varlink face of a manager: the io.capsuled.Manager
// interface (internal/api) served over the engine (internal/manager) as a
// table of methods, with the engine's errors mapped to the interface's error
// names in one place (errors.go).
package control

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/manager"
	"github.com/capsuled/capsuled/internal/varlink"
)

// SocketPath is where a manager with runtime directory dir listens.
func SocketPath(dir string) string { return filepath.Join(dir, api.Interface) }

// Listen creates the control socket in the runtime directory dir, 0600.
func Listen(dir string) (*net.UnixListener, error) {
	path := SocketPath(dir)
	os.Remove(path)
	old := syscall.Umask(0o077)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	return l, nil
}

// Serve answers calls to m on l until ctx ends or l is closed.
func Serve(ctx context.Context, l *net.UnixListener, m *manager.Manager) error {
	f := &face{m: m, methods: methods()}
	s := &varlink.Server{Handler: f.handle, Authorize: f.authorize, ConnsChanged: m.SetClients}
	return s.Serve(ctx, l)
}

// face serves one manager.
type face struct {
	m       *manager.Manager
	methods map[string]method
}

// authorize admits root and the manager's own user, nobody else.
func (f *face) authorize(p varlink.Peer) error {
	if p.UID == 0 || int(p.UID) == os.Geteuid() {
		return nil
	}
	return fmt.Errorf("permission denied: UID %d may not manage this %s manager; run as root", p.UID, f.m.Mode())
}

func (f *face) handle(ctx context.Context, c *varlink.Call) {
	fn, ok := f.methods[c.Method]
	if !ok {
		for _, fd := range c.Files {
			fd.Close()
		}
		c.ReplyError("org.varlink.service.MethodNotFound", "method "+c.Method+" is not known")
		return
	}
	if err := fn(ctx, f.m, c); err != nil {
		// Descriptors passed with a call that failed are not kept.
		for _, fd := range c.Files {
			fd.Close()
		}
		name := errorName(err)
		c.ReplyErrorWith(name, errorParams(name, err))
	}
}
