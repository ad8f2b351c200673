package cli

import (
	"bytes"
	"testing"

	"github.com/capsuled/capsuled/internal/api"
)

// status's Listen: lines, as systemctl 257 prints them.
func TestPrintListen(t *testing.T) {
	tests := []struct {
		listen []string
		want   string
	}{
		{nil, ""},
		{[]string{"[::]:8080 (Stream)"}, "     Listen: [::]:8080 (Stream)\n"},
		{[]string{"127.0.0.1:8081 (Stream)", "route 1 (Netlink)", "/rkmq (MessageQueue)"},
			"     Listen: 127.0.0.1:8081 (Stream)\n             route 1 (Netlink)\n             /rkmq (MessageQueue)\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		printListen(&b, &api.Unit{Listen: tt.listen})
		if b.String() != tt.want {
			t.Errorf("%q:\n%q\nwant\n%q", tt.listen, b.String(), tt.want)
		}
	}
}
