package calendar

import (
	"bytes"
	"os"
	"path/filepath"
	"time"
)

// zoneinfoDir holds the tzfile(5) database, where systemd looks for a
// time zone named in an event.
const zoneinfoDir = "/usr/share/zoneinfo"

// loadZone loads a time zone named as systemd accepts it: letters,
// digits, '-', '_', '+' and single '/' separators, naming a TZif file.
func loadZone(name string) (*time.Location, bool) {
	if name == "" || name[0] == '/' {
		return nil, false
	}
	if name == "UTC" {
		return time.UTC, true
	}
	slash := false
	for i := 0; i < len(name); i++ {
		b := name[i]
		ok := b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' ||
			b == '-' || b == '_' || b == '+' || b == '/'
		if !ok || b == '/' && slash {
			return nil, false
		}
		slash = b == '/'
	}
	if slash {
		return nil, false
	}
	path := filepath.Join(zoneinfoDir, name)
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return nil, false
	}
	data, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(data, []byte("TZif")) {
		return nil, false
	}
	loc, err := time.LoadLocationFromTZData(name, data)
	if err != nil {
		return nil, false
	}
	return loc, true
}

// zoneAbbreviations returns the standard and daylight names of a zone as
// the C library sets tzname[]: the names of its latest transitions, the
// standard one for both when the zone has no daylight time.
func zoneAbbreviations(loc *time.Location) [2]string {
	var names [2]string
	t := time.Date(2037, 12, 31, 0, 0, 0, 0, time.UTC).In(loc)
	for i := 0; i < 400; i++ {
		name, _ := t.Zone()
		k := 0
		if t.IsDST() {
			k = 1
		}
		if names[k] == "" {
			names[k] = name
		}
		if names[0] != "" && names[1] != "" {
			break
		}
		start, _ := t.ZoneBounds()
		if start.IsZero() {
			break
		}
		t = start.Add(-time.Second)
	}
	if names[0] == "" {
		names[0] = names[1]
	}
	if names[1] == "" {
		names[1] = names[0]
	}
	return names
}
