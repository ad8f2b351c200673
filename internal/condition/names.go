package condition

import (
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// capabilities are the kernel's capability names, by number.
var capabilities = []string{
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid",
	"setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw",
	"ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
	"sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod",
	"lease", "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog",
	"wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
}

// capabilityNumber resolves "CAP_NET_ADMIN" (any case) or a number below 63.
func capabilityNumber(s string) (uint, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return uint(n), n >= 0 && n < 63
	}
	name, ok := strings.CutPrefix(strings.ToLower(s), "cap_")
	if !ok {
		return 0, false
	}
	for i, c := range capabilities {
		if c == name {
			return uint(i), true
		}
	}
	return 0, false
}

// unameArch maps uname's machine field to systemd's architecture names.
func unameArch(m string) string {
	exact := map[string]string{
		"aarch64": "arm64", "aarch64_be": "arm64-be", "alpha": "alpha", "arc": "arc",
		"arceb": "arc-be", "crisv32": "cris", "x86_64": "x86-64", "i686": "x86", "i586": "x86",
		"i486": "x86", "i386": "x86", "ia64": "ia64", "parisc64": "parisc64", "parisc": "parisc",
		"loongarch64": "loongarch64", "m68k": "m68k", "nios2": "nios2", "ppc64le": "ppc64-le",
		"ppc64": "ppc64", "ppcle": "ppc-le", "ppc": "ppc", "riscv64": "riscv64",
		"riscv32": "riscv32", "s390x": "s390x", "s390": "s390", "sh5": "sh64", "sparc64": "sparc64",
		"sparc": "sparc", "tilegx": "tilegx",
	}
	if a, ok := exact[m]; ok {
		return a
	}
	switch {
	case strings.HasPrefix(m, "arm") && strings.HasSuffix(m, "b"):
		return "arm-be"
	case strings.HasPrefix(m, "arm"):
		return "arm"
	case strings.HasPrefix(m, "sh"):
		return "sh"
	case m == "mips64" || m == "mips":
		// Byte order is not in the machine name; the build's is.
		if strings.HasSuffix(runtime.GOARCH, "le") {
			return m + "-le"
		}
		return m
	}
	return ""
}

// nativeArch is the architecture this program was built for.
func nativeArch() string {
	return map[string]string{
		"amd64": "x86-64", "386": "x86", "arm64": "arm64", "arm": "arm", "riscv64": "riscv64",
		"ppc64le": "ppc64-le", "ppc64": "ppc64", "s390x": "s390x", "mips64le": "mips64-le",
		"mips64": "mips64", "mipsle": "mips-le", "mips": "mips", "loong64": "loongarch64",
	}[runtime.GOARCH]
}

var knownArchs = []string{
	"x86", "x86-64", "arm64", "arm64-be", "arm", "arm-be", "alpha", "arc", "arc-be", "cris",
	"ia64", "loongarch64", "m68k", "mips64-le", "mips64", "mips-le", "mips", "nios2", "parisc64",
	"parisc", "ppc64-le", "ppc64", "ppc", "ppc-le", "riscv32", "riscv64", "s390", "s390x",
	"sh64", "sh", "sparc64", "sparc", "tilegx",
}

func architecture(p string, f Facts) (bool, error) {
	m, err := f.Machine()
	if err != nil {
		return false, err
	}
	have := unameArch(m)
	if have == "" {
		return false, errUnknownArch(m)
	}
	want := p
	if p == "native" {
		want = nativeArch()
	} else if !slices.Contains(knownArchs, p) {
		return false, nil
	}
	return have == want, nil
}

type errUnknownArch string

func (e errUnknownArch) Error() string { return "unknown architecture " + strconv.Quote(string(e)) }
