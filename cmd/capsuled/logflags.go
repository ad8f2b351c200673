package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/capsuled/capsuled/internal/logstore"
	"github.com/capsuled/capsuled/internal/manager"
	"github.com/capsuled/capsuled/internal/unitconf"
)

// logFlags are where and how much a manager keeps of its log.
type logFlags struct {
	dir, maxFileSize, journal string
	maxFiles                  int
}

func (l *logFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.dir, "log-dir", "", "directory of the manager's log (default: /var/log/capsuled; in a capsule $XDG_STATE_HOME/capsuled/log, ~/.local/state by default)")
	fs.StringVar(&l.maxFileSize, "log-max-file-size", "8M", "size at which a log file is rotated, bytes with K/M/G")
	fs.IntVar(&l.maxFiles, "log-max-files", logstore.DefaultMaxFiles, "log files kept, the one written included")
	fs.StringVar(&l.journal, "journal-socket", logstore.DefaultJournalSocket, "system mode: journald's socket the log is also forwarded to where it exists (\"\": none)")
}

// apply puts the flags into cfg; home is the capsule's home in user mode.
func (l *logFlags) apply(cfg *manager.Config, home string) error {
	size, err := unitconf.ParseBytes(l.maxFileSize, 0)
	if err != nil || size < 4096 || size == unitconf.Unlimited {
		return fmt.Errorf("--log-max-file-size=%s: give a size of at least 4K", l.maxFileSize)
	}
	if l.maxFiles < 1 {
		return fmt.Errorf("--log-max-files=%d: keep at least one file", l.maxFiles)
	}
	cfg.LogDir, cfg.LogMaxFileSize, cfg.LogMaxFiles = l.dir, int64(size), l.maxFiles
	if cfg.Mode == manager.System {
		cfg.JournalSocket = l.journal
		if cfg.LogDir == "" {
			cfg.LogDir = "/var/log/capsuled"
		}
		return nil
	}
	if cfg.LogDir == "" {
		// Inside the capsule's home, so clean --what=all removes it;
		// written by the capsule's manager, as the capsule's user.
		state := os.Getenv("XDG_STATE_HOME")
		if state == "" {
			state = filepath.Join(home, ".local/state")
		}
		cfg.LogDir = filepath.Join(state, "capsuled/log")
	}
	return nil
}
