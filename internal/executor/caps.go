package executor

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// capNames are the capabilities systemd 257 knows, by number, as `show`
// prints them.
var capNames = []string{
	"cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner", "cap_fsetid", "cap_kill",
	"cap_setgid", "cap_setuid", "cap_setpcap", "cap_linux_immutable", "cap_net_bind_service",
	"cap_net_broadcast", "cap_net_admin", "cap_net_raw", "cap_ipc_lock", "cap_ipc_owner", "cap_sys_module",
	"cap_sys_rawio", "cap_sys_chroot", "cap_sys_ptrace", "cap_sys_pacct", "cap_sys_admin", "cap_sys_boot",
	"cap_sys_nice", "cap_sys_resource", "cap_sys_time", "cap_sys_tty_config", "cap_mknod", "cap_lease",
	"cap_audit_write", "cap_audit_control", "cap_setfcap", "cap_mac_override", "cap_mac_admin", "cap_syslog",
	"cap_wake_alarm", "cap_block_suspend", "cap_audit_read", "cap_perfmon", "cap_bpf", "cap_checkpoint_restore",
}

// CapAll is every capability systemd 257 knows (CapabilityBoundingSet='s
// default).
const CapAll = uint64(1)<<41 - 1

// ParseCapability returns the number of a capability name (CAP_NET_RAW or
// cap_net_raw).
func ParseCapability(name string) (int, bool) {
	n := strings.ToLower(name)
	for i, c := range capNames {
		if c == n {
			return i, true
		}
	}
	return 0, false
}

// FormatCapabilities lists the capabilities of mask by name, in number
// order, space-separated.
func FormatCapabilities(mask uint64) string {
	var out []string
	for i, c := range capNames {
		if mask&(1<<i) != 0 {
			out = append(out, c)
		}
	}
	return strings.Join(out, " ")
}

// Capabilities are CapabilityBoundingSet= and AmbientCapabilities= as the
// executor applies them.
type Capabilities struct {
	// Bounding, when set, is the bounding set the command keeps; every
	// other capability is dropped from it (needs CAP_SETPCAP).
	Bounding *uint64 `json:"bounding,omitempty"`
	// Ambient are raised as ambient capabilities, so a command running
	// as another user than root keeps them across exec.
	Ambient uint64 `json:"ambient,omitempty"`
}

// lastCap is the highest capability the kernel knows.
func lastCap() int {
	for c := 63; c >= 0; c-- {
		if r, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0); err == nil && r >= 0 {
			return c
		}
	}
	return len(capNames) - 1
}

// dropBounding drops every capability not in keep from the bounding set,
// as systemd does before changing the UID.
func dropBounding(keep uint64) error {
	for c := 0; c <= lastCap(); c++ {
		if c < 64 && keep&(1<<c) != 0 {
			continue
		}
		has, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0)
		if err != nil || has == 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			return fmt.Errorf("drop capabilities: %w", err)
		}
	}
	return nil
}

// capState reads the calling thread's capability sets.
func capState() (*[2]unix.CapUserData, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return nil, err
	}
	return &data, nil
}

func capSet(data *[2]unix.CapUserData) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	return unix.Capset(&hdr, &data[0])
}

// raiseAmbient makes caps inheritable and raises them as ambient
// capabilities; each must be permitted already. Before a UID change, with
// keep-caps set, it keeps them across it; afterwards, effective again.
func raiseAmbient(caps uint64, effective bool) error {
	data, err := capState()
	if err != nil {
		return err
	}
	data[0].Inheritable |= uint32(caps)
	data[1].Inheritable |= uint32(caps >> 32)
	if effective {
		data[0].Effective |= uint32(caps) & data[0].Permitted
		data[1].Effective |= uint32(caps>>32) & data[1].Permitted
	}
	if err := capSet(data); err != nil {
		return err
	}
	for c := 0; c < 64; c++ {
		if caps&(1<<c) == 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(c), 0, 0); err != nil {
			return err
		}
	}
	return nil
}
