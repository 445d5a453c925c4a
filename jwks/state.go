package jwks

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/extauthz/extauthz/metrics"
)

// confirmed records keys the provider confirmed at now: it publishes set,
// ends any backoff, and schedules the next refresh shortly before the
// effective lifetime (the provider's, bounded by MaxStale) ends.
func (o *owner) confirmed(now time.Time, r refreshResult, set *Set, result string) {
	cfg := &o.c.cfg
	cfg.Metrics.Refresh(cfg.Name, result, r.took)
	cfg.Metrics.KeysConfirmed(cfg.Name, set.Len(), now)
	if o.failures > 0 {
		o.c.log.Info("key refresh recovered", "failures", o.failures)
	}
	if o.uri != "" && r.jwksURI != o.uri {
		o.c.log.Info("jwks_uri changed", "from", o.uri, "to", r.jwksURI)
	}
	o.failures, o.delay = 0, 0
	o.set, o.uri, o.validators = set, r.jwksURI, r.validators
	o.c.snap.Store(set)

	life := min(r.lifetime, cfg.MaxStale)
	o.next = now.Add(life - refreshLead(life))
	o.save(r)
}

// refreshLead is how long before the end of a lifetime the refresh starts:
// a tenth of it, at most a minute, so no request ever waits for it.
func refreshLead(life time.Duration) time.Duration { return min(life/10, time.Minute) }

// failed records a failed fetch: the keys stay, a retry is scheduled after
// the backoff delay.
func (o *owner) failed(now time.Time, r refreshResult) {
	cfg := &o.c.cfg
	kind := errorKind(r.err)
	cfg.Metrics.FetchError(cfg.Name, kind)
	cfg.Metrics.Refresh(cfg.Name, metrics.RefreshError, r.took)
	o.failures++
	o.delay = backoff(o.failures, cfg.BackoffInitial, cfg.BackoffMax, o.c.rand)
	o.next = now.Add(o.delay)
	level := slog.LevelDebug
	if o.failures == 1 {
		level = slog.LevelWarn // the state change: refreshes started failing
	}
	o.c.log.Log(context.Background(), level, "key refresh failing", "kind", kind, "error", r.err,
		"failures", o.failures, "keys_kept", o.set.Len(), "retry_in", o.delay.String())
}

// updateReady reports a change of Ready's answer.
func (o *owner) updateReady(now time.Time) {
	ready := o.c.usable(o.set, now) != nil
	if ready == o.ready {
		return
	}
	o.ready = ready
	cfg := &o.c.cfg
	cfg.Metrics.Ready(cfg.Name, ready)
	switch {
	case ready:
		o.c.log.Info("provider ready", "keys", o.set.Len())
	case o.set != nil:
		o.c.log.Error("keys too stale to use, provider not ready",
			"confirmed", o.set.Fetched(), "max_stale", cfg.MaxStale.String())
	}
	if cfg.OnReadyChange != nil {
		cfg.OnReadyChange(ready)
	}
}

// logChanges logs a change of the key ids and of the skipped keys.
func (o *owner) logChanges(r refreshResult) {
	before := kids(o.set.Keys())
	after := kids(r.keys)
	added, removed := 0, 0
	for id := range after {
		if !before[id] {
			added++
		}
	}
	for id := range before {
		if !after[id] {
			removed++
		}
	}
	switch {
	case o.set == nil:
		o.c.log.Info("keys loaded", "keys", len(r.keys))
	case added > 0 || removed > 0:
		o.c.log.Info("keys rotated", "added", added, "removed", removed, "keys", len(r.keys))
	}
	text := skippedText(r.skipped)
	if text != o.skipped && text != "" {
		o.c.log.Warn("keys skipped", "count", len(r.skipped), "skipped", text)
	}
	o.skipped = text
}

// skippedText lists skipped keys as "kid: reason; ..."; "" for none.
func skippedText(skipped []Skipped) string {
	var b strings.Builder
	for _, s := range skipped {
		b.WriteString(s.KID + ": " + s.Reason + "; ")
	}
	return b.String()
}

func kids(keys []*Key) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k.ID] = true
	}
	return m
}
