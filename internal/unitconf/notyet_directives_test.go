package unitconf

import (
	"strings"
	"testing"
)

// Real systemd directives capsuled does not act on warn that they are not
// supported yet; only what systemd does not know is an unknown key.
func TestNotYetDirectivesWarn(t *testing.T) {
	for _, tt := range []struct {
		name, section, line, want string
	}{
		{"a.service", "Service", "FileDescriptorStoreMax=4", "FileDescriptorStoreMax= is not supported yet, ignoring."},
		{"a.service", "Service", "CPUWeight=100", "CPUWeight= is not supported yet, ignoring."},
		{"a.service", "Service", "USBFunctionStrings=/x", "USBFunctionStrings= is not supported yet, ignoring."},
		{"a.service", "Service", "PrivateUsers=yes", "PrivateUsers= is not supported yet, ignoring."},
		{"a.service", "Service", "PrivateUsers=identity", "PrivateUsers= is not supported yet, ignoring."},
		{"a.service", "Service", "LoadCredential=x:/y", "LoadCredential= is not supported yet, ignoring."},
		{"a.slice", "Slice", "CPUWeight=100", "CPUWeight= is not supported yet, ignoring."},
		{"a.socket", "Socket", "SmackLabel=x", "SmackLabel= is not supported yet, ignoring."},
		{"a.socket", "Socket", "ListenUSBFunction=/x", "ListenUSBFunction= is not supported yet, ignoring."},
		{"a.target", "Unit", "CollectMode=inactive", "CollectMode= is not supported yet, ignoring."},
		{"a.target", "Install", "UpheldBy=b.target", "UpheldBy= is not supported yet, ignoring."},
		{"a.service", "Service", "ExecRelaod=/bin/true", "Unknown key name 'ExecRelaod' in section 'Service', ignoring."},
		{"a.slice", "Slice", "CPUWieght=1", "Unknown key name 'CPUWieght' in section 'Slice', ignoring."},
		// Deprecated in systemd 257: its own words (observed), then ignored.
		{"a.service", "Service", "MemoryLimit=1M", "Unit uses MemoryLimit=; please use MemoryMax= instead. Support for MemoryLimit= will be removed soon. Ignoring."},
		{"a.slice", "Slice", "CPUShares=100", "Unit uses CPUShares=; please use CPUWeight= instead. Support for CPUShares= will be removed soon. Ignoring."},
		{"a.service", "Service", "BlockIOReadBandwidth=/dev/sda 1M", "Unit uses BlockIOReadBandwidth=; please use IO*= settings instead. Support for BlockIOReadBandwidth= will be removed soon. Ignoring."},
	} {
		body := "[" + tt.section + "]\n" + tt.line + "\n"
		switch tt.section {
		case "Socket":
			body = "[Socket]\nListenStream=/s\n" + tt.line + "\n"
		case "Service":
			body = "[Service]\nExecStart=/bin/true\n" + tt.line + "\n"
		}
		_, w, err := parse(t, tt.name, body)
		if err != nil {
			t.Errorf("%s: %v", tt.line, err)
			continue
		}
		var got []string
		for _, x := range w {
			got = append(got, x.String())
		}
		if len(got) != 1 || !strings.HasSuffix(got[0], ": "+tt.want) {
			t.Errorf("%s in [%s]: warnings %q, want one ending %q", tt.line, tt.section, got, tt.want)
		}
	}
}
