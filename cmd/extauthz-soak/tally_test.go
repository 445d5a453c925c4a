package main

import (
	"context"
	"testing"
	"time"
)

func TestTallySettle(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tl := newTally()
	slow := call{kind: kindRandomKid, err: context.DeadlineExceeded, took: 300 * time.Millisecond}
	for _, start := range []time.Time{t0, t0.Add(time.Second)} {
		v, why := judge(slow, 250*time.Millisecond)
		tl.add(slow, start, phaseFlapping, v, why, "hang")
	}
	if sum(tl.hangs) != 0 || len(tl.late) != 2 {
		t.Fatalf("before settle: hangs %v, late %d; want none counted, 2 set aside",
			tl.hangs, len(tl.late))
	}
	// The soak stalled during the first call only.
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	tl.settle(&stalls{seen: []span{{ms(100), ms(200)}}})
	if tl.stalled[kindRandomKid] != 1 || tl.hangs[kindRandomKid] != 1 || len(tl.examples) != 1 {
		t.Errorf("after settle: stalled %v, hangs %v, examples %q; want 1, 1, 1",
			tl.stalled, tl.hangs, tl.examples)
	}
}
