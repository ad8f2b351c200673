package logstore

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// DefaultJournalSocket is where journald takes native protocol datagrams.
const DefaultJournalSocket = "/run/systemd/journal/socket"

// Journal sends lines to journald over its native protocol: one datagram
// per entry of FIELD=value lines, a value with a newline in it as FIELD,
// newline, its length as 64-bit little endian, the value and a newline.
// A journal that does not keep up loses lines rather than holding up the
// manager.
type Journal struct {
	fd   int
	addr *unix.SockaddrUnix
}

// DialJournal opens a socket to send to the journal at path.
func DialJournal(path string) (*Journal, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("journal socket: %w", err)
	}
	return &Journal{fd: fd, addr: &unix.SockaddrUnix{Name: path}}, nil
}

// Send forwards l. The manager's own lines about a unit carry it as
// OBJECT_SYSTEMD_UNIT=, which journalctl -u matches for root's senders;
// a unit's output carries it as CAPSULED_UNIT= (journald sets the _SYSTEMD_
// fields itself, from the sender: here the manager).
func (j *Journal) Send(l Line) {
	var b []byte
	b = field(b, "MESSAGE", l.Message)
	b = field(b, "PRIORITY", strconv.Itoa(l.Priority))
	if l.Ident != "" {
		b = field(b, "SYSLOG_IDENTIFIER", l.Ident)
	}
	if l.PID > 0 {
		b = field(b, "SYSLOG_PID", strconv.Itoa(l.PID))
	}
	if l.Unit != "" {
		if l.Manager {
			b = field(b, "OBJECT_SYSTEMD_UNIT", l.Unit)
		} else {
			b = field(b, "CAPSULED_UNIT", l.Unit)
		}
		if l.Invoc != "" {
			b = field(b, "OBJECT_SYSTEMD_INVOCATION_ID", l.Invoc)
		}
	}
	unix.Sendto(j.fd, b, unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL, j.addr)
}

func field(b []byte, name, value string) []byte {
	if !strings.ContainsRune(value, '\n') {
		b = append(b, name...)
		b = append(b, '=')
		b = append(b, value...)
		return append(b, '\n')
	}
	b = append(b, name...)
	b = append(b, '\n')
	b = binary.LittleEndian.AppendUint64(b, uint64(len(value)))
	b = append(b, value...)
	return append(b, '\n')
}

// Close closes the socket.
func (j *Journal) Close() error { return unix.Close(j.fd) }
