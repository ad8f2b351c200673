package logstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Default bounds of a store, after journald's: its files are an eighth of
// what it may use; capsuled's default keeps 4 files of 8 MiB.
const (
	DefaultMaxFileSize = 8 << 20
	DefaultMaxFiles    = 4
	recentLines        = 1000 // held in memory for followers
	fileName           = "capsuled.jsonl"
)

// Options bound a store on disk.
type Options struct {
	MaxFileSize int64 // a file is rotated before it grows past this
	MaxFiles    int   // files kept, the one written included
	// Forward, if set, gets every line appended (the host's journal).
	Forward func(Line)
}

// Store is a manager's log: lines appended to a file in Dir, which is
// rotated to Dir/capsuled.1.jsonl and on when it would grow past
// MaxFileSize, the oldest dropped beyond MaxFiles. Opening a store reads
// none of it. A store without a directory keeps only the newest lines in
// memory.
type Store struct {
	dir  string
	opts Options
	warn func(error)

	mu     sync.Mutex
	recent *Ring
	closed bool
	// Group commit: appenders queue their records in pending, and one at
	// a time (flushing) writes all that is queued, outside mu, while the
	// others wait until theirs are written. Many units logging at once
	// (a stop of hundreds) then cost a write for all, not one each.
	pending         []byte
	pendingEnds     []int // where each record ends in pending
	queued, written uint64
	flushing        bool
	done            sync.Cond // on mu: written moved

	// fmu guards the file; taken after mu, never the other way round.
	fmu    sync.Mutex
	f      *os.File // nil: memory only, or the file could not be opened
	size   int64
	warned map[syscall.Errno]bool
}

// Open opens (creating with mode 0700) the store in dir; "" makes a store
// in memory only. Errors of the disk later go to warn, once per kind,
// and the lines still reach memory and followers.
func Open(dir string, opts Options, warn func(error)) (*Store, error) {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if opts.MaxFiles <= 0 {
		opts.MaxFiles = DefaultMaxFiles
	}
	if warn == nil {
		warn = func(error) {}
	}
	s := &Store{dir: dir, opts: opts, warn: warn, recent: NewRing(recentLines)}
	s.done.L = &s.mu
	if dir == "" {
		return s, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("log directory: %w", err)
	}
	if err := s.openLocked(); err != nil {
		return nil, err
	}
	return s, nil
}

// Dir is where the store keeps its files ("" in memory).
func (s *Store) Dir() string { return s.dir }

// openFile opens a log file without following a symbolic link and
// without blocking on a FIFO someone put in its place, and only if it is
// a regular file.
func openFile(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	return f, nil
}

func (s *Store) openLocked() error {
	f, err := openFile(filepath.Join(s.dir, fileName), os.O_RDWR|os.O_APPEND|os.O_CREATE)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open log: %w", err)
	}
	s.f, s.size = f, st.Size()
	return nil
}

// name is the path of the i-th file, 0 being the one written.
func (s *Store) name(i int) string {
	if i == 0 {
		return filepath.Join(s.dir, fileName)
	}
	return filepath.Join(s.dir, "capsuled."+strconv.Itoa(i)+".jsonl")
}

// Append stores l.
func (s *Store) Append(l Line) { s.AppendLines([]Line{l}) }

// AppendLines stores lines, in one write when they fit in the file (a
// unit's output comes in batches of what one read brought in), together
// with what other goroutines append meanwhile. They are written before
// AppendLines returns, so a crash of the manager loses no line it had
// appended.
func (s *Store) AppendLines(lines []Line) {
	var b []byte
	for _, l := range lines {
		b = l.appendRecord(b)
		b = append(b, '\n')
	}
	s.mu.Lock()
	for _, l := range lines {
		s.recent.Add(l)
	}
	if s.dir != "" && !s.closed {
		base := len(s.pending)
		s.pending = append(s.pending, b...)
		for i, c := range b {
			if c == '\n' { // records escape every newline of theirs
				s.pendingEnds = append(s.pendingEnds, base+i+1)
			}
		}
		s.queued++
		s.syncLocked(s.queued)
	}
	s.mu.Unlock()
	if s.opts.Forward != nil {
		for _, l := range lines {
			s.opts.Forward(l)
		}
	}
}

// syncLocked returns once the first n batches queued are written,
// writing what is queued itself when no one else is.
func (s *Store) syncLocked(n uint64) {
	for s.written < n {
		if s.flushing {
			s.done.Wait()
			continue
		}
		s.flushing = true
		b, ends, upto := s.pending, s.pendingEnds, s.queued
		s.pending, s.pendingEnds = nil, nil
		s.mu.Unlock()
		s.fmu.Lock()
		s.writeLocked(b, ends)
		s.fmu.Unlock()
		s.mu.Lock()
		s.flushing = false
		s.written = upto
		s.done.Broadcast()
	}
}

// writeLocked writes the records in b, which end at ends, rotating
// before the one that would take the file past its size.
func (s *Store) writeLocked(b []byte, ends []int) {
	for start := 0; start < len(b); {
		if s.f == nil {
			// A failed rotation or open is retried with every batch:
			// the directory may be writable again.
			if err := s.openLocked(); err != nil {
				s.warnOnce(err)
				return
			}
		}
		// As many whole records as fit, and one at least in an empty file.
		end := len(b)
		if room := s.opts.MaxFileSize - s.size; int64(end-start) > room {
			i, _ := slices.BinarySearch(ends, start+int(max(room, 0))+1)
			switch {
			case i > 0 && ends[i-1] > start:
				end = ends[i-1]
			case s.size > 0:
				s.rotateLocked()
				continue
			default:
				i, _ = slices.BinarySearch(ends, start+1)
				end = ends[i]
			}
		}
		b1 := s.terminateLocked(b[start:end])
		n, err := s.f.Write(b1)
		s.size += int64(n)
		if err != nil {
			s.warnOnce(fmt.Errorf("write log: %w", err))
		}
		start = end
	}
}

// terminateLocked puts a newline before b if someone else (a capsule
// owns its log files) appended to the file a line without one, which would
// swallow b.
func (s *Store) terminateLocked(b []byte) []byte {
	st, err := s.f.Stat()
	if err != nil || st.Size() == s.size {
		return b
	}
	s.size = st.Size()
	var last [1]byte
	if s.size > 0 {
		if _, err := s.f.ReadAt(last[:], s.size-1); err == nil && last[0] != '\n' {
			return append([]byte{'\n'}, b...)
		}
	}
	return b
}

// rotateLocked shifts the files by one, dropping the oldest, and starts
// a new one.
func (s *Store) rotateLocked() {
	s.f.Close()
	s.f = nil
	os.Remove(s.name(s.opts.MaxFiles - 1))
	for i := s.opts.MaxFiles - 2; i >= 0; i-- {
		if err := os.Rename(s.name(i), s.name(i+1)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.warnOnce(fmt.Errorf("rotate log: %w", err))
		}
	}
}

// warnOnce is called with fmu held.
func (s *Store) warnOnce(err error) {
	// One warning per errno is enough for a disk that stays full.
	var errno syscall.Errno
	errors.As(err, &errno)
	if s.warned == nil {
		s.warned = map[syscall.Errno]bool{}
	}
	if s.warned[errno] {
		return
	}
	s.warned[errno] = true
	s.warn(err)
}

// Close closes the file written, once what is queued is.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncLocked(s.queued)
	s.closed = true // lines still reach memory
	s.fmu.Lock()
	defer s.fmu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}
