package cli

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/varlink"
)

// checkManagerPeer makes sure the socket of capsule name is served by the
// capsule's manager: the process that listens on it must be the main
// process of capsule@NAME.service as the system manager knows it. The
// capsule owns the directory of its socket and could put a server of its
// own there; root would then talk to the capsule, not its manager.
// It returns the capsule's cgroup as the system manager gives it.
func checkManagerPeer(p Paths, uc *net.UnixConn, name string) (string, error) {
	peer, err := listenerPID(uc)
	if err != nil {
		return "", fmt.Errorf("failed to connect to capsule %s: identify the socket's server: %w", name, err)
	}
	sys, err := connect(p, "", false)
	if err != nil {
		return "", err
	}
	defer sys.client.Close()
	unit := "capsule@" + name + ".service"
	var u api.Unit
	if err := sys.client.Call(api.MethodGetUnit, api.UnitName{Name: unit, Brief: true}, &u); err != nil {
		if varlink.IsError(err, api.ErrNoSuchUnit) {
			return "", fmt.Errorf("failed to connect to capsule %s: %s is not loaded", name, unit)
		}
		return "", fmt.Errorf("failed to connect to capsule %s: ask capsuled for %s: %w", name, unit, err)
	}
	if u.MainPID <= 0 {
		return "", fmt.Errorf("failed to connect to capsule %s: %s is %s in the capsuled at %s, so nothing there may answer for it",
			name, unit, printable(u.ActiveState), p.SystemRuntime)
	}
	if peer != u.MainPID {
		return "", fmt.Errorf("failed to connect to capsule %s: its socket is served by PID %d, not by the capsule's manager (PID %d); refusing", name, peer, u.MainPID)
	}
	return u.ControlGroup, nil
}

// checkPeerName makes sure the socket uc is connected to was bound at
// path. The manager's PID alone does not tell its control socket from a
// socket unit's, which the manager binds too and hands to a service of the
// capsule; the capsule could move that one to path. A socket keeps the
// address it was bound to through a rename, and every connection to it
// reports that address.
func checkPeerName(uc *net.UnixConn, path, name string) error {
	raw, err := uc.SyscallConn()
	if err != nil {
		return err
	}
	var sa unix.Sockaddr
	var serr error
	if err := raw.Control(func(fd uintptr) { sa, serr = unix.Getpeername(int(fd)) }); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("failed to connect to capsule %s: identify the socket: %w", name, serr)
	}
	if un, ok := sa.(*unix.SockaddrUnix); !ok || un.Name != path {
		bound := "?"
		if ok {
			bound = un.Name
		}
		return fmt.Errorf("failed to connect to capsule %s: its socket was bound at %s, not by the capsule's manager at %s; refusing",
			name, printable(bound), path)
	}
	return nil
}

// listenerPID returns the PID of the process that listens on the socket uc
// is connected to, through a pidfd where the kernel has SO_PEERPIDFD (the
// PID cannot have been reused then), else from SO_PEERCRED.
func listenerPID(uc *net.UnixConn) (int, error) {
	raw, err := uc.SyscallConn()
	if err != nil {
		return 0, err
	}
	pid, pidfd := 0, -1
	var serr error
	if err := raw.Control(func(fd uintptr) {
		pidfd, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PEERPIDFD)
		if serr == nil {
			return
		}
		var cred *unix.Ucred
		if cred, serr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED); serr == nil {
			pid = int(cred.Pid)
		}
	}); err != nil {
		return 0, err
	}
	if serr != nil {
		return 0, serr
	}
	if pidfd < 0 {
		return pid, nil
	}
	defer unix.Close(pidfd)
	return pidOfPidfd(pidfd)
}

// pidOfPidfd reads the PID a pidfd refers to; -1 means it has exited.
func pidOfPidfd(pidfd int) (int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/self/fdinfo/%d", pidfd))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Pid:"); ok {
			pid, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return 0, fmt.Errorf("pidfd: %w", err)
			}
			if pid <= 0 {
				return 0, errors.New("the socket's server has exited")
			}
			return pid, nil
		}
	}
	return 0, errors.New("pidfd: no PID in fdinfo")
}
