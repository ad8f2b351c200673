// Package fstree walks, removes and re-owns directory trees that someone
// else built (a capsule's home, state, cache and log directories), as root,
// without trusting their shape: any depth, any path length, any number of
// entries, names with any bytes. A walk holds at most MaxOpenDirs
// descriptors, never follows a symbolic link, never opens anything but a
// directory and never crosses a mount point.
package fstree
