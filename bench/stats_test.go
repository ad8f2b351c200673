package main

import (
	"math"
	"testing"
)

func TestMannWhitneyP(t *testing.T) {
	tests := []struct {
		name string
		a, b []float64
		want float64
	}{
		// U = 0, mu = 12.5, sigma = sqrt(25*11/12): z = 12/4.787.
		{"apart", []float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, 0.01218},
		{"apart, other way", []float64{6, 7, 8, 9, 10}, []float64{1, 2, 3, 4, 5}, 0.01218},
		{"identical", []float64{3, 3, 3, 3, 3}, []float64{3, 3, 3, 3, 3}, 1},
		// U = 10: z = 2/4.787.
		{"interleaved", []float64{1, 3, 5, 7, 9}, []float64{2, 4, 6, 8, 10}, 0.6761},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mannWhitneyP(tt.a, tt.b); math.Abs(got-tt.want) > 1e-3 {
				t.Errorf("mannWhitneyP = %.5f, want %.5f", got, tt.want)
			}
		})
	}
}
