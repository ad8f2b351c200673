package busctl

import (
	"strings"
	"testing"
	"time"
)

func strs(l ...string) Value { return StrArray(l) }

func variant(v Value) Value { return Value{Sig: "v", Elems: []Value{v}} }

func dict(kv ...Value) Value {
	d := Value{Sig: "a{sv}", Elems: []Value{}}
	for i := 0; i < len(kv); i += 2 {
		d.Elems = append(d.Elems, Value{Sig: "{sv}", Elems: []Value{kv[i], kv[i+1]}})
	}
	return d
}

// Expected values as busctl 257 printed them (observed-9-bus.md and the
// reference container).
func TestFormatCmdline(t *testing.T) {
	logctl := dict(Str("LogLevel"), variant(Str("info")), Str("LogTarget"), variant(Str("journal")),
		Str("SyslogIdentifier"), variant(Str("systemd")))
	tests := []struct {
		name   string
		values []Value
		want   string
	}{
		{"object path", []Value{ObjPath("/org/freedesktop/systemd1/unit/dbus_2esocket")}, `o "/org/freedesktop/systemd1/unit/dbus_2esocket"`},
		{"string array", []Value{strs("org.freedesktop.DBus", ":1.1", ":1.2", ":1.116", "org.freedesktop.systemd1")},
			`as 5 "org.freedesktop.DBus" ":1.1" ":1.2" ":1.116" "org.freedesktop.systemd1"`},
		{"dict of variants", []Value{logctl}, `a{sv} 3 "LogLevel" s "info" "LogTarget" s "journal" "SyslogIdentifier" s "systemd"`},
		{"variant", []Value{variant(Str("systemd-nspawn"))}, `v s "systemd-nspawn"`},
		{"u", []Value{U32(0)}, "u 0"},
		{"b", []Value{{Sig: "b", V: false}}, "b false"},
		{"credentials", []Value{dict(Str("UnixUserID"), variant(U32(0)), Str("UnixGroupIDs"),
			variant(Value{Sig: "au", Elems: []Value{U32(0)}}))}, `a{sv} 2 "UnixUserID" u 0 "UnixGroupIDs" au 1 0`},
		{"struct and numbers", []Value{{Sig: "(ixd)", Elems: []Value{{Sig: "i", V: int32(-7)}, {Sig: "x", V: int64(1) << 40}, {Sig: "d", V: 0.5}}}},
			"(ixd) -7 1099511627776 0.5"},
		{"hostile string", []Value{Str("\x1b]0;pwned\x07\n‣ \"x\"")}, `s "\033]0;pwned\a\n\342\200\243 \"x\""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Signature(tt.values) + " " + FormatCmdline(tt.values); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestDumpAndJSON(t *testing.T) {
	logctl := dict(Str("LogLevel"), variant(Str("info")), Str("LogTarget"), variant(Str("journal")))
	invocation := Value{Sig: "ay", V: []byte{174, 220, 0}}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"verbose reply", DumpBody([]Value{logctl}), `MESSAGE "a{sv}" {
        ARRAY "{sv}" {
                DICT_ENTRY "sv" {
                        STRING "LogLevel";
                        VARIANT "s" {
                                STRING "info";
                        };
                };
                DICT_ENTRY "sv" {
                        STRING "LogTarget";
                        VARIANT "s" {
                                STRING "journal";
                        };
                };
        };
};

`},
		{"verbose property", DumpSubtree(strs("LANG=C.UTF-8")), "ARRAY \"s\" {\n        STRING \"LANG=C.UTF-8\";\n};\n"},
		{"verbose escapes", DumpSubtree(Str("a\nb\x1b")), "STRING \"a\\x0ab\\x1b\";\n"},
		{"json short", JSONMessage([]Value{logctl}).Format(false),
			`{"type":"a{sv}","data":[{"LogLevel":{"type":"s","data":"info"},"LogTarget":{"type":"s","data":"journal"}}]}` + "\n"},
		{"json u", JSONMessage([]Value{U32(0)}).Format(false), `{"type":"u","data":[0]}` + "\n"},
		{"json property", JSONVariant(strs("LANG=C.UTF-8", "PATH=/usr/bin")).Format(false), `{"type":"as","data":["LANG=C.UTF-8","PATH=/usr/bin"]}` + "\n"},
		{"json pretty", JSONVariant(Str("257.13-1~deb13u1")).Format(true), "{\n\t\"type\" : \"s\",\n\t\"data\" : \"257.13-1~deb13u1\"\n}\n"},
		{"json escapes controls", JSONVariant(Str("\x1b[2J")).Format(false), `{"type":"s","data":"\u001b[2J"}` + "\n"},
		// A unit's InvocationID as busctl 257 prints it (observed-9-fbc.md).
		{"ay", "ay " + FormatCmdline([]Value{invocation}), "ay 3 174 220 0"},
		{"ay empty", "ay " + FormatCmdline([]Value{{Sig: "ay", V: []byte{}}}), "ay 0"},
		{"verbose ay", DumpSubtree(invocation), "ARRAY \"y\" {\n        BYTE 174;\n        BYTE 220;\n        BYTE 0;\n};\n"},
		{"verbose ay empty", DumpSubtree(Value{Sig: "ay", V: []byte{}}), "ARRAY \"y\" {\n};\n"},
		{"verbose ay in a variant", DumpBody([]Value{variant(invocation)}), "MESSAGE \"v\" {\n        VARIANT \"ay\" {\n                ARRAY \"y\" {\n" +
			"                        BYTE 174;\n                        BYTE 220;\n                        BYTE 0;\n                };\n        };\n};\n\n"},
		{"json ay", JSONVariant(invocation).Format(false), `{"type":"ay","data":[174,220,0]}` + "\n"},
		{"json ay in a variant", JSONMessage([]Value{variant(invocation)}).Format(false), `{"type":"v","data":[{"type":"ay","data":[174,220,0]}]}` + "\n"},
		{"json pretty ay", JSONVariant(invocation).Format(true), "{\n\t\"type\" : \"ay\",\n\t\"data\" : [\n\t\t174,\n\t\t220,\n\t\t0\n\t]\n}\n"},
		{"json pretty ay empty", JSONVariant(Value{Sig: "ay", V: []byte{}}).Format(true), "{\n\t\"type\" : \"ay\",\n\t\"data\" : []\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", tt.got, tt.want)
			}
		})
	}
}

func TestDumpMessage(t *testing.T) {
	at := time.Date(2026, 11, 30, 6, 47, 59, 416109000, time.UTC)
	tests := []struct {
		name string
		m    *Message
		want string
	}{
		{"hello", &Message{Order: 'l', Type: TypeMethodCall, Version: 1, Serial: 1, Sender: ":1.127", Destination: "org.freedesktop.DBus",
			Path: "/org/freedesktop/DBus", Interface: "org.freedesktop.DBus", Member: "Hello"},
			`‣ Type=method_call  Endian=l  Flags=0  Version=1 Cookie=1  Timestamp="Mon 2026-11-30 06:47:59.416109 UTC"
  Sender=:1.127  Destination=org.freedesktop.DBus  Path=/org/freedesktop/DBus  Interface=org.freedesktop.DBus  Member=Hello
  UniqueName=:1.127
  MESSAGE "" {
  };

`},
		{"reply from the bus", &Message{Order: 'l', Type: TypeMethodReturn, Flags: 1, Version: 1, Serial: 0xffffffff, ReplySerial: 1,
			Sender: "org.freedesktop.DBus", Destination: ":1.127", Signature: "s", Body: []Value{Str(":1.127")}},
			`‣ Type=method_return  Endian=l  Flags=1  Version=1 Cookie=-1  ReplyCookie=1  Timestamp="Mon 2026-11-30 06:47:59.416109 UTC"
  Sender=org.freedesktop.DBus  Destination=:1.127
  MESSAGE "s" {
          STRING ":1.127";
  };

`},
		{"error", &Message{Order: 'l', Type: TypeError, Flags: 1, Version: 1, Serial: 111, ReplySerial: 11, Sender: ":1.1", Destination: ":1.2",
			ErrorName: "org.freedesktop.systemd1.NoSuchUnit", Signature: "s", Body: []Value{Str("Unit rbmissing.service not found.")}},
			`‣ Type=error  Endian=l  Flags=1  Version=1 Cookie=111  ReplyCookie=11  Timestamp="Mon 2026-11-30 06:47:59.416109 UTC"
  Sender=:1.1  Destination=:1.2
  ErrorName=org.freedesktop.systemd1.NoSuchUnit  ErrorMessage="Unit rbmissing.service not found."
  UniqueName=:1.1
  MESSAGE "s" {
          STRING "Unit rbmissing.service not found.";
  };

`},
		{"forged lines stay on one", &Message{Order: 'l', Type: TypeSignal, Version: 1, Serial: 2, Sender: ":1.9", Path: "/x",
			Interface: "a.b", Member: "S", Signature: "s", Body: []Value{Str("x\n‣ Type=method_call\x1b[2J")}},
			`‣ Type=signal  Endian=l  Flags=0  Version=1 Cookie=2  Timestamp="Mon 2026-11-30 06:47:59.416109 UTC"
  Sender=:1.9  Path=/x  Interface=a.b  Member=S
  UniqueName=:1.9
  MESSAGE "s" {
          STRING "x\x0a‣ Type=method_call\x1b[2J";
  };

`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DumpMessage(tt.m, at); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestTableAndTree(t *testing.T) {
	tab := &table{header: []string{"NAME", "PID", "PROCESS", "USER", "CONNECTION", "UNIT", "SESSION", "DESCRIPTION"}, right: map[int]bool{1: true}}
	tab.add(":1.0", "", "", "", "", "", "", "")
	tab.add(":1.1", "79", "systemd", "c-rba", ":1.1", "capsule@rba.service", "", "")
	tab.add("org.freedesktop.systemd1", "79", "systemd", "c-rba", ":1.1", "capsule@rba.service", "", "")
	tab.add("org.evil", "7", "x\x1b[2J\n", "", "", "", "", "")
	want := `NAME                     PID PROCESS      USER  CONNECTION UNIT                SESSION DESCRIPTION
:1.0                       - -            -     -          -                   -       -
:1.1                      79 systemd      c-rba :1.1       capsule@rba.service -       -
org.freedesktop.systemd1  79 systemd      c-rba :1.1       capsule@rba.service -       -
org.evil                   7 x\x1b[2J\x0a -     -          -                   -       -
`
	if got := tab.render(true); got != want {
		t.Errorf("table:\n%s\nwant\n%s", got, want)
	}
	paths := []string{"/", "/org", "/org/freedesktop", "/org/freedesktop/LogControl1", "/org/freedesktop/systemd1",
		"/org/freedesktop/systemd1/job", "/org/freedesktop/systemd1/unit", "/org/freedesktop/systemd1/unit/a", "/org/freedesktop/systemd1/unit/b"}
	var b strings.Builder
	printSubtree(&b, "", "/", paths)
	wantTree := `└─ /org
  └─ /org/freedesktop
    ├─ /org/freedesktop/LogControl1
    └─ /org/freedesktop/systemd1
      ├─ /org/freedesktop/systemd1/job
      └─ /org/freedesktop/systemd1/unit
        ├─ /org/freedesktop/systemd1/unit/a
        └─ /org/freedesktop/systemd1/unit/b
`
	if b.String() != wantTree {
		t.Errorf("tree:\n%s\nwant\n%s", b.String(), wantTree)
	}
}

func TestCapList(t *testing.T) {
	// InheritableCapabilities of the capsule's systemd in observed-9-bus.md.
	var m uint64
	for _, c := range []int{0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 13, 15, 18, 19, 21, 22, 23, 26, 27, 28, 29, 30, 31} {
		m |= 1 << c
	}
	want := "cap_chown cap_dac_override cap_dac_read_search \n        cap_fowner cap_fsetid cap_kill cap_setgid \n        " +
		"cap_setpcap cap_linux_immutable cap_net_bind_service cap_net_broadcast \n        cap_net_raw cap_ipc_owner cap_sys_chroot cap_sys_ptrace \n        " +
		"cap_sys_admin cap_sys_boot cap_sys_nice cap_sys_tty_config \n        cap_mknod cap_lease cap_audit_write cap_audit_control \n        cap_setfcap"
	if got := capList(m, 40); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestMonitorJSON(t *testing.T) {
	at := time.UnixMicro(1764485279416109)
	m := &Message{Order: 'l', Type: TypeError, Flags: 1, Version: 1, Serial: 3, ReplySerial: 2, Sender: "org.freedesktop.DBus",
		Destination: ":1.8", ErrorName: "org.freedesktop.DBus.Error.NameHasNoOwner", Signature: "s", Body: []Value{Str("x\x1b")}}
	want := `{"type":"error","endian":"l","flags":1,"version":1,"cookie":3,"reply_cookie":2,"timestamp-realtime":1764485279416109,` +
		`"sender":"org.freedesktop.DBus","destination":":1.8","realtime":1764485279416109,` +
		`"error_name":"org.freedesktop.DBus.Error.NameHasNoOwner","payload":{"type":"s","data":["x\u001b"]}}` + "\n"
	if got := jsonMessageHeader(m, at).Format(false); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestTableWidthBounded: a cell longer than maxColumnWidth (a name only a
// hostile broker sends) is printed whole but pads no other row to its
// width; before, one 8 MiB name in a list of 100,000 asked for 800 GB.
func TestTableWidthBounded(t *testing.T) {
	tab := &table{header: []string{"NAME", "PID"}}
	tab.add(strings.Repeat("n", 100000), "1")
	for i := 0; i < 1000; i++ {
		tab.add("a", "2")
	}
	var b strings.Builder
	if err := tab.renderTo(&b, true); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if want := "a" + strings.Repeat(" ", maxColumnWidth) + "2"; lines[2] != want {
		t.Errorf("a short row is %d bytes, want %d", len(lines[2]), len(want))
	}
	if len(lines[1]) != 100000+2 {
		t.Errorf("the long cell's row is %d bytes, want it whole", len(lines[1]))
	}
}
