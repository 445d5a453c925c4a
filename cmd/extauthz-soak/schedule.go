package main

import (
	"context"
	"fmt"
	"time"

	"github.com/extauthz/extauthz/internal/devidp"
)

// step is one change of the provider's behaviour.
type step struct {
	at     time.Duration // from the start of the run
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

// plan returns the provider's schedule for a run of length d. The first
// third is the steady phase: the provider stays up, and rotates once in the
// middle, where no failure can have slowed the service's refreshes, so the
// new key must be learnt within the judge's strict window. The rest is the
// flapping phase: flapCycle, spread over it once, or repeated in steps of
// minStep when it is too short for that.
func plan(d time.Duration) []step {
	steps := []step{{at: d / 6, mode: modeOK, rotate: true}}
	from := d / 3
	length := max((d-from)/time.Duration(len(flapCycle)), minStep)
	for i := 0; from+time.Duration(i)*length < d; i++ {
		st := flapCycle[i%len(flapCycle)]
		st.at = from + time.Duration(i)*length
		steps = append(steps, st)
	}
	return steps
}

// flap drives the provider through steps, timed from start, until they are
// done or ctx ends; then it revives the provider. onStep reports each step.
// It returns the first error in rotating keys.
func flap(ctx context.Context, p *idp, toks *tokens, start time.Time, steps []step,
	onStep func(step)) error {
	defer p.setMode(modeOK)
	timer := time.NewTimer(0)
	defer timer.Stop()
	rotations := 0
	for _, st := range steps {
		timer.Reset(time.Until(start.Add(st.at)))
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		if ctx.Err() != nil {
			return nil // both were ready after a stall: the run is over
		}
		if st.rotate {
			rotations++
			alg := []string{"ES256", "RS256"}[rotations%2]
			s, err := devidp.NewSigner(fmt.Sprintf("rotating%d", rotations), alg)
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
		onStep(st)
	}
	return nil
}

// String names a step for the log.
func (st step) String() string {
	if st.rotate {
		return "rotate"
	}
	if st.mode == modeOK {
		return "revive"
	}
	return st.mode.String()
}
