package logstore

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// record is a Line as journalctl -o json shows an entry: journald's field
// names, every value a string.
type record struct {
	Realtime string `json:"__REALTIME_TIMESTAMP"`
	Priority string `json:"PRIORITY"`
	Ident    string `json:"SYSLOG_IDENTIFIER,omitempty"`
	PID      string `json:"_PID,omitempty"`
	Unit     string `json:"_SYSTEMD_UNIT,omitempty"`
	Invoc    string `json:"_SYSTEMD_INVOCATION_ID,omitempty"`
	MgrUnit  string `json:"UNIT,omitempty"`
	MgrInvoc string `json:"INVOCATION_ID,omitempty"`
	Message  string `json:"MESSAGE"`
}

// MarshalJSON encodes l as one journald JSON entry.
func (l Line) MarshalJSON() ([]byte, error) { return l.appendRecord(nil), nil }

// appendRecord appends l as MarshalJSON encodes it, byte for byte what
// encoding/json makes of a record, without its reflection and
// allocations: every line a unit writes goes through here.
func (l Line) appendRecord(b []byte) []byte {
	b = append(b, `{"__REALTIME_TIMESTAMP":"`...)
	b = strconv.AppendInt(b, l.Time.UnixMicro(), 10)
	b = append(b, `","PRIORITY":"`...)
	b = strconv.AppendInt(b, int64(l.Priority), 10)
	b = append(b, '"')
	b = appendField(b, "SYSLOG_IDENTIFIER", l.Ident)
	if l.PID > 0 {
		b = append(b, `,"_PID":"`...)
		b = strconv.AppendInt(b, int64(l.PID), 10)
		b = append(b, '"')
	}
	unit, invoc := "_SYSTEMD_UNIT", "_SYSTEMD_INVOCATION_ID"
	if l.Manager {
		unit, invoc = "UNIT", "INVOCATION_ID"
	}
	b = appendField(b, unit, l.Unit)
	b = appendField(b, invoc, l.Invoc)
	b = append(b, `,"MESSAGE":`...)
	b = appendJSONString(b, l.Message)
	return append(b, '}')
}

// appendField appends ,"name":"value" unless value is empty (omitempty).
func appendField(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendJSONString(b, value)
}

// appendJSONString quotes s as encoding/json does by default: control
// characters, quote and backslash escaped, and <, > and & (HTML), U+2028
// and U+2029 as \u escapes; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

var errBadRecord = errors.New("not a log record")

// UnmarshalJSON decodes an entry MarshalJSON wrote. Files in a capsule's
// home are the capsule's to write, so anything else is refused rather
// than guessed at: a record needs a timestamp, a level 0-7 and a message.
func (l *Line) UnmarshalJSON(b []byte) error {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return err
	}
	us, err := strconv.ParseInt(r.Realtime, 10, 64)
	if err != nil || us < 0 {
		return errBadRecord
	}
	prio, err := strconv.Atoi(r.Priority)
	if err != nil || prio < 0 || prio > 7 {
		return errBadRecord
	}
	pid := 0
	if r.PID != "" {
		if pid, err = strconv.Atoi(r.PID); err != nil || pid <= 0 {
			return errBadRecord
		}
	}
	*l = Line{Time: time.UnixMicro(us), Ident: r.Ident, PID: pid, Priority: prio, Unit: r.Unit,
		Invoc: r.Invoc, Message: r.Message}
	if r.MgrUnit != "" && r.Unit == "" {
		l.Unit, l.Invoc, l.Manager = r.MgrUnit, r.MgrInvoc, true
	}
	return nil
}

// JSON renders l for a terminal as journalctl -o json does. encoding/json
// leaves DEL and the C1 controls (U+0080-U+009F: CSI among them) as they
// are, so they are escaped here too.
func (l Line) JSON() string {
	b, _ := json.Marshal(l)
	s := string(b)
	if !strings.ContainsFunc(s, isC1) {
		return s
	}
	var sb strings.Builder
	for _, r := range s {
		if isC1(r) {
			sb.WriteString(`\u00`)
			sb.WriteString(strconv.FormatInt(int64(r)|0x100, 16)[1:])
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

func isC1(r rune) bool { return r == 0x7f || r >= 0x80 && r <= 0x9f && r != utf8.RuneError }
