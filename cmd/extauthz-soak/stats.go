package main

import (
	"math"
	"slices"
	"time"
)

// percentile returns the p-th percentile (0 < p <= 100) of ds by the
// nearest-rank method, or 0 for no samples. ds is not modified.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	// Nearest rank: the smallest value with at least p% of samples at or
	// below it, i.e. index ceil(p/100*n)-1.
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[max(rank-1, 0)]
}

// phase is a part of the run: steady provider, then flapping provider.
type phase int

const (
	phaseSteady phase = iota
	phaseFlapping
	numPhases
)

var phaseNames = [numPhases]string{"steady", "flapping"}

func (p phase) String() string { return phaseNames[p] }
