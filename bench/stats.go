package main

import (
	"math"
	"slices"
)

// minSamplesForP is the fewest samples per build for which mannWhitneyP
// is printed: below it the normal approximation is too rough.
const minSamplesForP = 5

// mannWhitneyP is the two-sided p-value of the Mann-Whitney U test that
// samples a and b come from the same distribution, by the normal
// approximation with tie and continuity corrections. A small p says the
// difference between two builds is unlikely to be noise; it makes no
// assumption about the shape of the distributions, which for timings
// under load are skewed. Identical samples give 1.
func mannWhitneyP(a, b []float64) float64 {
	n1, n2 := float64(len(a)), float64(len(b))
	type obs struct {
		v     float64
		fromA bool
	}
	all := make([]obs, 0, len(a)+len(b))
	for _, v := range a {
		all = append(all, obs{v, true})
	}
	for _, v := range b {
		all = append(all, obs{v, false})
	}
	slices.SortFunc(all, func(x, y obs) int {
		switch {
		case x.v < y.v:
			return -1
		case x.v > y.v:
			return 1
		}
		return 0
	})
	// Ranks from 1, ties sharing the mean of their ranks.
	var rankA, tieSum float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		rank := float64(i+j+1) / 2
		for k := i; k < j; k++ {
			if all[k].fromA {
				rankA += rank
			}
		}
		t := float64(j - i)
		tieSum += t*t*t - t
		i = j
	}
	n := n1 + n2
	u := rankA - n1*(n1+1)/2
	mu := n1 * n2 / 2
	sigma := math.Sqrt(n1 * n2 / 12 * ((n + 1) - tieSum/(n*(n-1))))
	if sigma == 0 {
		return 1
	}
	d := math.Abs(u-mu) - 0.5
	if d < 0 {
		d = 0
	}
	return math.Erfc(d / sigma / math.Sqrt2)
}
