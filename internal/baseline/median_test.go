package baseline

import "testing"

func TestMedian(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    []float64
		want float64
	}{
		{"none", nil, 0},
		{"one", []float64{0.8}, 0.8},
		{"two: their mean, not the better", []float64{0.93, 0.87}, 0.9},
		{"three, unsorted", []float64{1.2, 0.7, 0.9}, 0.9},
		{"four", []float64{4, 1, 3, 2}, 2.5},
		{"repeated", []float64{2, 2, 1}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Median(tt.v); got < tt.want-1e-9 || got > tt.want+1e-9 {
				t.Errorf("Median(%v) = %v, want %v", tt.v, got, tt.want)
			}
		})
	}
}
