package unit

import (
	"bytes"
	"os"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// HostInfo are the facts about the host some specifiers name: read once
// per manager (ReadHostInfo), not per unit.
type HostInfo struct {
	Arch           string            // %a, systemd's architecture name
	KernelRelease  string            // %v
	PrettyHostname string            // %q, PRETTY_HOSTNAME of /etc/machine-info
	MachineID      string            // %m
	BootID         string            // %b, without dashes
	OSRelease      map[string]string // %o ID, %w VERSION_ID, %W VARIANT_ID, %B BUILD_ID, %M IMAGE_ID, %A IMAGE_VERSION
}

// ReadHostInfo reads the host facts from the files systemd reads them
// from; what cannot be read stays empty, as systemd leaves it.
func ReadHostInfo() *HostInfo {
	h := &HostInfo{Arch: Architecture(), OSRelease: map[string]string{}}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		h.KernelRelease = string(bytes.TrimRight(u.Release[:], "\x00"))
	}
	h.MachineID = firstLine("/etc/machine-id")
	h.BootID = strings.ReplaceAll(firstLine("/proc/sys/kernel/random/boot_id"), "-", "")
	if b, err := os.ReadFile("/etc/machine-info"); err == nil {
		h.PrettyHostname = shellVars(string(b))["PRETTY_HOSTNAME"]
	}
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		if b, err := os.ReadFile(p); err == nil {
			h.OSRelease = shellVars(string(b))
			break
		}
	}
	return h
}

func firstLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line)
}

// shellVars reads the KEY=VALUE lines of os-release(5) and
// machine-info(5), quotes removed.
func shellVars(s string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
			if line[len(k)+1] == '"' {
				v = strings.NewReplacer(`\"`, `"`, `\\`, `\`, `\$`, `$`, "\\`", "`").Replace(v)
			}
		}
		out[strings.TrimSpace(k)] = v
	}
	return out
}

// Architecture names the CPU architecture as systemd does.
func Architecture() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86-64"
	case "386":
		return "x86"
	case "arm64":
		return "arm64"
	case "arm":
		return "arm"
	case "riscv64":
		return "riscv64"
	case "ppc64le":
		return "ppc64-le"
	case "s390x":
		return "s390x"
	case "loong64":
		return "loongarch64"
	}
	return runtime.GOARCH
}
