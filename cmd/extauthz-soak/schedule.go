package main

import (
	"context"
	"fmt"
	"time"
)

// step is one stretch of the flapping phase.
type step struct {
	mode   mode
	rotate bool // publish a new rotating key (and withdraw the oldest) first
}

// flapCycle is the flapping phase's schedule, repeated while time remains.
// Rotations happen while the provider is up, as they do in practice; the
// faults after them test that a key learnt once survives provider failures.
var flapCycle = []step{
	{mode: modeStatus},
	{mode: modeOK, rotate: true},
	{mode: modeGarbage},
	{mode: modeOK},
	{mode: modeHang},
	{mode: modeOK, rotate: true},
	{mode: modeDrop},
	{mode: modeOK},
}

// minStep is the shortest step: a fault shorter than min_refresh_interval
// could pass without the service ever meeting it.
const minStep = 1200 * time.Millisecond

// stepLength divides the flapping phase into one cycle of steps, or into
// steps of minStep when the phase is too short for that.
func stepLength(flapping time.Duration) time.Duration {
	return max(flapping/time.Duration(len(flapCycle)), minStep)
}

// flap drives the provider through flapCycle from start, one step every
// length, until ctx ends; then it revives the provider. onStep reports each
// step. It returns the first error in rotating keys.
func flap(ctx context.Context, p *idp, toks *tokens, start time.Time, length time.Duration,
	onStep func(string)) error {
	defer p.setMode(modeOK)
	timer := time.NewTimer(time.Until(start))
	defer timer.Stop()
	rotations := 0
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		st := flapCycle[i%len(flapCycle)]
		if st.rotate {
			rotations++
			alg := []string{"RS256", "ES256"}[rotations%2]
			s, err := newSigner(fmt.Sprintf("rotating%d", rotations), alg)
			if err != nil {
				return err
			}
			// Publish before signing with it, as a provider must.
			if err := p.rotate(s); err != nil {
				return err
			}
			if err := toks.setRotating(s); err != nil {
				return err
			}
		}
		p.setMode(st.mode)
		onStep(stepName(st))
		timer.Reset(time.Until(start.Add(time.Duration(i+1) * length)))
	}
}

// stepName names a step for the log.
func stepName(st step) string {
	if st.rotate {
		return "rotate"
	}
	if st.mode == modeOK {
		return "revive"
	}
	return st.mode.String()
}
