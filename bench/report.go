package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
)

// nameWidth is the metric column width of the systemd table, kept so the
// two tables can be read side by side.
const nameWidth = 44

// referenceName returns the systemd table's name for metric, or "" if
// systemd has no comparable figure. The reference timed "run -t" under
// script(1), so its figure includes script's own start-up.
func referenceName(metric string) string {
	switch metric {
	case mStart:
		return "systemctl start capsule@NEW.service"
	case mStop:
		return "systemctl stop capsule@NAME.service"
	case mClean:
		return "systemctl clean --what=all capsule@NAME"
	case mWarmStart:
		return "systemctl start capsule@OLD.service (warm)"
	case mRunWait:
		return "systemd-run --capsule=N --wait true"
	case mRunPipe:
		return "systemd-run --capsule=N -P true"
	case mRunPty:
		return "script(systemd-run --capsule=N -t true)"
	case mRunNoWait:
		return "systemd-run --capsule=N true (no wait)"
	case mCapsuleState:
		return "systemctl --capsule=N is-system-running"
	case mSystemState:
		return "systemctl is-system-running (system)"
	case mRSSFresh:
		return "RSS systemd --user (fresh, idle, no bus)"
	case mPSSFresh:
		return "PSS systemd --user (fresh, idle, no bus)"
	case mRSSAfter:
		return "RSS systemd --user (after runs)"
	case mPSSAfter:
		return "PSS systemd --user (after runs)"
	case mBatchStart, mBatchRSS, mBatchPSS, mBatchStop:
		return metric // same wording in both tables
	case mOneCallStart:
		return "start 20 capsules in one systemctl call"
	case mOneCallStop:
		return "stop 20 capsules in one systemctl call"
	}
	return ""
}

// printResults prints the results in the systemd table's layout.
func printResults(w io.Writer, results []result) {
	if len(results) == 0 {
		return
	}
	width := columnWidth(results)
	fmt.Fprintf(w, "%-*s %9s %9s %9s %3s %s\n", width, "metric", "median", "min", "max", "n", "unit")
	for _, r := range results {
		s := summarize(r.values)
		fmt.Fprintf(w, "%-*s %9.1f %9.1f %9.1f %3d %s\n", width, r.name, s.median, s.min, s.max, len(r.values), r.unit)
	}
}

// printComparison prints, for every metric systemd has a figure for, both
// medians and their ratio. A missing reference file only skips the table.
func printComparison(w io.Writer, results []result, path string) error {
	if len(results) == 0 {
		return nil
	}
	ref, err := readReference(path)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(w, "\n(no systemd reference table at %s; comparison skipped)\n", path)
		return nil
	}
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(results, func(r result) bool { _, ok := ref[referenceName(r.name)]; return ok }) {
		return nil
	}
	width := columnWidth(results)
	fmt.Fprintf(w, "\ncapsuled vs systemd 257 (ratio = systemd / capsuled; above 1: capsuled is faster or smaller)\n")
	fmt.Fprintf(w, "%-*s %9s %9s %7s %s\n", width, "metric", "capsuled", "systemd", "ratio", "unit")
	for _, r := range results {
		sd, ok := ref[referenceName(r.name)]
		if !ok {
			continue
		}
		cd := summarize(r.values).median
		fmt.Fprintf(w, "%-*s %9.1f %9.1f %7s %s\n", width, r.name, cd, sd, ratio(sd, cd), r.unit)
	}
	return nil
}

func ratio(systemd, capsuled float64) string {
	if capsuled == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", systemd/capsuled)
}

func columnWidth(results []result) int {
	width := nameWidth
	for _, r := range results {
		width = max(width, len(r.name))
	}
	return width
}

// readReference returns the medians of a table in printResults' layout,
// by metric name. Lines that do not end in the five figure columns, such
// as the header, are skipped.
func readReference(path string) (map[string]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read reference: %w", err)
	}
	defer f.Close()
	medians := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 {
			continue
		}
		figures := fields[len(fields)-5:]
		median, err := strconv.ParseFloat(figures[0], 64)
		if err != nil {
			continue
		}
		medians[strings.Join(fields[:len(fields)-5], " ")] = median
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read reference %s: %w", path, err)
	}
	return medians, nil
}

// slowerLimit is how much slower (or larger) than the base a current row
// may be before printAB flags it.
const slowerLimit = 1.15

// abRow is one metric's samples in the base and the current build.
type abRow struct {
	name, unit    string
	base, current []float64
}

func (r abRow) hasBase() bool    { return len(r.base) > 0 }
func (r abRow) hasCurrent() bool { return len(r.current) > 0 }

func median(values []float64) float64 { return summarize(values).median }

// abRows pairs the metrics of both builds by name, in the current
// build's order, with those only the base has at the end.
func abRows(base, current []result) []abRow {
	var rows []abRow
	index := map[string]int{}
	for _, r := range current {
		index[r.name] = len(rows)
		rows = append(rows, abRow{name: r.name, unit: r.unit, current: r.values})
	}
	for _, r := range base {
		i, ok := index[r.name]
		if !ok {
			i = len(rows)
			rows = append(rows, abRow{name: r.name, unit: r.unit})
		}
		rows[i].base = r.values
	}
	return rows
}

// flag marks a row whose current median is more than slowerLimit times
// the base's. Every metric here is better lower: times, memory, counts of
// threads, descriptors and lost starts, CPU shares.
func (r abRow) flag() string {
	if !r.hasBase() || !r.hasCurrent() {
		return ""
	}
	b, c := median(r.base), median(r.current)
	// base 0 (no lost starts) flags any current figure above it.
	if c > 0 && (b == 0 || c/b > slowerLimit) {
		if r.unit == "ms" {
			return "SLOWER"
		}
		return "LARGER"
	}
	return ""
}

// printAB prints both builds' medians side by side with the ratio
// current / base, flagging rows where the current build is worse by more
// than 15%, and the Mann-Whitney p-value of the difference (small: not
// noise) where both have enough samples.
func printAB(w io.Writer, base, current *bench) {
	rows := abRows(base.results, current.results)
	if len(rows) == 0 {
		return
	}
	width := max(columnWidth(base.results), columnWidth(current.results))
	fmt.Fprintf(w, "current (%s) vs %s (%s)\n", current.bin, base.label, base.bin)
	fmt.Fprintf(w, "ratio = current / base; flagged above %.2f: current more than %.0f%% slower or larger;\n",
		slowerLimit, (slowerLimit-1)*100)
	fmt.Fprintf(w, "p = two-sided Mann-Whitney p-value of the difference (below 0.05: unlikely to be noise)\n")
	fmt.Fprintf(w, "%-*s %9s %9s %7s %3s %6s %-5s %s\n", width, "metric", "base", "current", "ratio", "n", "p", "unit", "flag")
	flagged := 0
	for _, r := range rows {
		fmt.Fprintf(w, "%-*s %9s %9s %7s %3d %6s %-5s %s\n", width, r.name, figure(r.base), figure(r.current),
			abRatio(r), min(len(r.base), len(r.current)), pValue(r), r.unit, r.flag())
		if r.flag() != "" {
			flagged++
		}
	}
	fmt.Fprintf(w, "%d of %d rows flagged\n", flagged, len(rows))
}

func figure(values []float64) string {
	if len(values) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", median(values))
}

func abRatio(r abRow) string {
	if !r.hasBase() || !r.hasCurrent() || median(r.base) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", median(r.current)/median(r.base))
}

func pValue(r abRow) string {
	if len(r.base) < minSamplesForP || len(r.current) < minSamplesForP {
		return "-"
	}
	return fmt.Sprintf("%.3f", mannWhitneyP(r.base, r.current))
}
