package fstree

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// dirent is one entry returned by getdents64.
type dirent struct {
	name string
	typ  uint8 // unix.DT_*; DT_UNKNOWN where the file system does not say
	off  int64 // position right after this entry, for lseek
}

// direntReader reads the entries of one directory descriptor at a time in
// batches, so a directory with a million entries needs no more memory than
// a short one.
type direntReader struct {
	buf    []byte
	pos, n int
}

func newDirentReader() *direntReader { return &direntReader{buf: make([]byte, 32<<10)} }

// reset drops buffered entries; the next call to next reads from fd anew.
func (r *direntReader) reset() { r.pos, r.n = 0, 0 }

// buffered reports whether entries read earlier are still waiting.
func (r *direntReader) buffered() bool { return r.pos < r.n }

// next returns the next entry of fd other than "." and "..", ok false at
// the end of the directory.
func (r *direntReader) next(fd int) (d dirent, ok bool, err error) {
	for {
		if r.pos >= r.n {
			n, err := getdents(fd, r.buf)
			if err != nil {
				return d, false, err
			}
			if n == 0 {
				return d, false, nil
			}
			r.pos, r.n = 0, n
		}
		// struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, name.
		rec := r.buf[r.pos:r.n]
		reclen := int(binary.NativeEndian.Uint16(rec[16:18]))
		d.off = int64(binary.NativeEndian.Uint64(rec[8:16]))
		d.typ = rec[18]
		name := rec[19:reclen]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		r.pos += reclen
		if s := string(name); s != "." && s != ".." {
			d.name = s
			return d, true, nil
		}
	}
}

// getdents reads directory entries, retrying on EINTR.
func getdents(fd int, buf []byte) (int, error) {
	for {
		n, err := unix.Getdents(fd, buf)
		if err != unix.EINTR {
			return n, err
		}
	}
}
