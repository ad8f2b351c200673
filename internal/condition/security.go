package condition

import (
	"errors"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

const efiGlobal = "8be4df61-93ca-11d2-aa0d-00e098032b8c"

// efiVarByte reads the first data byte of an EFI variable (after its four
// attribute bytes).
func efiVarByte(name string) (byte, bool) {
	b, err := os.ReadFile("/sys/firmware/efi/efivars/" + name)
	if err != nil || len(b) < 5 {
		return 0, false
	}
	return b[4], true
}

// securityInUse answers ConditionSecurity= for the calling process.
func securityInUse(name string) (bool, error) {
	switch name {
	case "selinux":
		var st unix.Statfs_t
		return unix.Statfs("/sys/fs/selinux", &st) == nil && st.Type == unix.SELINUX_MAGIC, nil
	case "smack":
		return exists("/sys/fs/smackfs/"), nil
	case "apparmor":
		v, err := readLine("/sys/module/apparmor/parameters/enabled")
		return err == nil && strings.HasPrefix(v, "Y") && exists("/sys/kernel/security/apparmor/"), nil
	case "audit":
		fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_AUDIT)
		if err != nil {
			// Only a kernel without audit refuses the socket.
			return !errors.Is(err, unix.EAFNOSUPPORT) && !errors.Is(err, unix.EPROTONOSUPPORT), nil
		}
		unix.Close(fd)
		return true, nil
	case "ima":
		return exists("/sys/kernel/security/ima/"), nil
	case "tomoyo":
		return exists("/sys/kernel/security/tomoyo/version"), nil
	case "uefi-secureboot":
		if !exists("/sys/firmware/efi") {
			return false, nil
		}
		v, ok := efiVarByte("SecureBoot-" + efiGlobal)
		return ok && v > 0, nil
	case "tpm2":
		// The kernel's TPM subsystem and a firmware TPM2 (ACPI table or
		// device tree node), as systemd checks before drivers load.
		if !exists("/sys/class/tpmrm") {
			return false, nil
		}
		return exists("/sys/firmware/acpi/tables/TPM2") || exists("/proc/device-tree/tpm") ||
			exists("/sys/kernel/security/tpm0/binary_bios_measurements"), nil
	case "cvm":
		flags, err := cpuFlags()
		if err != nil {
			return false, err
		}
		for _, f := range flags {
			if f == "tdx_guest" || f == "sev_snp_guest" {
				return true, nil
			}
		}
		return exists("/sys/firmware/coco") || exists("/dev/sev-guest") || exists("/dev/tdx_guest"), nil
	case "measured-uki":
		// systemd-stub records the PCR it measured the UKI into.
		_, ok := efiVarByte("StubPcrKernelImage-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f")
		return ok, nil
	}
	return false, nil
}
