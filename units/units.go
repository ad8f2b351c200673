// Package units embeds the built-in unit files. Files of the same name in
// the unit search paths override them.
package units

import (
	"embed"
	"io/fs"
)

//go:embed system user
var files embed.FS

// System returns the built-in units of the system manager.
func System() fs.FS { return sub("system") }

// User returns the built-in units of capsule (user mode) managers.
func User() fs.FS { return sub("user") }

func sub(dir string) fs.FS {
	f, err := fs.Sub(files, dir)
	if err != nil {
		panic(err) // the directories are embedded at build time
	}
	return f
}
