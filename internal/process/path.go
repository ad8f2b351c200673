package process

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultSearchPath is where systemd 257 looks up a bare command name
// (systemd-path search-binaries-default), whatever PATH the manager's
// environment or the unit's holds.
const DefaultSearchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"

// SearchPath is where bare command names are looked up: binDir first, so
// built-in units find the manager binary wherever it is installed, then
// path (ExecSearchPath=), DefaultSearchPath if it is empty.
func SearchPath(binDir, path string) string {
	if path == "" {
		path = DefaultSearchPath
	}
	if binDir == "" {
		return path
	}
	return binDir + ":" + path
}

// LookPath resolves a command the way systemd does for a bare name: in a
// fixed search path.
func LookPath(name, path string) (string, error) {
	if strings.Contains(name, "/") {
		if !filepath.IsAbs(name) {
			return "", fmt.Errorf("executable path %q is not absolute", name)
		}
		return name, nil
	}
	for _, d := range filepath.SplitList(path) {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("executable %q not found in %s", name, path)
}
