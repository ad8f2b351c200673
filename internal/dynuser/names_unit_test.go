package dynuser

import "testing"

// Names systemd 257 gave DynamicUser= units without User=.
func TestUnitUserName(t *testing.T) {
	for prefix, want := range map[string]string{
		"ex-dyn": "ex-dyn",
		"ex.dyn": "_du6100dce11d4922f9",
	} {
		if got := UnitUserName(prefix); got != want {
			t.Errorf("%s: %s, want %s", prefix, got, want)
		}
	}
}
