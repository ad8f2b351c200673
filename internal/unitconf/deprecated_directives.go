package unitconf

// deprecatedBy maps the cgroup directives systemd 257 still reads but
// means to drop to what it asks for instead; capsuled acts on neither
// yet, so a use is warned about in systemd's words, then ignored.
var deprecatedBy = map[string]string{
	"MemoryLimit":           "MemoryMax=",
	"CPUShares":             "CPUWeight=",
	"StartupCPUShares":      "CPUWeight=",
	"BlockIOAccounting":     "IO*= settings",
	"BlockIOWeight":         "IO*= settings",
	"StartupBlockIOWeight":  "IO*= settings",
	"BlockIODeviceWeight":   "IO*= settings",
	"BlockIOReadBandwidth":  "IO*= settings",
	"BlockIOWriteBandwidth": "IO*= settings",
}
