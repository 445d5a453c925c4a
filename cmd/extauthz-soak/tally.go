package main

import (
	"fmt"
	"time"
)

// tally accumulates one worker's results; workers merge theirs at the end.
type tally struct {
	// Counts by kind of check; errs are RPC errors, hangs included.
	sent, allowed, errs, wrong, hangs, stalled [numKinds]int

	unsent   int                        // checks whose token could not be made
	denials  map[string]int             // deny reason -> count
	latency  [numPhases][]time.Duration // of valid checks
	examples []string                   // the first few wrong calls, without tokens
	late     []late                     // hangs until settle tells them from stalls
}

// late is a call that missed its deadline.
type late struct {
	kind kind
	when span
	desc string
}

// maxExamples bounds how many wrong calls are described in the report.
const maxExamples = 10

func newTally() *tally { return &tally{denials: make(map[string]int)} }

// add records c, sent at start during ph and judged v for why. A hang is
// set aside for settle.
func (t *tally) add(c call, start time.Time, ph phase, v verdict, why, idpMode string) {
	k := c.kind
	t.sent[k]++
	switch {
	case c.err != nil:
		t.errs[k]++
	case c.allowed:
		t.allowed[k]++
	default:
		t.denials[c.reason]++
	}
	if k.valid() {
		t.latency[ph] = append(t.latency[ph], c.took)
	}
	desc := fmt.Sprintf("%s token, %s phase, provider %s: %s (took %s)",
		k, ph, idpMode, why, c.took.Round(time.Microsecond))
	switch v {
	case wrong:
		t.wrong[k]++
		t.example(desc)
	case hang:
		t.late = append(t.late, late{kind: k, when: span{start, start.Add(c.took)}, desc: desc})
	}
}

// example keeps desc if there is room.
func (t *tally) example(desc string) {
	if len(t.examples) < maxExamples {
		t.examples = append(t.examples, desc)
	}
}

// settle counts each late call as stalled when the soak process itself
// stalled during it, else as a hang. Call it once the stall watcher has
// stopped: a worker may see its late answer before the watcher, starved
// by the same stall, has recorded it.
func (t *tally) settle(s *stalls) {
	for _, l := range t.late {
		if s.during(l.when.from, l.when.to) {
			t.stalled[l.kind]++
			continue
		}
		t.hangs[l.kind]++
		t.example(l.desc)
	}
	t.late = nil
}

// merge adds o into t.
func (t *tally) merge(o *tally) {
	t.unsent += o.unsent
	for k := range numKinds {
		t.sent[k] += o.sent[k]
		t.allowed[k] += o.allowed[k]
		t.errs[k] += o.errs[k]
		t.wrong[k] += o.wrong[k]
		t.hangs[k] += o.hangs[k]
		t.stalled[k] += o.stalled[k]
	}
	for r, n := range o.denials {
		t.denials[r] += n
	}
	for ph := range numPhases {
		t.latency[ph] = append(t.latency[ph], o.latency[ph]...)
	}
	for _, e := range o.examples {
		t.example(e)
	}
	t.late = append(t.late, o.late...)
}

// sum adds up per-kind counts.
func sum(c [numKinds]int) int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}
