package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/capsuled/capsuled/internal/api"
)

// pathRow is one line of list-paths: one watched path of a path unit.
type pathRow struct {
	path, condition, name, activates string
}

// listPaths prints the watched paths of the loaded path units as
// systemctl list-paths does: one row per path condition, sorted by path;
// inactive units only with --all (failed ones always), units whose file
// is bad never.
func (c *ctl) listPaths(patterns []string) error {
	var rows []pathRow
	err := c.eachListed("path", "paths", patterns, func(name string, ps []api.Property) {
		rows = append(rows, pathRowsOf(name, ps)...)
	})
	if err != nil {
		return err
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].path != rows[j].path {
			return rows[i].path < rows[j].path
		}
		return rows[i].name < rows[j].name
	})
	if c.o.output == "json" {
		out := []map[string]string{}
		for _, r := range rows {
			out = append(out, map[string]string{"path": r.path, "condition": r.condition, "unit": r.name, "activates": r.activates})
		}
		return c.json(out)
	}
	printPaths(c.io.Stdout, rows, c.o.all, !c.o.noLegend)
	return nil
}

// pathRowsOf reads a path unit's rows from its show properties: each
// Paths= line is "PATH (CONDITION)".
func pathRowsOf(name string, ps []api.Property) []pathRow {
	activates := ""
	var specs []string
	for _, p := range ps {
		switch p.Name {
		case "Unit":
			activates = p.Value
		case "Paths":
			specs = append(specs, p.Value)
		}
	}
	var rows []pathRow
	for _, s := range specs {
		i := strings.LastIndex(s, " (")
		if i < 0 || !strings.HasSuffix(s, ")") {
			continue
		}
		rows = append(rows, pathRow{path: s[:i], condition: s[i+2 : len(s)-1], name: name, activates: activates})
	}
	return rows
}

// printPaths prints the table, columns as wide as their widest cell;
// with legend false (--no-legend) only the rows.
func printPaths(w io.Writer, rows []pathRow, all, legend bool) {
	var cells [][]string
	for _, r := range rows {
		cells = append(cells, []string{printable(r.path), printable(r.condition), printable(r.name), printable(r.activates)})
	}
	printListTable(w, []string{"PATH", "CONDITION", "UNIT", "ACTIVATES"}, cells, nil, legend)
	if !legend {
		return
	}
	fmt.Fprintf(w, "\n%d paths listed.\n", len(rows))
	if !all {
		fmt.Fprintln(w, "Pass --all to see loaded but inactive paths, too.")
	}
}
