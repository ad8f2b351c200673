// Package exitstatus names process exit statuses as systemd does.
package exitstatus

import (
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// names are the names systemd gives exit statuses in its log lines
// (systemd.exec(5) "Process Exit Codes").
var names = map[int]string{
	0: "SUCCESS", 1: "FAILURE", 2: "INVALIDARGUMENT", 3: "NOTIMPLEMENTED", 4: "NOPERMISSION",
	5: "NOTINSTALLED", 6: "NOTCONFIGURED", 7: "NOTRUNNING",
	200: "CHDIR", 201: "NICE", 202: "FDS", 203: "EXEC", 204: "MEMORY", 205: "LIMITS", 206: "OOM_ADJUST",
	207: "SIGNAL_MASK", 208: "STDIN", 209: "STDOUT", 210: "CHROOT", 211: "IOPRIO", 212: "TIMERSLACK",
	213: "SECUREBITS", 214: "SETSCHEDULER", 215: "CPUAFFINITY", 216: "GROUP", 217: "USER",
	218: "CAPABILITIES", 219: "CGROUP", 220: "SETSID", 221: "CONFIRM", 222: "STDERR", 224: "PAM",
	225: "NETWORK", 226: "NAMESPACE", 227: "NO_NEW_PRIVILEGES", 228: "SECCOMP", 229: "SELINUX_CONTEXT",
	230: "PERSONALITY", 231: "APPARMOR_PROFILE", 232: "ADDRESS_FAMILIES", 233: "RUNTIME_DIRECTORY",
	235: "CHOWN", 236: "SMACK_PROCESS_LABEL", 237: "KEYRING", 238: "STATE_DIRECTORY",
	239: "CACHE_DIRECTORY", 240: "LOGS_DIRECTORY", 241: "CONFIGURATION_DIRECTORY", 242: "NUMA_POLICY",
	243: "CREDENTIALS", 245: "BPF", 255: "EXCEPTION",
}

// Text is "15/TERM" for a process killed by SIGTERM, "1/FAILURE"
// for exit status 1, as systemd's "Main process exited" lines print them.
func Text(code string, status int) string {
	name := ""
	if code == "exited" {
		name = names[status]
	} else {
		name = strings.TrimPrefix(unix.SignalName(syscall.Signal(status)), "SIG")
	}
	if name == "" {
		name = "n/a"
	}
	return strconv.Itoa(status) + "/" + name
}

// Name is systemd's name for exit status n ("SUCCESS", "EXEC"), "" for
// one it has no name for.
func Name(n int) string { return names[n] }
