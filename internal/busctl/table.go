package busctl

import (
	"strings"
	"unicode/utf8"

	"github.com/capsuled/capsuled/internal/escape"
)

// table prints columns as systemd's table does without a terminal:
// each as wide as its widest cell, one space apart, the last one not
// padded; empty cells show "-". Cells are escaped before they are
// measured, so a capsule's control characters neither reach the terminal
// nor shift the columns.
type table struct {
	header []string
	right  map[int]bool
	rows   [][]string
}

func (t *table) add(cells ...string) {
	for i, c := range cells {
		if c == "" {
			c = "-"
		}
		cells[i] = escape.Text(c)
	}
	t.rows = append(t.rows, cells)
}

func (t *table) render(legend bool) string {
	rows := t.rows
	if legend {
		rows = append([][]string{t.header}, rows...)
	}
	width := make([]int, len(t.header))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			if i > 0 {
				line.WriteByte(' ')
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			switch {
			case t.right[i]:
				line.WriteString(pad + c)
			case i == len(r)-1:
				line.WriteString(c)
			default:
				line.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	return b.String()
}
