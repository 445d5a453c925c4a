package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestNilMetricsIsANoOp(t *testing.T) {
	var m *Metrics
	// Libraries take an optional *Metrics; none of these may panic.
	m.Decision("grpc", "deny", "expired", time.Millisecond)
	m.Provider("p")
	m.Refresh("p", RefreshError, time.Second)
	m.FetchError("p", "timeout")
	m.KeysConfirmed("p", 2, time.Unix(0, 0))
	m.Ready("p", true)
}

func TestRegistersOnceOnly(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := New(reg, nil); err != nil {
		t.Fatalf("New: %v", err)
	}
	if _, err := New(reg, nil); err == nil {
		t.Error("second New on the same registry = nil error, want a duplicate registration error")
	}
}

func TestProviderSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	now := time.Unix(1_000_000, 0)
	m, err := New(reg, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	m.Provider("main")
	m.Refresh("main", RefreshSuccess, 20*time.Millisecond)
	m.Refresh("main", RefreshRateLimited, 0)
	m.FetchError("main", "status")
	m.KeysConfirmed("main", 3, now.Add(-90*time.Second))
	m.Ready("main", true)

	want := `
# HELP extauthz_jwks_refresh_total Key set refreshes by provider and result.
# TYPE extauthz_jwks_refresh_total counter
extauthz_jwks_refresh_total{provider="main",result="error"} 0
extauthz_jwks_refresh_total{provider="main",result="not_modified"} 0
extauthz_jwks_refresh_total{provider="main",result="rate_limited"} 1
extauthz_jwks_refresh_total{provider="main",result="success"} 1
# HELP extauthz_jwks_fetch_errors_total Failed key set or discovery fetches by provider and kind of failure.
# TYPE extauthz_jwks_fetch_errors_total counter
extauthz_jwks_fetch_errors_total{kind="status",provider="main"} 1
# HELP extauthz_jwks_keys Usable keys in the provider's current key set.
# TYPE extauthz_jwks_keys gauge
extauthz_jwks_keys{provider="main"} 3
# HELP extauthz_jwks_age_seconds Seconds since the provider's key set was last confirmed by the provider.
# TYPE extauthz_jwks_age_seconds gauge
extauthz_jwks_age_seconds{provider="main"} 90
# HELP extauthz_jwks_last_success_timestamp_seconds Unix time the provider last confirmed its key set.
# TYPE extauthz_jwks_last_success_timestamp_seconds gauge
extauthz_jwks_last_success_timestamp_seconds{provider="main"} 999910
# HELP extauthz_provider_ready 1 when the provider has usable keys that are not too stale, else 0.
# TYPE extauthz_provider_ready gauge
extauthz_provider_ready{provider="main"} 1
`
	names := []string{
		"extauthz_jwks_refresh_total", "extauthz_jwks_fetch_errors_total", "extauthz_jwks_keys",
		"extauthz_jwks_age_seconds", "extauthz_jwks_last_success_timestamp_seconds",
		"extauthz_provider_ready",
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}

	// The age grows at scrape time, with no goroutine updating it.
	now = now.Add(10 * time.Second)
	if got := testutil.ToFloat64(ageCollector{m}); got != 100 {
		t.Errorf("extauthz_jwks_age_seconds after 10s more = %v, want 100", got)
	}
	// A rate-limited refresh made no fetch, so it has no fetch duration.
	if got := testutil.CollectAndCount(m.fetchDuration); got != 1 {
		t.Errorf("fetch duration series = %d, want 1", got)
	}
}

func TestDecisionLabels(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := New(reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	m.Decision("grpc", "allow", "ok", time.Millisecond)
	m.Decision("http", "deny", "expired", time.Millisecond)
	m.Decision("http", "deny", "expired", time.Millisecond)
	if got := testutil.ToFloat64(m.decisions.WithLabelValues("deny", "expired")); got != 2 {
		t.Errorf("decisions{deny,expired} = %v, want 2", got)
	}
	if got := testutil.CollectAndCount(m.checkDuration); got != 2 {
		t.Errorf("check duration series = %d, want 2 (grpc and http)", got)
	}
}
