package busctl

import (
	"bufio"
	"io"
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

// maxColumnWidth bounds how wide one cell can make its column: a longer
// cell (a name only a hostile broker sends) is printed whole but does not
// pad every other row to its width.
const maxColumnWidth = 256

func (t *table) render(legend bool) string {
	var b strings.Builder
	t.renderTo(&b, legend)
	return b.String()
}

// renderTo writes the table row by row, so what is printed is never held
// whole.
func (t *table) renderTo(w io.Writer, legend bool) error {
	rows := t.rows
	if legend {
		rows = append([][]string{t.header}, rows...)
	}
	width := make([]int, len(t.header))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], min(utf8.RuneCountInString(c), maxColumnWidth))
		}
	}
	bw := bufio.NewWriter(w)
	var line strings.Builder
	for _, r := range rows {
		line.Reset()
		for i, c := range r {
			if i > 0 {
				line.WriteByte(' ')
			}
			pad := strings.Repeat(" ", max(width[i]-utf8.RuneCountInString(c), 0))
			switch {
			case t.right[i]:
				line.WriteString(pad + c)
			case i == len(r)-1:
				line.WriteString(c)
			default:
				line.WriteString(c + pad)
			}
		}
		bw.WriteString(strings.TrimRight(line.String(), " "))
		if err := bw.WriteByte('\n'); err != nil {
			return err
		}
	}
	return bw.Flush()
}
