package main

import (
	"context"
	"sync"
	"time"
)

// Stall detection. The soak shares its machine with the service and, in
// development, with other work; when the machine is overloaded every
// process stops for a while, and checks miss their deadline without the
// service being at fault. The soak watches its own scheduling: a ticker
// goroutine that runs late by stallThreshold or more marks a stall. A check
// that missed its deadline while the soak itself was stalled is reported as
// "stalled" rather than as a hang. A real hang (a check waiting on a hung
// provider) still shows: it happens on every affected check of a fault step,
// not only on those that meet a stall.
const (
	stallTick      = 2 * time.Millisecond
	stallThreshold = 20 * time.Millisecond
)

// stalls records when the soak process could not run.
type stalls struct {
	mu   sync.Mutex // guards seen
	seen []span
}

// span is an interval of time.
type span struct{ from, to time.Time }

// watch records stalls until ctx ends.
func (s *stalls) watch(ctx context.Context) {
	tick := time.NewTicker(stallTick)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			// Not the tick's value: that says when the tick was due, not
			// when this goroutine got to run.
			now := time.Now()
			if now.Sub(last) >= stallThreshold {
				s.mu.Lock()
				s.seen = append(s.seen, span{last, now})
				s.mu.Unlock()
			}
			last = now
		}
	}
}

// during reports whether a stall overlapped [from, to].
func (s *stalls) during(from, to time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sp := range s.seen {
		if sp.from.Before(to) && sp.to.After(from) {
			return true
		}
	}
	return false
}

// total returns how many stalls were seen and the longest.
func (s *stalls) total() (int, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var longest time.Duration
	for _, sp := range s.seen {
		longest = max(longest, sp.to.Sub(sp.from))
	}
	return len(s.seen), longest
}
