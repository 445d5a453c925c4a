package main

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
)

// mix is the share of each kind of check, in parts of 100.
var mix = [numKinds]int{
	kindAnchor: 30, kindRotating: 20, kindExpired: 10,
	kindRandomKid: 15, kindTampered: 15, kindMissing: 10,
}

// load is the traffic of one run.
type load struct {
	client   authv3.AuthorizationClient
	toks     *tokens
	idp      *idp
	workers  int
	rate     float64       // checks per second, all workers together
	maxCalls int64         // bound on checks sent, whatever the time
	deadline time.Duration // per check, like Envoy's ext_authz timeout
	flapFrom time.Time     // start of the flapping phase
}

// run sends checks until ctx ends or maxCalls are sent, and returns the
// merged tally.
func (l *load) run(ctx context.Context) *tally {
	var sent atomic.Int64
	tallies := make([]*tally, l.workers)
	var wg sync.WaitGroup
	for i := range l.workers {
		tallies[i] = newTally()
		wg.Go(func() { l.work(ctx, &sent, tallies[i]) })
	}
	wg.Wait()
	total := newTally()
	for _, t := range tallies {
		total.merge(t)
	}
	return total
}

// work is one worker: a check per tick of its share of the rate.
func (l *load) work(ctx context.Context, sent *atomic.Int64, t *tally) {
	rnd := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	tick := time.NewTicker(time.Duration(float64(l.workers) / l.rate * float64(time.Second)))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if sent.Add(1) > l.maxCalls {
			return
		}
		l.one(pickKind(rnd), rnd, t)
	}
}

// pickKind draws a kind by mix.
func pickKind(rnd *rand.Rand) kind {
	n := rnd.IntN(100)
	for k, w := range mix {
		if n < w {
			return kind(k)
		}
		n -= w
	}
	return kindAnchor
}

// one sends one check of kind k and records its verdict in t. The check
// has its own deadline, not the run's: one sent just before the end of the
// run still gets its full time to answer.
func (l *load) one(k kind, rnd *rand.Rand, t *tally) {
	raw, kid, err := l.toks.pick(k, rnd)
	if err != nil {
		t.unsent++
		t.example("minting a token failed: " + err.Error())
		return
	}
	mode := l.idp.current()
	start := time.Now()
	c := l.check(k, raw)
	if k == kindRotating {
		c.keyKnowable = l.idp.knowable(kid, start)
	}
	ph := phaseSteady
	if !start.Before(l.flapFrom) {
		ph = phaseFlapping
	}
	v, why := judge(c, l.deadline)
	t.add(c, start, ph, v, why, mode.String())
}

// check sends one CheckRequest carrying raw (none when empty).
func (l *load) check(k kind, raw string) call {
	headers := map[string]string{"x-soak": "1"}
	if raw != "" {
		headers["authorization"] = "Bearer " + raw
	}
	req := &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
		Request: &authv3.AttributeContext_Request{Http: &authv3.AttributeContext_HttpRequest{
			Method: "GET", Path: "/soak", Host: "soak.local", Scheme: "http", Headers: headers,
		}},
	}}
	ctx, cancel := context.WithTimeout(context.Background(), l.deadline)
	defer cancel()
	start := time.Now()
	resp, err := l.client.Check(ctx, req)
	c := call{kind: k, err: err, took: time.Since(start)}
	if err == nil {
		c.allowed = resp.GetStatus().GetCode() == 0 && resp.GetOkResponse() != nil
		c.reason = resp.GetStatus().GetMessage()
	}
	return c
}
