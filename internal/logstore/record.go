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
func (l Line) MarshalJSON() ([]byte, error) {
	r := record{Realtime: strconv.FormatInt(l.Time.UnixMicro(), 10), Priority: strconv.Itoa(l.Priority),
		Ident: l.Ident, Message: l.Message}
	if l.PID > 0 {
		r.PID = strconv.Itoa(l.PID)
	}
	if l.Manager {
		r.MgrUnit, r.MgrInvoc = l.Unit, l.Invoc
	} else {
		r.Unit, r.Invoc = l.Unit, l.Invoc
	}
	return json.Marshal(r)
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
