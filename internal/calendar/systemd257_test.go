package calendar

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSystemd257Table checks every row of testdata/systemd257.tsv, made
// by testdata/gen.py from systemd 257's systemd-analyze calendar: the
// normalized form, the next 5 elapses from the base time (whole seconds,
// as systemd prints them), or the rejection or failure and its errno text.
func TestSystemd257Table(t *testing.T) {
	f, err := os.Open("testdata/systemd257.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	rows, bad := 0, 0
	for sc.Scan() {
		rows++
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) < 5 {
			t.Fatalf("line %d: short row %q", rows, sc.Text())
		}
		tz, baseStr, expr, kind := fields[0], fields[1], fields[2], fields[3]
		local, ok := loadZone(tz)
		if !ok {
			t.Fatalf("line %d: zone %s", rows, tz)
		}
		base, _ := strconv.ParseInt(baseStr, 10, 64)
		got := describe(expr, local, base)
		want := strings.Join(fields[3:], "\t")
		if kind == "err" {
			want = "err\t" + fields[4]
		}
		if got != want {
			bad++
			t.Errorf("line %d TZ=%s base=@%d %q:\n got %s\nwant %s", rows, tz, base, expr, got, want)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if rows < 300 {
		t.Fatalf("only %d rows", rows)
	}
	t.Logf("%d rows, %d differ", rows, bad)
}

// describe renders what the table holds for one expression.
func describe(expr string, local *time.Location, base int64) string {
	sp, err := ParseInLocation(expr, local)
	if err != nil {
		e := err.(*Error)
		return fmt.Sprintf("err\tFailed to parse calendar specification '%s': %s", expr, e.Strerror())
	}
	out := []string{"ok", sp.String()}
	at := time.Unix(base, 0)
	for i := 0; i < 5; i++ {
		n, err := sp.NextElapse(at)
		if errors.Is(err, ErrNever) {
			break
		}
		if err != nil {
			return fmt.Sprintf("err\tFailed to determine next elapse for '%s': %s", expr, err.(*Error).Strerror())
		}
		out = append(out, strconv.FormatInt(n.Unix(), 10))
		at = n
	}
	return strings.Join(out, "\t")
}
