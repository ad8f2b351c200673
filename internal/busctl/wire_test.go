package busctl

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		sig   string
		words []string
		want  string // Signature + FormatCmdline of the result, or the error
		rest  int
	}{
		{"s", []string{"x"}, `s "x"`, 0},
		{"ss", []string{"org.freedesktop.systemd1.Manager", "Version"}, `ss "org.freedesktop.systemd1.Manager" "Version"`, 0},
		{"as", []string{"2", "a", "b", "extra"}, `as 2 "a" "b"`, 1},
		{"a{sv}", []string{"1", "k", "u", "5"}, `a{sv} 1 "k" u 5`, 0},
		{"(ib)a(sb)", []string{"-3", "yes", "1", "x", "off"}, `(ib)a(sb) -3 true 1 "x" false`, 0},
		{"v", []string{"as", "1", "z"}, `v as 1 "z"`, 0},
		{"yqtd", []string{"255", "0x10", "18446744073709551615", "2.5"}, `yqtd 255 16 18446744073709551615 2.5`, 0},
		{"s", nil, "Too few parameters for signature.", 0},
		{"y", []string{"256"}, "Failed to parse '256' as byte (unsigned 8-bit integer): Numerical result out of range", 0},
		{"b", []string{"maybe"}, "Failed to parse 'maybe' as boolean: Invalid argument", 0},
		{"u", []string{"x"}, "Failed to parse 'x' as unsigned 32-bit integer: Invalid argument", 0},
		{"o", []string{"not/a/path"}, "Failed to append 'not/a/path' as object path: Invalid argument", 0},
		{"h", []string{"0"}, "Passing file descriptors is not supported on a capsule's bus by capsulectl.", 0},
	}
	for _, tt := range tests {
		t.Run(tt.sig+" "+strings.Join(tt.words, " "), func(t *testing.T) {
			v, rest, err := ParseArgs(tt.sig, tt.words)
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = Signature(v) + " " + FormatCmdline(v)
			}
			if got != tt.want || err == nil && len(rest) != tt.rest {
				t.Errorf("got %q (rest %v), want %q", got, rest, tt.want)
			}
		})
	}
}

func TestMessageRoundTrip(t *testing.T) {
	v, _, err := ParseArgs("sa{sv}(ib)ayd", []string{"x", "1", "k", "as", "2", "p", "q", "-1", "true", "2", "1", "2", "0.25"})
	if err != nil {
		t.Fatal(err)
	}
	m := &Message{Type: TypeMethodCall, Serial: 7, Destination: "org.x.Y", Path: "/a/b", Interface: "org.x.Y", Member: "M", Body: v}
	raw, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got.Serial != 7 || got.Path != "/a/b" || got.Member != "M" || got.Signature != "sa{sv}(ib)ayd" || !reflect.DeepEqual(got.Body, v) {
		t.Errorf("round trip: %+v", got)
	}
	// Hostile input never panics: every truncation and a few corruptions fail cleanly.
	for i := range raw {
		if _, err := ParseMessage(raw[:i]); err == nil && i < len(raw) {
			t.Errorf("truncated at %d parsed", i)
		}
		c := append([]byte(nil), raw...)
		c[i] ^= 0xff
		_, _ = ParseMessage(c)
	}
}

func TestPcap(t *testing.T) {
	// The section header busctl 257 wrote (observed-9-bus.md): pcapng,
	// shb_os and shb_userappl options, then one D-Bus interface, snaplen 4096.
	h := PcapHeader(4096, "Debian GNU/Linux 13 (trixie)", "busctl (systemd) 257.13 (Git 257.13-1~deb13u1)")
	want := "0a0d0d0a740000004d3c2b1a01000000ffffffffffffffff03001c00"
	if got := hex.EncodeToString(h[:28]); got != want {
		t.Errorf("section header %s, want %s", got, want)
	}
	if len(h) != 116+20 || hex.EncodeToString(h[116:]) != "0100000014000000e700000000100000"+"14000000" {
		t.Errorf("interface block %x (len %d)", h[116:], len(h))
	}
	f := PcapFrame(make([]byte, 144), 4096, time.UnixMicro(0x0006617800000000|0xcaa88cca))
	if got := hex.EncodeToString(f[:28]); got != "06000000b00000000000000078610600ca8ca8ca9000000090000000" {
		t.Errorf("packet block %s", got)
	}
	if len(PcapFrame(make([]byte, 5000), 4096, time.Now())) != 28+4096+4 {
		t.Error("snaplen not applied")
	}
}

func TestPinSocket(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	const capsuleID, other = 61999, 61998
	tests := []struct {
		name  string
		setup func(dir string) // dir: the capsule's runtime directory
		want  error
	}{
		{"socket of the capsule", func(d string) { mksock(t, d+"/bus", capsuleID) }, nil},
		{"missing", func(string) {}, unix.ENOENT},
		{"symlink the capsule planted", func(d string) {
			mksock(t, d+"/real", capsuleID)
			must(t, os.Symlink(d+"/real", d+"/bus"))
			must(t, os.Lchown(d+"/bus", capsuleID, capsuleID))
		}, unix.EREMCHG},
		{"symlink owned by root", func(d string) {
			mksock(t, d+"/real", capsuleID)
			must(t, os.Symlink(d+"/real", d+"/bus"))
		}, unix.ENOLINK},
		{"socket of another user", func(d string) { mksock(t, d+"/bus", other) }, unix.ENOLINK},
		{"socket of root", func(d string) { mksock(t, d+"/bus", 0) }, unix.ENOLINK},
		{"directory and socket of a system user", func(d string) {
			mksock(t, d+"/bus", 1)
			must(t, os.Chown(d, 1, 1))
		}, unix.EPERM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "cap")
			must(t, os.Mkdir(dir, 0o755))
			must(t, os.Chown(dir, capsuleID, capsuleID))
			tt.setup(dir)
			s, err := PinSocket(dir + "/bus")
			if err == nil {
				defer s.Close()
				if s.UID != capsuleID || s.GID != capsuleID || !s.IsSocket() {
					t.Errorf("pinned %+v", s)
				}
			}
			if err != tt.want && !(tt.want != nil && err != nil && err.Error() == tt.want.Error()) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	if got := ErrnoText(unix.ENOLINK); got != "Link has been severed" {
		t.Errorf("ErrnoText: %q", got)
	}
}

func mksock(t *testing.T, path string, uid int) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	must(t, err)
	defer unix.Close(fd)
	must(t, unix.Bind(fd, &unix.SockaddrUnix{Name: path}))
	must(t, os.Lchown(path, uid, uid))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
