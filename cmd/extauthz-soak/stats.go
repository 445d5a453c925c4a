package main

import (
	"fmt"
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
	rank := int(p / 100 * float64(len(s)))
	if float64(rank) < p/100*float64(len(s)) {
		rank++
	}
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

// tally accumulates one worker's results; workers merge theirs at the end.
type tally struct {
	sent, allowed, wrong, hangs, stalled [numKinds]int
	errs                                 int            // RPC errors, hangs included
	denials                              map[string]int // deny reason -> count
	latency                              [numPhases][]time.Duration
	examples                             []string // the first few wrong calls, without tokens
}

// maxExamples bounds how many wrong calls are described in the report.
const maxExamples = 10

func newTally() *tally { return &tally{denials: make(map[string]int)} }

// add records c, which was judged v for why, sent during ph.
func (t *tally) add(c call, ph phase, v verdict, why, idpMode string) {
	k := c.kind
	t.sent[k]++
	switch {
	case c.err != nil:
		t.errs++
	case c.allowed:
		t.allowed[k]++
	default:
		t.denials[c.reason]++
	}
	if k.valid() {
		t.latency[ph] = append(t.latency[ph], c.took)
	}
	switch v {
	case wrong:
		t.wrong[k]++
	case hang:
		t.hangs[k]++
	case stalled:
		t.stalled[k]++
	}
	if (v == wrong || v == hang) && len(t.examples) < maxExamples {
		t.examples = append(t.examples, fmt.Sprintf("%s token, %s phase, provider %s: %s (took %s)",
			k, ph, idpMode, why, c.took.Round(time.Microsecond)))
	}
}

// merge adds o into t.
func (t *tally) merge(o *tally) {
	for k := range numKinds {
		t.sent[k] += o.sent[k]
		t.allowed[k] += o.allowed[k]
		t.wrong[k] += o.wrong[k]
		t.hangs[k] += o.hangs[k]
		t.stalled[k] += o.stalled[k]
	}
	t.errs += o.errs
	for r, n := range o.denials {
		t.denials[r] += n
	}
	for ph := range numPhases {
		t.latency[ph] = append(t.latency[ph], o.latency[ph]...)
	}
	for _, e := range o.examples {
		if len(t.examples) < maxExamples {
			t.examples = append(t.examples, e)
		}
	}
}

// sum adds up per-kind counts.
func sum(c [numKinds]int) int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}
