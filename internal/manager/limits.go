package manager

import (
	"github.com/capsuled/capsuled/internal/unitconf"
)

// Unlimited is the value of MemoryMax=, TasksMax= and sizes set to
// "infinity".
const Unlimited = unitconf.Unlimited

// DefaultTmpfsSize is the size of a capsule's runtime directory and private
// /tmp, /var/tmp and /dev/shm unless configured: 10% of RAM, as logind's
// RuntimeDirectorySize= gives /run/user/UID.
const DefaultTmpfsSize = "10%"

// TmpfsSize parses a tmpfs size (bytes with suffix or a percentage of
// RAM) for the --tmpfs-size flag.
func TmpfsSize(v string) (uint64, error) { return unitconf.TmpfsSize(v) }

// tmpfsInodes is the inode limit of a bounded tmpfs of size bytes: as
// logind does, one inode per 4 KiB, so inodes cannot take memory beyond it.
func tmpfsInodes(size uint64) uint64 {
	if n := size / 4096; n >= 1024 {
		return n
	}
	return 1024
}

// tmpfsSize is the size of each tmpfs u can write to.
func (m *Manager) tmpfsSize(u *Unit) uint64 {
	if u.svc.TmpfsSize > 0 {
		return u.svc.TmpfsSize
	}
	return m.cfg.TmpfsSize
}
