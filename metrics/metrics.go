// Package metrics owns every Prometheus collector of extauthz.
//
// A [Metrics] value is registered on a [prometheus.Registerer] chosen by the
// caller (never the default registry). Its methods are named after events, so
// call sites never build label values themselves. Label values come only from
// configuration (provider names) and closed sets of constants, never from
// token content. All methods are safe for concurrent use, and all methods of a
// nil *Metrics do nothing, so libraries can take an optional *Metrics.
package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Refresh results, the values of the result label of
// extauthz_jwks_refresh_total.
const (
	RefreshSuccess     = "success"
	RefreshNotModified = "not_modified"
	RefreshRateLimited = "rate_limited"
	RefreshError       = "error"
)

// Metrics holds the collectors. Create it with [New].
type Metrics struct {
	now func() time.Time

	decisions     *prometheus.CounterVec
	checkDuration *prometheus.HistogramVec

	refreshes     *prometheus.CounterVec
	fetchErrors   *prometheus.CounterVec
	fetchDuration *prometheus.HistogramVec
	keys          *prometheus.GaugeVec
	lastSuccess   *prometheus.GaugeVec
	ready         *prometheus.GaugeVec

	mu      sync.Mutex           // guards fetched
	fetched map[string]time.Time // provider -> time its key set was last confirmed
	age     *prometheus.Desc
}

// New creates the collectors and registers them on reg. now is the clock used
// for extauthz_jwks_age_seconds; nil means time.Now. It fails when a collector
// of the same name is already registered on reg.
func New(reg prometheus.Registerer, now func() time.Time) (*Metrics, error) {
	if now == nil {
		now = time.Now
	}
	m := &Metrics{
		now:     now,
		fetched: make(map[string]time.Time),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "extauthz_decisions_total",
			Help: "Authorization decisions by result (allow, deny) and reason.",
		}, []string{"result", "reason"}),
		checkDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "extauthz_check_duration_seconds",
			Help:    "Time to decide one check, by listener (grpc, http).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"listener"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "extauthz_jwks_refresh_total",
			Help: "Key set refreshes by provider and result.",
		}, []string{"provider", "result"}),
		fetchErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "extauthz_jwks_fetch_errors_total",
			Help: "Failed key set or discovery fetches by provider and kind of failure.",
		}, []string{"provider", "kind"}),
		fetchDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "extauthz_jwks_fetch_duration_seconds",
			Help:    "Duration of key set fetches (discovery included) by provider.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"provider"}),
		keys: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "extauthz_jwks_keys",
			Help: "Usable keys in the provider's current key set.",
		}, []string{"provider"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "extauthz_jwks_last_success_timestamp_seconds",
			Help: "Unix time the provider last confirmed its key set.",
		}, []string{"provider"}),
		ready: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "extauthz_provider_ready",
			Help: "1 when the provider has usable keys that are not too stale, else 0.",
		}, []string{"provider"}),
		age: prometheus.NewDesc("extauthz_jwks_age_seconds",
			"Seconds since the provider's key set was last confirmed by the provider.",
			[]string{"provider"}, nil),
	}
	for _, c := range []prometheus.Collector{
		m.decisions, m.checkDuration, m.refreshes, m.fetchErrors, m.fetchDuration,
		m.keys, m.lastSuccess, m.ready, ageCollector{m},
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Decision counts one authorization decision. listener is "grpc" or "http";
// result is "allow" or "deny"; reason is one of authz's closed set of reasons.
func (m *Metrics) Decision(listener, result, reason string, took time.Duration) {
	if m == nil {
		return
	}
	m.decisions.WithLabelValues(result, reason).Inc()
	m.checkDuration.WithLabelValues(listener).Observe(took.Seconds())
}

// Provider registers a provider so that its series exist (at zero) before its
// first refresh. Call it once per configured provider.
func (m *Metrics) Provider(provider string) {
	if m == nil {
		return
	}
	for _, r := range []string{RefreshSuccess, RefreshNotModified, RefreshRateLimited, RefreshError} {
		m.refreshes.WithLabelValues(provider, r)
	}
	m.keys.WithLabelValues(provider)
	m.ready.WithLabelValues(provider)
}

// Refresh counts one refresh of provider's keys with the given result (one of
// the Refresh constants) and how long the fetch took (zero for rate_limited).
func (m *Metrics) Refresh(provider, result string, took time.Duration) {
	if m == nil {
		return
	}
	m.refreshes.WithLabelValues(provider, result).Inc()
	if result != RefreshRateLimited {
		m.fetchDuration.WithLabelValues(provider).Observe(took.Seconds())
	}
}

// FetchError counts a failed fetch by kind, a value from a closed set defined
// by the jwks package (for example "connect", "timeout", "status", "json").
func (m *Metrics) FetchError(provider, kind string) {
	if m == nil {
		return
	}
	m.fetchErrors.WithLabelValues(provider, kind).Inc()
}

// KeysConfirmed records that provider's key set, holding n usable keys, was
// confirmed by the provider at t (a success or a not-modified answer).
func (m *Metrics) KeysConfirmed(provider string, n int, t time.Time) {
	if m == nil {
		return
	}
	m.keys.WithLabelValues(provider).Set(float64(n))
	m.lastSuccess.WithLabelValues(provider).Set(float64(t.UnixNano()) / 1e9)
	m.mu.Lock()
	m.fetched[provider] = t
	m.mu.Unlock()
}

// Ready records whether provider currently has usable keys.
func (m *Metrics) Ready(provider string, ready bool) {
	if m == nil {
		return
	}
	v := 0.0
	if ready {
		v = 1
	}
	m.ready.WithLabelValues(provider).Set(v)
}

// ageCollector computes extauthz_jwks_age_seconds at scrape time, so the age
// grows between refreshes without a goroutine updating it.
type ageCollector struct{ m *Metrics }

func (a ageCollector) Describe(ch chan<- *prometheus.Desc) { ch <- a.m.age }

func (a ageCollector) Collect(ch chan<- prometheus.Metric) {
	now := a.m.now()
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	for p, t := range a.m.fetched {
		ch <- prometheus.MustNewConstMetric(a.m.age, prometheus.GaugeValue, now.Sub(t).Seconds(), p)
	}
}
