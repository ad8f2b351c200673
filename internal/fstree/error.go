package fstree

import (
	"errors"
	"fmt"
	"strconv"
)

// errTreeChanged reports that a directory reached again through ".." is
// not the one the walk came from: someone moved part of the tree while it
// was walked. The walk then starts over from its top.
var errTreeChanged = errors.New("tree changed during the walk")

// ErrMountPoint reports a directory below the top that is on another file
// system; walks never cross into it.
var ErrMountPoint = errors.New("mount point below the top")

// TreeError describes a failure inside a tree without spelling out the
// path to it, which may be longer than PATH_MAX: it names the top, the
// depth below it and the entry's (shortened) name.
type TreeError struct {
	Op    string // what failed: "unlink", "rmdir", "open", "chown", ...
	Top   string // the tree's top, as the caller gave it
	Depth int    // levels below Top of the directory holding Name; 0 for Top itself
	Name  string // the entry, shortened
	Err   error
}

func (e *TreeError) Error() string {
	if e.Name == "" {
		return fmt.Sprintf("%s %s: %v", e.Op, e.Top, e.Err)
	}
	return fmt.Sprintf("%s %s at depth %d below %s: %v", e.Op, e.Name, e.Depth, e.Top, e.Err)
}

func (e *TreeError) Unwrap() error { return e.Err }

// shortName quotes a name for a message, cut to a readable length; names
// may hold any byte but "/" and NUL.
func shortName(name string) string {
	if len(name) > 40 {
		name = name[:24] + "..." + name[len(name)-8:]
	}
	return strconv.Quote(name)
}
