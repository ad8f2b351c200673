package logstore

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// viaReflection is what encoding/json makes of l's record, which
// appendRecord must reproduce byte for byte.
func viaReflection(t *testing.T, l Line) string {
	t.Helper()
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
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAppendRecordMatchesEncodingJSON(t *testing.T) {
	at := time.UnixMicro(1764480000123456)
	tests := []Line{
		{Time: at, Priority: 6, Message: ""},
		{Time: at, Priority: 3, Ident: "yes", PID: 42, Unit: "a.service", Invoc: "0123abcd", Message: "y"},
		{Time: at, Priority: 6, Ident: "capsuled", PID: 1, Unit: "a.service", Invoc: "ff", Manager: true, Message: "Started a."},
		{Time: at, Message: "quote \" backslash \\ <tag> & amp"},
		{Time: at, Message: "controls \x00\x01\b\f\n\r\t\x1b\x1f del \x7f"},
		{Time: at, Message: "c1 \u0085 \u009b line sep \u2028 para \u2029 é 😀"},
		{Time: at, Message: "invalid \xff\xfe and cut \xe2\x82"},
		{Time: at, Ident: "<id>", Unit: "x\ny", Message: "m"},
		{Time: time.UnixMicro(0), PID: -1, Message: "no pid"},
	}
	for i, l := range tests {
		if got, want := string(l.appendRecord(nil)), viaReflection(t, l); got != want {
			t.Errorf("%d: appendRecord = %s, want %s", i, got, want)
		}
	}
	// Random bytes, weighted towards what needs escaping.
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab\"\\<>&\x00\x1f\x7f\n\xe2\x80\xa8\xa9\xc3\xa9\xff")
	for range 2000 {
		msg := make([]byte, rng.IntN(24))
		for j := range msg {
			msg[j] = alphabet[rng.IntN(len(alphabet))]
		}
		l := Line{Time: at, Priority: rng.IntN(8), Message: string(msg)}
		if got, want := string(l.appendRecord(nil)), viaReflection(t, l); got != want {
			t.Fatalf("message %q: appendRecord = %s, want %s", msg, got, want)
		}
	}
}
