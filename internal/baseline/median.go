package baseline

import "slices"

// Median is the figure reported of ratios measured alternately with a
// baseline: the middle one, or the mean of the two middle ones when the
// count is even, so that neither the best nor the worst of two rounds is
// reported as their median. It is 0 for no values.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(v))
	mid := len(s) / 2
	if len(s)%2 == 0 {
		return (s[mid-1] + s[mid]) / 2
	}
	return s[mid]
}
