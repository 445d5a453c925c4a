package jwks

import (
	"context"
	"time"

	"github.com/extauthz/extauthz/metrics"
)

// owner is the state of the Run goroutine. Only that goroutine touches it;
// requests see the keys through Cache.snap and reach the owner through
// Cache.asks.
type owner struct {
	c *Cache

	set        *Set       // last good keys, maybe stale; nil when none
	uri        string     // the JWKS URL set came from
	validators validators // of set, for conditional requests
	body       []byte     // set as fetched, for the cache directory
	skipped    string     // skipped keys last logged, to log each change once
	ready      bool       // Ready's answer last reported
	saveFailed bool       // the last save to the cache directory failed

	failures int           // consecutive failed fetches
	delay    time.Duration // backoff delay after the last failure
	lastEnd  time.Time     // end of the latest fetch; zero before any
	next     time.Time     // when the next scheduled or retry fetch is due

	cancel  context.CancelFunc // cancels the fetch in flight; nil when none is
	waiters []ask              // asks answered when the fetch in flight ends
	results chan refreshResult // the fetch goroutine's result; room for one
}

// Run is the owner goroutine: it fetches at once, refreshes in the
// background before the keys' lifetime ends, retries with backoff after
// failures and answers refresh asks, until ctx is cancelled. Every fetch
// runs under a context derived from ctx, never a request's. Run returns only
// after the fetch it started has ended; the keys published so far stay
// readable through [Cache.Get], but misses then fail with
// [ErrKeysUnavailable]. Run must be called once; later calls return at once.
func (c *Cache) Run(ctx context.Context) {
	if c.ran.Swap(true) {
		return
	}
	defer close(c.done)
	defer c.fetch.close()
	o := &owner{c: c, results: make(chan refreshResult, 1)}
	o.restore()
	o.start(ctx)

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		o.updateReady(now)
		timer.Reset(o.wake(now))
		select {
		case <-ctx.Done():
			o.stop()
			return
		case a := <-c.asks:
			o.onAsk(ctx, a)
		case r := <-o.results:
			o.onResult(ctx, r)
		case <-timer.C:
			if !o.inflight() && !time.Now().Before(o.next) {
				o.start(ctx)
			}
		}
	}
}

// wake returns how long the owner may sleep: until the next fetch is due
// or, while ready, until the keys turn stale.
func (o *owner) wake(now time.Time) time.Duration {
	at := now.Add(time.Hour)
	if !o.inflight() {
		at = o.next
	}
	if o.ready {
		if stale := o.set.Fetched().Add(o.c.cfg.MaxStale); stale.Before(at) {
			at = stale
		}
	}
	return max(at.Sub(now), 0)
}

// start begins a fetch in a goroutine of its own. The goroutine ends when
// the fetch does; the fetch's context ends with ctx, and Run waits for the
// result before returning.
func (o *owner) start(ctx context.Context) {
	fctx, cancel := context.WithCancel(ctx)
	o.cancel = cancel
	uri, v := o.uri, o.validators
	go func() { o.results <- o.c.fetch.refresh(fctx, uri, v) }()
}

// inflight reports whether a fetch is running.
func (o *owner) inflight() bool { return o.cancel != nil }

// onAsk serves a request that missed. While a fetch is in flight the ask
// waits for it. Otherwise, within the window opened by the latest fetch, it
// is answered at once with the current keys (rate limited); after the
// window it starts a fetch. The window runs from the end of that fetch, not
// its start: a provider slower than MinRefreshInterval would otherwise see
// one fetch right after another, and every unknown kid would wait MaxWait
// instead of being refused at once. During backoff the window is the
// backoff delay when that is longer, so asks never retry faster than the
// backoff does.
func (o *owner) onAsk(ctx context.Context, a ask) {
	if o.inflight() {
		o.waiters = append(o.waiters, a)
		return
	}
	window := max(o.c.cfg.MinRefreshInterval, o.delay) // delay is 0 unless failing
	if !o.lastEnd.IsZero() && time.Now().Before(o.lastEnd.Add(window)) {
		o.c.cfg.Metrics.Refresh(o.c.cfg.Name, metrics.RefreshRateLimited, 0)
		a.reply <- o.set
		return
	}
	o.start(ctx)
	o.waiters = append(o.waiters, a)
}

// onResult takes in a finished fetch and answers the asks that waited.
func (o *owner) onResult(ctx context.Context, r refreshResult) {
	o.cancel()
	o.cancel = nil
	now := time.Now()
	o.lastEnd = now
	if ctx.Err() != nil {
		// Cancelled by shutdown: not a provider failure.
		return
	}
	switch {
	case r.err != nil:
		o.failed(now, r)
	case r.notModified:
		// The fetcher accepts a 304 only for a conditional request, and
		// validators exist only beside keys, so o.set is not nil here.
		o.confirmed(now, r, o.set.confirmedAt(now), metrics.RefreshNotModified)
	default:
		o.logChanges(r)
		o.confirmed(now, r, NewSet(r.keys, now), metrics.RefreshSuccess)
	}
	for _, a := range o.waiters {
		a.reply <- o.set
	}
	// Drop the slice, not only its length: a storm of unknown kids during a
	// hung fetch can queue many asks whose requests have long given up, and a
	// kept backing array would hold their reply channels forever.
	o.waiters = nil
}

// stop ends the fetch in flight and waits for it. The waiters need no
// answer: they also wait on Cache.done, which Run closes next.
func (o *owner) stop() {
	if o.inflight() {
		o.cancel()
		<-o.results
		o.cancel = nil
	}
}
