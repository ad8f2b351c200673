package job

import (
	"fmt"
	"strings"
	"testing"
)

// graph500 is 500 units: a Requires=/After= chain, every unit also Wants= the unit
// seven ahead and is After= the one three ahead, and every tenth Conflicts= an active
// unit of its own.
func graph500(tb testing.TB) *fakeGraph {
	var b strings.Builder
	const n = 500
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "u%d", i)
		if i+1 < n {
			fmt.Fprintf(&b, " Requires=u%d After=u%d", i+1, i+1)
		}
		if i+7 < n {
			fmt.Fprintf(&b, " Wants=u%d", i+7)
		}
		if i+3 < n {
			fmt.Fprintf(&b, " After=u%d", i+3)
		}
		if i%10 == 0 {
			fmt.Fprintf(&b, " Conflicts=x%d", i)
		}
		b.WriteString("\n")
		if i%10 == 0 {
			fmt.Fprintf(&b, "x%d state=active\n", i)
		}
	}
	return newFakeGraph(tb, b.String())
}

func TestTransaction500(t *testing.T) {
	g := graph500(t)
	q := NewQueue(g, nil)
	res, err := q.Enqueue(Request{Unit: "u0", Type: Start})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Jobs) != 550 || len(res.Log) != 0 {
		t.Fatalf("%d jobs, log %q; want 500 starts and 50 stops", len(res.Jobs), res.Log)
	}
	// Only the end of the chain and the stops may run first.
	if got := jobList(q.Runnable()); !strings.HasPrefix(got, "u499/start x0/stop x10/stop") || strings.Count(got, "/start") != 1 || strings.Count(got, "/stop") != 50 {
		t.Fatalf("runnable: %s", got)
	}
}

func BenchmarkTransaction500(b *testing.B) {
	g := graph500(b)
	b.ReportAllocs()
	for b.Loop() {
		q := NewQueue(g, nil)
		if _, err := q.Enqueue(Request{Unit: "u0", Type: Start}); err != nil {
			b.Fatal(err)
		}
	}
}

// drive runs every job to its end as a manager would, each unit taking the state its
// job asks for at once, and returns the units in the order their jobs ran.
func drive(tb testing.TB, g *fakeGraph, q *Queue) []string {
	var order []string
	for {
		js := q.Runnable()
		if len(js) == 0 {
			break
		}
		for _, j := range js {
			act, _, err := q.Run(j.ID)
			if err != nil {
				continue // ordering changed since Runnable: an earlier one ran
			}
			order = append(order, j.Unit+"/"+act.String())
			in := g.info[j.Unit]
			from := in.State
			switch act {
			case Start:
				in.State = UnitActive
			case Stop:
				in.State = UnitInactive
			default:
				continue
			}
			q.UnitChanged(j.Unit, from, in.State, true)
		}
	}
	if q.Len() != 0 {
		tb.Fatalf("jobs left: %v", q.Jobs())
	}
	return order
}

func TestRun500(t *testing.T) {
	g := graph500(t)
	q := NewQueue(g, nil)
	if _, err := q.Enqueue(Request{Unit: "u0", Type: Start}); err != nil {
		t.Fatal(err)
	}
	order := drive(t, g, q)
	// The stops first (all runnable at once, by name after u499), then the chain
	// from its end.
	if len(order) != 550 || order[0] != "u499/start" || order[549] != "u0/start" || order[51] != "u498/start" {
		t.Fatalf("%d jobs ran: %v ... %v", len(order), order[:3], order[len(order)-3:])
	}
	for _, x := range order[1:51] {
		if !strings.HasPrefix(x, "x") || !strings.HasSuffix(x, "/stop") {
			t.Fatalf("expected the 50 stops after u499/start, got %s", x)
		}
	}
}

// BenchmarkRun500 runs the 550 jobs of the 500-unit transaction to their end.
func BenchmarkRun500(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		g := graph500(b)
		q := NewQueue(g, nil)
		if _, err := q.Enqueue(Request{Unit: "u0", Type: Start}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		drive(b, g, q)
	}
}
