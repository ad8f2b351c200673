package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/capsuled/capsuled/internal/api"
)

// socketRow is one line of list-sockets: one listener of a socket unit.
type socketRow struct {
	listen, typ, name, activates string
}

// listSockets prints the listeners of the loaded socket units as
// systemctl list-sockets does: one row per Listen*= line, sorted by
// address as systemd sorts paths; inactive units only with --all (failed
// ones always).
func (c *ctl) listSockets(patterns []string) error {
	var rows []socketRow
	err := c.eachListed("socket", "sockets", patterns, func(name string, ps []api.Property) {
		rows = append(rows, socketRowsOf(name, ps)...)
	})
	if err != nil {
		return err
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if d := comparePaths(rows[i].listen, rows[j].listen); d != 0 {
			return d < 0
		}
		return rows[i].name < rows[j].name
	})
	if c.o.output == "json" {
		out := []map[string]string{}
		for _, r := range rows {
			out = append(out, map[string]string{"listen": r.listen, "type": r.typ, "unit": r.name, "activates": r.activates})
		}
		return c.json(out)
	}
	printSockets(c.io.Stdout, rows, c.o.all, c.o.showTypes, !c.o.noLegend)
	return nil
}

// socketRowsOf reads a socket unit's rows from its show properties: each
// Listen= line is "ADDRESS (TYPE)"; ACTIVATES is what it triggers, "-" for
// nothing (an Accept=yes socket's instances are made per connection).
func socketRowsOf(name string, ps []api.Property) []socketRow {
	var triggers, specs []string
	for _, p := range ps {
		switch p.Name {
		case "Triggers":
			triggers = append(triggers, strings.Fields(p.Value)...)
		case "Listen":
			specs = append(specs, p.Value)
		}
	}
	activates := strings.Join(triggers, ", ")
	if activates == "" {
		activates = "-"
	}
	var rows []socketRow
	for _, s := range specs {
		i := strings.LastIndex(s, " (")
		if i < 0 || !strings.HasSuffix(s, ")") {
			continue
		}
		rows = append(rows, socketRow{listen: s[:i], typ: s[i+2 : len(s)-1], name: name, activates: activates})
	}
	return rows
}

// comparePaths orders as systemd's path_compare(): addresses that are not
// absolute paths first, then component by component.
func comparePaths(a, b string) int {
	absA, absB := strings.HasPrefix(a, "/"), strings.HasPrefix(b, "/")
	if absA != absB {
		if absB {
			return -1
		}
		return 1
	}
	ca, cb := strings.FieldsFunc(a, isSlash), strings.FieldsFunc(b, isSlash)
	for i := 0; i < len(ca) && i < len(cb); i++ {
		if d := strings.Compare(ca[i], cb[i]); d != 0 {
			return d
		}
	}
	return len(ca) - len(cb)
}

func isSlash(r rune) bool { return r == '/' }

// printSockets prints the table; --show-types adds the TYPE column, and
// with legend false (--no-legend) only the rows are printed.
func printSockets(w io.Writer, rows []socketRow, all, types, legend bool) {
	header := []string{"LISTEN", "UNIT", "ACTIVATES"}
	if types {
		header = []string{"LISTEN", "TYPE", "UNIT", "ACTIVATES"}
	}
	var cells [][]string
	for _, r := range rows {
		row := []string{printable(r.listen), printable(r.name), printable(r.activates)}
		if types {
			row = []string{printable(r.listen), printable(r.typ), printable(r.name), printable(r.activates)}
		}
		cells = append(cells, row)
	}
	printListTable(w, header, cells, nil, legend)
	if !legend {
		return
	}
	fmt.Fprintf(w, "\n%d sockets listed.\n", len(rows))
	if !all {
		fmt.Fprintln(w, "Pass --all to see loaded but inactive sockets, too.")
	}
}
