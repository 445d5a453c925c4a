package jwks

import (
	"context"
	"crypto/elliptic"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The tests in this file run the cache inside testing/synctest bubbles, on
// the in-memory transport, so every delay below is fake time: backoff,
// scheduled refreshes, rate-limit windows, MaxStale and deadlines are
// exact and cost no wall-clock time.

const testIssuer = "https://idp.test"

// threeKeys returns JWKs k1 (RSA), k2 (EC P-256) and k3 (Ed25519).
func threeKeys(t *testing.T) (k1, k2, k3 map[string]any) {
	return jwkOf(t, "k1", &testRSA()[0].PublicKey),
		jwkOf(t, "k2", ecKey(t, elliptic.P256())),
		jwkOf(t, "k3", edKey(t))
}

// Behaviour 7, first half: start-up without the provider.
func TestStartupWithoutProviderThenReady(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1, _, _ := threeKeys(t)
		idp := newFakeIdP(testIssuer, k1)
		idp.killed = true
		h := newHarness(t, idp, Config{}).start()
		synctest.Wait()

		if h.c.Ready() {
			t.Fatal("Ready before any keys")
		}
		if d := h.getErr("k1", ErrKeysUnavailable); d != 0 {
			t.Errorf("Get without keys, within the window, took %v; want an immediate answer", d)
		}
		advance(10 * time.Second) // retries at 0.75s, 2.25s, 5.25s: all refused
		if got := h.fetchErrors(KindConnect); got != 4 {
			t.Errorf("connect errors = %v, want 4 (start and three retries)", got)
		}
		idp.set(func(p *fakeIdP) { p.killed = false })
		advance(6 * time.Second) // next retry at 11.25s
		if !h.c.Ready() {
			t.Fatal("not Ready after the provider came back")
		}
		h.mustGet("k1")
		if diff := cmp.Diff([]bool{true}, h.readyEvents()); diff != "" {
			t.Errorf("OnReadyChange calls (-want +got):\n%s", diff)
		}
		if h.metric("extauthz_provider_ready") != 1 || h.metric("extauthz_jwks_keys") != 1 {
			t.Errorf("ready and keys gauges not set")
		}
		for _, msg := range []string{`level=WARN msg="key refresh failing"`,
			`msg="key refresh recovered"`, `msg="provider ready"`} {
			if n := h.logs.count(msg); n != 1 {
				t.Errorf("%d log lines %q, want 1 (one per state change)", n, msg)
			}
		}
	})
}

// Behaviour 2: exponential backoff with jitter, bounded, reset by success.
func TestBackoffGrowsAndResets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1, _, _ := threeKeys(t)
		idp := newFakeIdP(testIssuer, k1)
		idp.status = http.StatusServiceUnavailable
		h := newHarness(t, idp, Config{BackoffInitial: time.Second, BackoffMax: 8 * time.Second})
		h.start()
		advance(30 * time.Second)
		idp.set(func(p *fakeIdP) { p.status = 0 })
		advance(6 * time.Second) // the success
		idp.set(func(p *fakeIdP) { p.status = http.StatusBadGateway })
		advance(DefaultRefreshInterval) // the scheduled refresh at 9m fails, and is retried

		// With the jitter source fixed at 0.5 a delay is 3/4 of its bound.
		ms := time.Millisecond
		want := []time.Duration{750 * ms, 1500 * ms, 3 * time.Second, 6 * time.Second,
			6 * time.Second, 6 * time.Second, 6 * time.Second, 6 * time.Second}
		var got []time.Duration
		idp.set(func(p *fakeIdP) {
			for i := 1; i < len(p.hitTimes); i++ {
				got = append(got, p.hitTimes[i].Sub(p.hitTimes[i-1]))
			}
		})
		if len(got) < len(want)+2 {
			t.Fatalf("intervals between fetches = %v, too few", got)
		}
		if diff := cmp.Diff(want, got[:len(want)]); diff != "" {
			t.Errorf("backoff delays (-want +got):\n%s", diff)
		}
		// After the success: the scheduled refresh, then the backoff from its start.
		i := len(want)
		for i < len(got) && got[i] < time.Minute {
			i++
		}
		if i+2 >= len(got) || got[i+1] != 750*ms || got[i+2] != 1500*ms {
			t.Errorf("intervals %v: want, after the success and the scheduled refresh, 750ms, 1.5s",
				got[len(want):])
		}
	})
}

func TestBackoffJitterBounds(t *testing.T) {
	for _, tt := range []struct {
		failures int
		rnd      float64
		want     time.Duration
	}{
		{1, 0, 500 * time.Millisecond},
		{1, 0.999999, 999_999_500},
		{3, 0, 2 * time.Second},
		{40, 0.5, 45 * time.Second}, // capped at 60s, no overflow
	} {
		got := backoff(tt.failures, time.Second, time.Minute, func() float64 { return tt.rnd })
		if got != tt.want {
			t.Errorf("backoff(%d, rnd %v) = %v, want %v", tt.failures, tt.rnd, got, tt.want)
		}
	}
}

// Behaviour 1: a failed refresh of any kind keeps the last good keys and is
// counted by kind.
func TestStaleOnError(t *testing.T) {
	k1, _, _ := threeKeys(t)
	tests := []struct {
		name     string
		fail     func(p *fakeIdP)
		wantKind string
	}{
		{"connection refused", func(p *fakeIdP) { p.killed = true }, KindConnect},
		{"timeout", func(p *fakeIdP) { p.hang = make(chan struct{}) }, KindTimeout},
		{"5xx", func(p *fakeIdP) { p.status = http.StatusInternalServerError }, KindStatus},
		{"HTML", func(p *fakeIdP) {
			p.body = []byte("<!doctype html><p>maintenance</p>")
			p.header = http.Header{"Content-Type": {"text/html; charset=utf-8"}}
		}, KindContent},
		{"invalid JSON", func(p *fakeIdP) { p.body = []byte(`{"keys": [`) }, KindJSON},
		{"no usable keys", func(p *fakeIdP) {
			p.keys = []map[string]any{with(k1, "use", "enc")}
		}, KindNoKeys},
		{"body too large", func(p *fakeIdP) {
			p.body = []byte(`{"keys":[],"pad":"` + strings.Repeat("x", 5000) + `"}`)
		}, KindTooLarge},
		{"too many keys", func(p *fakeIdP) {
			p.keys = []map[string]any{k1, with(k1, "kid", "a"), with(k1, "kid", "b")}
		}, KindTooManyKeys},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				idp := newFakeIdP(testIssuer, k1)
				h := newHarness(t, idp, Config{MaxResponseBytes: 4096, MaxKeys: 2})
				h.start()
				synctest.Wait()
				h.mustGet("k1")

				idp.set(tt.fail)
				advance(DefaultRefreshInterval) // the scheduled refresh at 9m, and retries
				if got := h.fetchErrors(tt.wantKind); got < 1 {
					t.Fatalf("fetch errors of kind %s = %v, want at least 1", tt.wantKind, got)
				}
				if total := h.refreshes("error"); total != h.fetchErrors(tt.wantKind) {
					t.Errorf("%v failed refreshes, %v of kind %s: other kinds counted",
						total, h.fetchErrors(tt.wantKind), tt.wantKind)
				}
				h.mustGet("k1")
				if !h.c.Ready() {
					t.Error("not Ready while the keys are younger than MaxStale")
				}
			})
		})
	}
}

// Behaviour 1, second half: keys unconfirmed for longer than MaxStale stop
// being used, and readiness says so.
func TestMaxStaleStopsKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1, _, _ := threeKeys(t)
		idp := newFakeIdP(testIssuer, k1)
		h := newHarness(t, idp, Config{MaxStale: time.Hour, BackoffMax: time.Minute}).start()
		synctest.Wait()
		confirmed := time.Now()
		idp.set(func(p *fakeIdP) { p.status = http.StatusInternalServerError })

		advance(time.Hour - time.Second)
		h.mustGet("k1")
		advance(time.Until(confirmed.Add(time.Hour)))
		if h.c.Ready() {
			t.Fatal("Ready with keys unconfirmed for MaxStale")
		}
		h.getErr("k1", ErrKeysUnavailable)
		h.getErr("", ErrKeysUnavailable)
		if h.metric("extauthz_provider_ready") != 0 {
			t.Error("ready gauge still 1")
		}
		if h.logs.count("keys too stale") != 1 {
			t.Errorf("want one log line on turning stale; logs:\n%s", h.logs)
		}

		idp.set(func(p *fakeIdP) { p.status = 0 })
		advance(time.Minute)
		h.mustGet("k1")
		if diff := cmp.Diff([]bool{true, false, true}, h.readyEvents()); diff != "" {
			t.Errorf("OnReadyChange calls (-want +got):\n%s", diff)
		}
	})
}

// Behaviour 3: freshness from the provider, clamped; scheduled refresh
// shortly before the lifetime ends.
func TestFreshnessFromProvider(t *testing.T) {
	k1, _, _ := threeKeys(t)
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) // a bubble's epoch
	tests := []struct {
		name   string
		header http.Header
		cfg    Config
		want   time.Duration // from the first fetch to the second
	}{
		{"max-age", http.Header{"Cache-Control": {"public, max-age=120"}}, Config{}, 108 * time.Second},
		{"max-age under the floor", http.Header{"Cache-Control": {"max-age=5"}},
			Config{MinCacheTTL: 30 * time.Second}, 27 * time.Second},
		{"one-second floor", http.Header{"Cache-Control": {"max-age=1"}},
			Config{MinCacheTTL: time.Second}, 900 * time.Millisecond},
		{"max-age over the ceiling", http.Header{"Cache-Control": {"max-age=999999999999999999999"}},
			Config{MaxCacheTTL: time.Hour}, 59 * time.Minute},
		{"Expires", http.Header{"Expires": {start.Add(300 * time.Second).Format(http.TimeFormat)}},
			Config{}, 270 * time.Second},
		{"Expires with Date", http.Header{
			"Date":    {start.Add(-time.Hour).Format(http.TimeFormat)},
			"Expires": {start.Add(-time.Hour + 200*time.Second).Format(http.TimeFormat)},
		}, Config{}, 180 * time.Second},
		{"invalid Expires means expired", http.Header{"Expires": {"0"}}, Config{}, 54 * time.Second},
		{"max-age wins over Expires", http.Header{"Cache-Control": {"max-age=100"},
			"Expires": {start.Add(time.Hour).Format(http.TimeFormat)}}, Config{}, 90 * time.Second},
		{"no-store", http.Header{"Cache-Control": {"no-store, max-age=120"}}, Config{}, 9 * time.Minute},
		{"no-cache", http.Header{"Cache-Control": {"max-age=120", "no-cache"}},
			Config{RefreshInterval: 2 * time.Minute}, 108 * time.Second},
		{"none", nil, Config{RefreshInterval: 30 * time.Minute}, 29 * time.Minute},
		{"bounded by MaxStale", http.Header{"Cache-Control": {"max-age=7200"}},
			Config{MaxStale: time.Hour, MaxCacheTTL: 2 * time.Hour}, 59 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				idp := newFakeIdP(testIssuer, k1)
				idp.header = tt.header
				newHarness(t, idp, tt.cfg).start()
				synctest.Wait()
				advance(tt.want - time.Millisecond)
				if n := idp.jwksCount(); n != 1 {
					t.Fatalf("%d fetches before the refresh was due, want 1", n)
				}
				advance(time.Millisecond)
				if n := idp.jwksCount(); n != 2 {
					t.Fatalf("%d fetches when the refresh was due, want 2", n)
				}
			})
		})
	}
}

// Behaviour 3: revalidation with ETag and Last-Modified; a 304 counts as
// not_modified and confirms the keys, so they do not turn stale.
func TestConditionalRevalidation(t *testing.T) {
	k1, _, _ := threeKeys(t)
	for _, tt := range []struct {
		name       string
		setup      func(p *fakeIdP)
		wantHeader string
		wantValue  string
	}{
		{"ETag", func(p *fakeIdP) { p.etag = `"v1"` }, "If-None-Match", `"v1"`},
		{"Last-Modified", func(p *fakeIdP) { p.lastModified = "Fri, 31 Dec 1999 23:00:00 GMT" },
			"If-Modified-Since", "Fri, 31 Dec 1999 23:00:00 GMT"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				idp := newFakeIdP(testIssuer, k1)
				idp.set(tt.setup)
				h := newHarness(t, idp, Config{MaxStale: 30 * time.Minute}).start()
				advance(time.Hour) // refreshes every 9 minutes; each answered 304
				var got []string
				idp.set(func(p *fakeIdP) {
					for _, r := range p.requests {
						got = append(got, r.Get(tt.wantHeader))
					}
				})
				if len(got) < 6 || got[0] != "" || got[1] != tt.wantValue {
					t.Fatalf("%s on successive fetches = %q, want none then %q",
						tt.wantHeader, got, tt.wantValue)
				}
				if nm := h.refreshes("not_modified"); nm != float64(len(got)-1) {
					t.Errorf("not_modified refreshes = %v, want %d", nm, len(got)-1)
				}
				s := h.mustGet("k1") // stale after 30m if 304s did not confirm
				if age := time.Since(s.Fetched()); age >= 9*time.Minute {
					t.Errorf("key set age %v after a 304, want it reset", age)
				}
			})
		})
	}
}

// Behaviour 4: a storm of unknown kids makes at most one fetch per window.
func TestUnknownKidStormOneFetchPerWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1, _, _ := threeKeys(t)
		idp := newFakeIdP(testIssuer, k1)
		h := newHarness(t, idp, Config{MinRefreshInterval: 5 * time.Second}).start()
		synctest.Wait()

		const rounds, perRound = 30, 20 // one round per fake second
		for round := range rounds {
			var wg sync.WaitGroup
			for i := range perRound {
				wg.Go(func() {
					kid := fmt.Sprintf("attacker-%d-%d", round, i)
					if _, err := h.c.Get(context.Background(), kid); !errors.Is(err, ErrUnknownKey) {
						t.Errorf("Get(%s) = %v, want ErrUnknownKey", kid, err)
					}
				})
			}
			wg.Wait()
			advance(time.Second)
		}
		// The start-up fetch, then one at 5s, 10s, 15s, 20s and 25s.
		if n := idp.jwksCount(); n != 6 {
			t.Errorf("%d fetches in %d s with a 5s window, want 6", n, rounds)
		}
		if rl := h.refreshes("rate_limited"); rl < rounds*perRound/2 {
			t.Errorf("rate_limited refreshes = %v, want most of the %d asks", rl, rounds*perRound)
		}
	})
}

// Behaviour 4: known kids never wait, even while unknown kids wait for a
// fetch that hangs.
func TestKnownKidNeverWaitsDuringStorm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1, _, _ := threeKeys(t)
		idp := newFakeIdP(testIssuer, k1)
		h := newHarness(t, idp, Config{MaxWait: time.Minute}).start()
		advance(DefaultMinRefreshInterval)
		release := idp.startHang()
		defer release()

		var wg sync.WaitGroup
		for i := range 100 {
			wg.Go(func() { h.c.Get(context.Background(), fmt.Sprint("unknown-", i)) })
		}
		synctest.Wait() // every unknown-kid Get waits for the hanging fetch
		start := time.Now()
		for range 1000 {
			h.mustGet("k1")
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("known-kid lookups took %v of fake time; want no waiting", d)
		}
		if n := idp.jwksCount(); n != 2 {
			t.Errorf("%d fetches, want 2 (start-up, one for all unknown kids)", n)
		}
		release()
		wg.Wait()
	})
}

// Behaviour 4: a genuinely new kid is refused until the window ends, and
// during backoff the window is the longer backoff delay.
func TestNewKidRefusedWithinWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1, k2, _ := threeKeys(t)
		idp := newFakeIdP(testIssuer, k1)
		h := newHarness(t, idp, Config{MinRefreshInterval: 5 * time.Second}).start()
		synctest.Wait()

		idp.set(func(p *fakeIdP) { p.keys = append(p.keys, k2) })
		advance(4 * time.Second)
		if d := h.getErr("k2", ErrUnknownKey); d != 0 {
			t.Errorf("rate-limited Get took %v, want an immediate answer", d)
		}
		if h.refreshes("rate_limited") != 1 || idp.jwksCount() != 1 {
			t.Fatal("an unknown kid inside the window was not rate limited")
		}
		advance(time.Second)
		h.mustGet("k2")
		if n := idp.jwksCount(); n != 2 {
			t.Errorf("%d fetches, want 2", n)
		}
	})
}

func TestWindowDuringBackoffIsTheLonger(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1, _, _ := threeKeys(t)
		idp := newFakeIdP(testIssuer, k1)
		h := newHarness(t, idp, Config{MinRefreshInterval: 5 * time.Second,
			BackoffInitial: 20 * time.Second, BackoffMax: time.Minute}).start()
		advance(5 * time.Second)
		idp.set(func(p *fakeIdP) { p.status = http.StatusServiceUnavailable })
		h.getErr("new", ErrUnknownKey) // asked fetch at 5s fails: backoff 15s
		if idp.jwksCount() != 2 || h.fetchErrors(KindStatus) != 1 {
			t.Fatal("the asked fetch did not happen")
		}
		advance(6 * time.Second) // past MinRefreshInterval, inside the backoff
		h.getErr("new", ErrUnknownKey)
		if n := idp.jwksCount(); n != 2 {
			t.Errorf("%d fetches: an ask during backoff fetched before the backoff delay", n)
		}
		advance(9 * time.Second) // the retry at 20s
		if n := idp.jwksCount(); n != 3 {
			t.Errorf("%d fetches, want the retry after the backoff delay", n)
		}
	})
}

// Behaviour 4 with a slow provider: the window runs from the end of a fetch,
// so a provider slower than MinRefreshInterval is not fetched back to back,
// and unknown kids between fetches are refused at once instead of waiting.
func TestSlowProviderWindowFromFetchEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1, _, _ := threeKeys(t)
		idp := newFakeIdP(testIssuer, k1)
		idp.latency = 8 * time.Second
		h := newHarness(t, idp, Config{MinRefreshInterval: 5 * time.Second,
			BackoffInitial: 8 * time.Second, BackoffMax: time.Minute,
			MaxWait: time.Minute, FetchTimeout: time.Minute}).start()
		advance(10 * time.Second) // the start-up fetch ran from 0s to 8s

		// 10s: 2s after the fetch ended.
		if d, n := h.getErr("new", ErrUnknownKey), idp.jwksCount(); d != 0 || n != 1 {
			t.Errorf("an ask 2s after a slow fetch ended waited %v and made %d fetches, "+
				"want an immediate refusal and 1 fetch", d, n)
		}
		advance(4 * time.Second) // 14s: the window (8s + 5s) is over
		if d, n := h.getErr("new", ErrUnknownKey), idp.jwksCount(); d != 8*time.Second || n != 2 {
			t.Errorf("an ask after the window waited %v with %d fetches, want 8s and 2", d, n)
		}

		// A failing slow provider: the backoff delay (6s with the harness's
		// jitter) also runs from the failed fetch's end.
		idp.set(func(p *fakeIdP) { p.status = http.StatusServiceUnavailable })
		advance(6 * time.Second)       // 28s: past the window of the fetch that ended at 22s
		h.getErr("new", ErrUnknownKey) // fetches from 28s to 36s, which fails
		advance(5500 * time.Millisecond)
		// 41.5s: past MinRefreshInterval from the failed fetch's end, inside its
		// backoff (the retry is due at 42s).
		if d, n := h.getErr("new", ErrUnknownKey), idp.jwksCount(); d != 0 || n != 3 {
			t.Errorf("an ask during backoff after a slow failure waited %v with %d fetches, "+
				"want an immediate refusal and 3", d, n)
		}
	})
}

// Behaviour 5: a waiter never waits past its deadline (less the margin) or
// MaxWait; the fetch carries on and serves later requests.
func TestDeadlineHangingProvider(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1, k2, _ := threeKeys(t)
		idp := newFakeIdP(testIssuer, k1)
		h := newHarness(t, idp, Config{MaxWait: time.Second, FetchTimeout: time.Minute}).start()
		advance(DefaultMinRefreshInterval)
		release := idp.startHang()

		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		if _, err := h.c.Get(ctx, "k2"); !errors.Is(err, ErrKeysUnavailable) {
			t.Fatalf("Get with a hanging provider = %v, want ErrKeysUnavailable", err)
		}
		if d := time.Since(start); d != 180*time.Millisecond {
			t.Errorf("Get with a 200ms deadline returned after %v, want 180ms", d)
		}
		// No deadline: MaxWait.
		if d := h.getErr("k3", ErrKeysUnavailable); d != time.Second {
			t.Errorf("Get without deadline returned after %v, want MaxWait (1s)", d)
		}

		idp.set(func(p *fakeIdP) { p.keys = append(p.keys, k2) })
		release()
		synctest.Wait()
		h.mustGet("k2")
		if n := idp.jwksCount(); n != 2 {
			t.Errorf("%d fetches, want 2: the hanging fetch must serve the later request", n)
		}
	})
}

// Behaviour 6: rotation.
func TestRotationAddAndRemove(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1, k2, _ := threeKeys(t)
		idp := newFakeIdP(testIssuer, k1)
		h := newHarness(t, idp, Config{}).start()
		advance(time.Minute)

		idp.set(func(p *fakeIdP) { p.keys = []map[string]any{k1, k2} })
		h.mustGet("k2") // one on-demand fetch
		if n := idp.jwksCount(); n != 2 {
			t.Errorf("%d fetches, want 2", n)
		}
		idp.set(func(p *fakeIdP) { p.keys = []map[string]any{k2} })
		h.mustGet("k1") // still there until the next refresh
		advance(DefaultRefreshInterval)
		h.getErr("k1", ErrUnknownKey)
		h.mustGet("k2")
		logs := h.logs.String()
		for _, want := range []string{"added=1 removed=0", "added=0 removed=1"} {
			if !strings.Contains(logs, want) {
				t.Errorf("no rotation log line with %q in:\n%s", want, logs)
			}
		}
	})
}

// Behaviour 8: discovery is refreshed with the keys, a changed jwks_uri is
// followed, an issuer mismatch keeps the previous state.
func TestDiscovery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1, k2, _ := threeKeys(t)
		idp := newFakeIdP(testIssuer, k1)
		h := newHarness(t, idp, Config{}).start()
		synctest.Wait()
		h.mustGet("k1")

		idp.set(func(p *fakeIdP) { p.jwksPath, p.keys = "/v2/keys", []map[string]any{k2} })
		advance(DefaultRefreshInterval)
		h.mustGet("k2")
		if !strings.Contains(h.logs.String(), "jwks_uri changed") {
			t.Error("no log line for the changed jwks_uri")
		}

		idp.set(func(p *fakeIdP) { p.discoIssuer, p.keys = "https://evil.test", []map[string]any{k1} })
		jwksBefore := idp.jwksCount()
		advance(DefaultRefreshInterval)
		if h.fetchErrors(KindIssuerMismatch) < 1 {
			t.Fatal("issuer mismatch not counted")
		}
		if n := idp.jwksCount(); n != jwksBefore {
			t.Errorf("JWKS fetched %d times after an issuer mismatch", n-jwksBefore)
		}
		h.mustGet("k2")
		h.getErr("k1", ErrUnknownKey)

		idp.set(func(p *fakeIdP) { p.discoIssuer = "" })
		advance(5 * time.Minute) // the next retry
		h.mustGet("k1")
	})
}

func TestDiscoveryRefusesInsecureJWKSURI(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1, _, _ := threeKeys(t)
		idp := newFakeIdP(testIssuer, k1)
		idp.discoJWKSURI = "http://idp.test/keys"
		h := newHarness(t, idp, Config{}).start()
		synctest.Wait()
		if h.fetchErrors(KindInsecureURL) != 1 || idp.jwksCount() != 0 {
			t.Errorf("insecure_url errors = %v, JWKS fetches %d; want 1 and none",
				h.fetchErrors(KindInsecureURL), idp.jwksCount())
		}
	})
}

func TestConfiguredJWKSURISkipsDiscovery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1, _, _ := threeKeys(t)
		idp := newFakeIdP(testIssuer, k1)
		h := newHarness(t, idp, Config{JWKSURI: testIssuer + "/keys"}).start()
		advance(time.Hour)
		h.mustGet("k1")
		if jwksHits, disco := idp.hitCount(); disco != 0 || jwksHits < 2 {
			t.Errorf("%d discovery and %d JWKS fetches; want none and several", disco, jwksHits)
		}
	})
}

// Behaviour 9: stopping ends the owner and the fetch in flight, and
// answers waiters. synctest.Test itself fails if any goroutine is left.
func TestShutdownEndsEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1, _, _ := threeKeys(t)
		idp := newFakeIdP(testIssuer, k1)
		h := newHarness(t, idp, Config{MaxWait: time.Hour, FetchTimeout: time.Hour}).start()
		advance(time.Minute)
		idp.startHang() // never released: only cancellation can end the fetch

		errc := make(chan error, 1)
		go func() {
			_, err := h.c.Get(context.Background(), "unknown")
			errc <- err
		}()
		synctest.Wait()
		start := time.Now()
		h.stop()
		if err := <-errc; !errors.Is(err, ErrKeysUnavailable) {
			t.Errorf("waiter got %v at shutdown, want ErrKeysUnavailable", err)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("shutdown and the waiter's answer took %v of fake time, want none", d)
		}
		h.mustGet("k1") // requests still in flight keep the published keys
		h.getErr("other", ErrKeysUnavailable)
		if h.fetchErrors(KindConnect)+h.fetchErrors(KindTimeout) != 0 {
			t.Error("the fetch cancelled by shutdown was counted as a provider failure")
		}
	})
}

// Issue 2: concurrent lookups of a kid added by the provider share one fetch.
func TestConcurrentLookupsOfNewKidOneFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1, k2, _ := threeKeys(t)
		idp := newFakeIdP(testIssuer, k1)
		h := newHarness(t, idp, Config{}).start()
		advance(DefaultMinRefreshInterval)
		idp.set(func(p *fakeIdP) { p.keys = []map[string]any{k1, k2} })
		release := idp.startHang() // hold the fetch until every lookup waits for it

		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				if _, err := h.c.Get(context.Background(), "k2"); err != nil {
					t.Errorf("Get(k2) = %v", err)
				}
			})
		}
		synctest.Wait()
		release()
		wg.Wait()
		if n := idp.jwksCount(); n != 2 {
			t.Errorf("%d fetches, want 2 (start-up, one for the 100 lookups)", n)
		}
	})
}

// Skipped keys are logged once per change, not on every refresh, and no
// log line carries key material.
func TestLogsOncePerChangeWithoutKeyMaterial(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1, k2, _ := threeKeys(t)
		enc := with(k2, "kid", "enc", "use", "enc")
		idp := newFakeIdP(testIssuer, k1, enc)
		h := newHarness(t, idp, Config{}).start()
		advance(time.Hour) // six refreshes
		if n := idp.jwksCount(); n < 6 {
			t.Fatalf("%d fetches, want at least 6", n)
		}
		logs := h.logs.String()
		if n := strings.Count(logs, `msg="keys skipped"`); n != 1 {
			t.Errorf("%d \"keys skipped\" lines, want 1:\n%s", n, logs)
		}
		if !strings.Contains(logs, "enc: use is not sig") {
			t.Errorf("the skipped key and its reason are not logged:\n%s", logs)
		}
		for _, secret := range []string{k1["n"].(string)[:16], k2["x"].(string)[:16]} {
			if strings.Contains(logs, secret) {
				t.Errorf("logs contain key material %q", secret)
			}
		}
		if n := strings.Count(logs, "\n"); n > 4 {
			t.Errorf("%d log lines for an hour of unchanged refreshes, want at most 4:\n%s", n, logs)
		}
	})
}
