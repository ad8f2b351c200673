package cli

import (
	"fmt"
	"io"
	"strings"
)

// printListTable prints a systemctl list-* table: a space between columns,
// each as wide as its widest cell, the last unpadded; the columns right
// holds are aligned right. Without legend (--no-legend) the header is left
// out and does not count for the widths. Cells must already be printable.
func printListTable(w io.Writer, header []string, rows [][]string, right map[int]bool, legend bool) {
	cells := rows
	if legend {
		cells = append([][]string{header}, rows...)
	}
	width := make([]int, len(header))
	for _, row := range cells {
		for i, c := range row {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	for _, row := range cells {
		b.Reset()
		for i, c := range row {
			switch {
			case i == len(row)-1:
				b.WriteString(c)
			case right[i]:
				fmt.Fprintf(&b, "%*s ", width[i], c)
			default:
				fmt.Fprintf(&b, "%-*s ", width[i], c)
			}
		}
		fmt.Fprintln(w, b.String())
	}
}
