package busctl

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/escape"
)

var capNames = []string{"cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner", "cap_fsetid", "cap_kill",
	"cap_setgid", "cap_setuid", "cap_setpcap", "cap_linux_immutable", "cap_net_bind_service", "cap_net_broadcast",
	"cap_net_admin", "cap_net_raw", "cap_ipc_lock", "cap_ipc_owner", "cap_sys_module", "cap_sys_rawio", "cap_sys_chroot",
	"cap_sys_ptrace", "cap_sys_pacct", "cap_sys_admin", "cap_sys_boot", "cap_sys_nice", "cap_sys_resource", "cap_sys_time",
	"cap_sys_tty_config", "cap_mknod", "cap_lease", "cap_audit_write", "cap_audit_control", "cap_setfcap",
	"cap_mac_override", "cap_mac_admin", "cap_syslog", "cap_wake_alarm", "cap_block_suspend", "cap_audit_read",
	"cap_perfmon", "cap_bpf", "cap_checkpoint_restore"}

// capList formats a capability mask as busctl status does: names one
// space apart, a line break before every fourth one after the third.
func capList(mask uint64, last int) string {
	var b strings.Builder
	n := 0
	for i := 0; i <= last; i++ {
		if mask&(1<<uint(i)) == 0 {
			continue
		}
		if n > 0 {
			b.WriteByte(' ')
		}
		if n%4 == 3 {
			b.WriteString("\n        ")
		}
		if i < len(capNames) {
			b.WriteString(capNames[i])
		} else {
			fmt.Fprintf(&b, "0x%x", i)
		}
		n++
	}
	return b.String()
}

// procStatus reads the fields of /proc/PID/status.
func procStatus(pid int) map[string]string {
	out := map[string]string{}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return out
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

// credsDump writes what busctl status prints of a process, from /proc.
func credsDump(pid int, unique string) string {
	var b strings.Builder
	kv := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, escape.Text(v)) }
	st := procStatus(pid)
	kv("PID", strconv.Itoa(pid))
	ppid := st["PPid"]
	if ppid == "0" || ppid == "" {
		ppid = "n/a"
	}
	kv("PPID", ppid)
	kv("TTY", "n/a")
	ids := func(key string, names ...string) {
		f := strings.Fields(st[key])
		for i, n := range names {
			if i < len(f) {
				kv(n, f[i])
			}
		}
	}
	ids("Uid", "UID", "EUID", "SUID", "FSUID")
	ids("Gid", "GID", "EGID", "SGID", "FSGID")
	kv("SupplementaryGIDs", strings.Join(strings.Fields(st["Groups"]), " "))
	kv("Comm", procComm(pid))
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		exe = "n/a"
	}
	kv("Exe", exe)
	if cl, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil {
		kv("CommandLine", strings.TrimSpace(strings.ReplaceAll(string(cl), "\x00", " ")))
	} else {
		kv("CommandLine", "n/a")
	}
	cg := procCgroup(pid)
	kv("CGroup", cg)
	unit := UnitOfCgroup(cg)
	if unit == "" {
		unit = "n/a"
	}
	kv("Unit", unit)
	kv("Slice", SliceOfCgroup(cg))
	for _, k := range []string{"UserUnit", "UserSlice", "Session", "AuditLoginUID", "AuditSessionID"} {
		kv(k, "n/a")
	}
	if unique != "" {
		kv("UniqueName", unique)
	}
	last := len(capNames) - 1
	if s, err := os.ReadFile("/proc/sys/kernel/cap_last_cap"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(s))); err == nil {
			last = n
		}
	}
	for _, c := range [][2]string{{"CapEff", "EffectiveCapabilities"}, {"CapPrm", "PermittedCapabilities"},
		{"CapInh", "InheritableCapabilities"}, {"CapBnd", "BoundingCapabilities"}} {
		m, _ := strconv.ParseUint(st[c[0]], 16, 64)
		fmt.Fprintf(&b, "%s=%s\n", c[1], capList(m, last))
	}
	return b.String()
}

// Status prints the bus's or a peer's credentials as busctl status does.
func Status(c *Conn, e *Env, args []string) error {
	if len(args) > 1 {
		return failf("Too many arguments.")
	}
	if len(args) == 1 && args[0] != "" {
		if pid, err := strconv.Atoi(args[0]); err == nil && pid > 0 {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
				return failf("Failed to get credentials: No such process")
			}
			fmt.Fprint(e.Out, credsDump(pid, ""))
			return nil
		}
		cr, err := c.NameCreds(args[0])
		if err != nil {
			return failf("Failed to get credentials: " + busErrText(err))
		}
		if cr.PID <= 0 {
			return failf("Failed to get credentials: No data available")
		}
		fmt.Fprint(e.Out, credsDump(cr.PID, cr.Unique))
		return nil
	}
	fmt.Fprintf(e.Out, "BusAddress=%s\n", c.Address)
	fmt.Fprintf(e.Out, "BusID=%s\n", escape.Text(c.GUID))
	raw, err := c.f.SyscallConn()
	if err != nil {
		return failf("Failed to get credentials: " + ErrnoText(err))
	}
	var uc *unix.Ucred
	var gerr error
	if err := raw.Control(func(fd uintptr) { uc, gerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED) }); err != nil || gerr != nil {
		return failf("Failed to get credentials: " + ErrnoText(gerr))
	}
	fmt.Fprint(e.Out, credsDump(int(uc.Pid), ""))
	return nil
}
