package unitconf

import (
	"strings"
	"testing"
)

// The expected values are systemctl show's for the same lines under
// systemd 257 (notes: observed-8-sb.md).
func init() {
	for k, v := range map[string]sample{
		"Service.CapabilityBoundingSet": {lines: "CapabilityBoundingSet=CAP_NET_RAW cap_chown", prop: "CapabilityBoundingSet", want: "cap_chown cap_net_raw"},
		"Service.AmbientCapabilities":   {lines: "AmbientCapabilities=CAP_NET_RAW", prop: "AmbientCapabilities", want: "cap_net_raw"},
		"Service.SystemCallFilter": {lines: "SystemCallFilter=~@mount:EPERM reboot", prop: "SystemCallFilter",
			want: "~chroot:EPERM fsconfig:EPERM fsmount:EPERM fsopen:EPERM fspick:EPERM mount:EPERM mount_setattr:EPERM move_mount:EPERM open_tree:EPERM pivot_root:EPERM reboot umount2:EPERM umount:EPERM"},
		"Service.SystemCallErrorNumber":   {lines: "SystemCallErrorNumber=EPERM", prop: "SystemCallErrorNumber", want: "1"},
		"Service.SystemCallArchitectures": {lines: "SystemCallArchitectures=native x86", prop: "SystemCallArchitectures", want: "native x86"},
		"Service.RestrictAddressFamilies": {lines: "RestrictAddressFamilies=AF_UNIX AF_INET", prop: "RestrictAddressFamilies", want: "AF_INET AF_UNIX"},
		"Service.LockPersonality":         {lines: "LockPersonality=yes", prop: "LockPersonality", want: "yes"},
		"Service.MemoryDenyWriteExecute":  {lines: "MemoryDenyWriteExecute=yes", prop: "MemoryDenyWriteExecute", want: "yes"},
		"Service.RestrictRealtime":        {lines: "RestrictRealtime=yes", prop: "RestrictRealtime", want: "yes"},
		"Service.ProtectClock":            {lines: "ProtectClock=yes", prop: "ProtectClock", want: "yes"},
		"Service.ProtectHostname":         {lines: "ProtectHostname=yes", prop: "ProtectHostname", want: "yes"},
		"Service.ReadWritePaths":          {lines: "ReadWritePaths=/srv -/var/x +/a", prop: "ReadWritePaths", want: "/srv -/var/x +/a"},
		"Service.ReadOnlyPaths":           {lines: "ReadOnlyPaths=/etc", prop: "ReadOnlyPaths", want: "/etc"},
		"Service.InaccessiblePaths":       {lines: "InaccessiblePaths=-/nonexist", prop: "InaccessiblePaths", want: "-/nonexist"},
		"Service.ReadWriteDirectories":    {lines: "ReadWriteDirectories=/srv", prop: "ReadWritePaths", want: "/srv"},
		"Service.ReadOnlyDirectories":     {lines: "ReadOnlyDirectories=/etc", prop: "ReadOnlyPaths", want: "/etc"},
		"Service.InaccessibleDirectories": {lines: "InaccessibleDirectories=/x", prop: "InaccessiblePaths", want: "/x"},
		"Service.BindPaths":               {lines: "BindPaths=/a:/b:rbind /c -/d:/e", prop: "BindPaths", want: "/a:/b:rbind /c:/c:rbind -/d:/e:rbind"},
		"Service.BindReadOnlyPaths":       {lines: "BindReadOnlyPaths=/f", prop: "BindReadOnlyPaths", want: "/f:/f:rbind"},
		"Service.TemporaryFileSystem":     {lines: "TemporaryFileSystem=/x:ro,size=10M /y", prop: "TemporaryFileSystem", want: "/x:ro,size=10M /y"},
		"Service.ProcSubset":              {lines: "ProcSubset=pid", prop: "ProcSubset", want: "pid"},
		"Service.PrivateDevices":          {lines: "PrivateDevices=yes", prop: "PrivateDevices", want: "yes"},
		"Service.PrivateNetwork":          {lines: "PrivateNetwork=yes", prop: "PrivateNetwork", want: "yes"},
		"Service.ProtectKernelTunables":   {lines: "ProtectKernelTunables=yes", prop: "ProtectKernelTunables", want: "yes"},
		"Service.ProtectKernelModules":    {lines: "ProtectKernelModules=yes", prop: "ProtectKernelModules", want: "yes"},
		"Service.ProtectKernelLogs":       {lines: "ProtectKernelLogs=yes", prop: "ProtectKernelLogs", want: "yes"},
		"Service.ProtectControlGroups":    {lines: "ProtectControlGroups=yes", prop: "ProtectControlGroupsEx", want: "yes"},
		"Service.DevicePolicy":            {lines: "DevicePolicy=closed", prop: "DevicePolicy", want: "closed"},
		"Service.DeviceAllow":             {lines: "DeviceAllow=/dev/null rw", prop: "DeviceAllow", want: "/dev/null rw"},
	} {
		samples[k] = v
	}
}

// TestSandboxValues checks how lines combine, against systemd 257's show.
func TestSandboxValues(t *testing.T) {
	allCaps := "cap_chown cap_dac_override cap_dac_read_search cap_fowner cap_fsetid cap_kill cap_setgid cap_setuid cap_setpcap cap_linux_immutable cap_net_bind_service cap_net_broadcast cap_net_admin cap_net_raw cap_ipc_lock cap_ipc_owner cap_sys_module cap_sys_rawio cap_sys_chroot cap_sys_ptrace cap_sys_pacct cap_sys_admin cap_sys_boot cap_sys_nice cap_sys_resource cap_sys_time cap_sys_tty_config cap_mknod cap_lease cap_audit_write cap_audit_control cap_setfcap cap_mac_override cap_mac_admin cap_syslog cap_wake_alarm cap_block_suspend cap_audit_read cap_perfmon cap_bpf cap_checkpoint_restore"
	tests := []struct {
		lines, prop, want string
		warn              string
	}{
		{"", "CapabilityBoundingSet", allCaps, ""},
		{"", "SystemCallFilter", "~", ""},
		{"", "SystemCallErrorNumber", "2147483646", ""},
		{"", "RestrictAddressFamilies", "~", ""},
		{"CapabilityBoundingSet=~CAP_SYS_ADMIN", "CapabilityBoundingSet", strings.Replace(allCaps, " cap_sys_admin", "", 1), ""},
		{"CapabilityBoundingSet=cap_chown\nCapabilityBoundingSet=cap_kill", "CapabilityBoundingSet", "cap_chown cap_kill", ""},
		{"CapabilityBoundingSet=cap_chown cap_kill\nCapabilityBoundingSet=~cap_kill", "CapabilityBoundingSet", "cap_chown", ""},
		{"CapabilityBoundingSet=cap_chown\nCapabilityBoundingSet=", "CapabilityBoundingSet", "", ""},
		{"CapabilityBoundingSet=cap_bogus cap_kill", "CapabilityBoundingSet", "cap_kill", "Failed to parse capability in bounding/ambient set, ignoring: cap_bogus"},
		{"SystemCallErrorNumber=kill", "SystemCallErrorNumber", "2147483646", ""},
		{"SystemCallErrorNumber=13", "SystemCallErrorNumber", "13", ""},
		{"RestrictAddressFamilies=~AF_PACKET", "RestrictAddressFamilies", "~AF_PACKET", ""},
		{"RestrictAddressFamilies=AF_UNIX AF_INET\nRestrictAddressFamilies=~AF_INET", "RestrictAddressFamilies", "AF_UNIX", ""},
		{"RestrictAddressFamilies=none", "RestrictAddressFamilies", "none", ""},
		{"SystemCallFilter=~@clock\nSystemCallFilter=clock_settime", "SystemCallFilter",
			"~adjtimex clock_adjtime clock_adjtime64 clock_settime64 settimeofday", ""},
		{"SystemCallFilter=~bogus_call reboot", "SystemCallFilter", "~reboot", "Failed to parse system call, ignoring: bogus_call"},
		{"SystemCallFilter=reboot:EPERM", "SystemCallFilter", "", "Allow-listed system calls cannot take error number, ignoring: reboot:EPERM"},
		{"ReadWritePaths=relative /ok", "ReadWritePaths", "/ok", "Not an absolute path, ignoring: relative"},
		{"InaccessiblePaths=/a/../b", "InaccessiblePaths", "", "Not an absolute path, ignoring: /a/../b"},
		// As systemd 257 shows them (observed): last first, rights "rwm" by default.
		{"DeviceAllow=/dev/null wr\nDeviceAllow=char-pts\nDeviceAllow=block-loop r", "DeviceAllow", "block-loop r\nchar-pts rwm\n/dev/null rw", ""},
		{"DeviceAllow=/dev/null rw\nDeviceAllow=\nDeviceAllow=/dev/zero", "DeviceAllow", "/dev/zero rwm", ""},
		{"DeviceAllow=char-foo xyz", "DeviceAllow", "", "Invalid device rights 'xyz', ignoring."},
		{"DeviceAllow=/etc/passwd", "DeviceAllow", "", "Invalid device node path '/etc/passwd', ignoring."},
		{"DevicePolicy=strict", "DevicePolicy", "strict", ""},
		{"", "DevicePolicy", "auto", ""},
		{"ReadOnlyDirectories=/etc/freeradius/ -//var/./log/", "ReadOnlyPaths", "/etc/freeradius -/var/log", ""},
		{"BindPaths=/a/:/b//c/", "BindPaths", "/a:/b/c:rbind", ""},
		{"BindPaths=/a:/b:norbind", "BindPaths", "/a:/b:norbind", ""},
		{"BindPaths=/a:b", "BindPaths", "", "Not an absolute path, ignoring: /a:b"},
		{"TemporaryFileSystem=/x:mode=0700", "TemporaryFileSystem", "/x:mode=0700", ""},
		{"PrivateTmp=disconnected", "PrivateTmpEx", "disconnected", ""},
		{"PrivateTmp=disconnected", "PrivateTmp", "yes", ""},
		{"PrivateTmp=yes", "PrivateTmpEx", "connected", ""},
		{"User=x\nDynamicUser=yes", "PrivateTmpEx", "disconnected", ""},
		{"", "PrivateTmpEx", "no", ""},
		{"SystemCallArchitectures=native bogus", "SystemCallArchitectures", "native", "Failed to parse system call architecture, ignoring: bogus"},
	}
	for _, tc := range tests {
		t.Run(tc.lines, func(t *testing.T) {
			u, w, err := parse(t, "x.service", "[Service]\nExecStart=/bin/true\n"+tc.lines+"\n")
			if err != nil {
				t.Fatal(err)
			}
			got := property(t, u, tc.prop)
			if tc.lines == "SystemCallFilter=reboot:EPERM" {
				// An allow-list holds @default; reboot was not added.
				if strings.Contains(got, "reboot") || !strings.Contains(got, "execve") {
					t.Errorf("%s=%s", tc.prop, got)
				}
			} else if got != tc.want {
				t.Errorf("%s=%q, want %q", tc.prop, got, tc.want)
			}
			var ws []string
			for _, x := range w {
				ws = append(ws, x.Msg)
			}
			if tc.warn != "" && (len(ws) != 1 || !strings.Contains(ws[0], tc.warn)) {
				t.Errorf("warnings %q, want %q", ws, tc.warn)
			}
			if tc.warn == "" && len(ws) > 0 {
				t.Errorf("warnings %q", ws)
			}
		})
	}
}

// TestSystemCallFilterAllowList is the observed value of
// "SystemCallFilter=@clock mount" then "SystemCallFilter=~clock_settime".
func TestSystemCallFilterAllowList(t *testing.T) {
	u, _, err := parse(t, "x.service", "[Service]\nExecStart=/bin/true\nSystemCallFilter=@clock mount\nSystemCallFilter=~clock_settime\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "adjtimex arch_prctl brk cacheflush clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep clock_nanosleep_time64 clock_settime64 execve exit exit_group futex futex_time64 futex_waitv get_robust_list get_thread_area getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getpgid getpgrp getpid getppid getrandom getresgid getresgid32 getresuid getresuid32 getrlimit getsid gettid gettimeofday getuid getuid32 landlock_add_rule landlock_create_ruleset landlock_restrict_self lsm_get_self_attr lsm_list_modules membarrier mmap mmap2 mount mprotect mseal munmap nanosleep pause prlimit64 restart_syscall riscv_flush_icache riscv_hwprobe rseq rt_sigreturn sched_getaffinity sched_yield seccomp set_robust_list set_thread_area set_tid_address set_tls settimeofday sigreturn time ugetrlimit uretprobe"
	if got := property(t, u, "SystemCallFilter"); got != want {
		t.Errorf("SystemCallFilter=\n%s\nwant\n%s", got, want)
	}
}
