package jwks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// The tests in this file run the cache against a real loopback
// httptest.Server with the cache's own HTTP client, for the key-cache list
// of issue 2. They need no time to pass: they synchronise on the fake
// provider's hit notifications and on OnReadyChange.

// waitHit waits for the next JWKS request the provider receives.
func waitHit(t *testing.T, hits <-chan struct{}) {
	t.Helper()
	select {
	case <-hits:
	case <-time.After(10 * time.Second):
		t.Fatal("no JWKS request within 10s")
	}
}

// drain empties hits, so that the next value comes from a later request.
func drain(hits chan struct{}) {
	for {
		select {
		case <-hits:
		default:
			return
		}
	}
}

func TestRealIdPConcurrentLookupsOneFetch(t *testing.T) {
	k1, k2, _ := threeKeys(t)
	idp := newFakeIdP("", k1, k2)
	realIdP(t, idp)
	idp.hits = make(chan struct{}, 1)
	release := idp.startHang()
	defer release()
	h := newHarness(t, idp, Config{MinRefreshInterval: time.Hour, MaxWait: time.Minute}).start()
	waitHit(t, idp.hits) // the start-up fetch is in flight, held by the provider

	var started, done sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		started.Add(1)
		done.Go(func() {
			started.Done()
			_, err := h.c.Get(context.Background(), "k2")
			errs <- err
		})
	}
	started.Wait()
	release()
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Get(k2) = %v", err)
		}
	}
	if n := idp.jwksCount(); n != 1 {
		t.Errorf("100 concurrent lookups made %d fetches, want 1", n)
	}
}

func TestRealIdPCancelledWaiterDoesNotCancelFetch(t *testing.T) {
	k1, _, _ := threeKeys(t)
	idp := newFakeIdP("", k1)
	realIdP(t, idp)
	idp.hits = make(chan struct{}, 1)
	release := idp.startHang()
	defer release()
	h := newHarness(t, idp, Config{MinRefreshInterval: time.Hour, MaxWait: time.Minute}).start()
	waitHit(t, idp.hits)

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := h.c.Get(ctx, "k1")
		errc <- err
	}()
	cancel()
	if err := <-errc; !errors.Is(err, ErrKeysUnavailable) {
		t.Fatalf("cancelled Get = %v, want ErrKeysUnavailable", err)
	}
	release()
	h.mustGet("k1") // from the same fetch; a new one would be rate limited
	if n := idp.jwksCount(); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
}

func TestRealIdPFailingKeepsOldKeys(t *testing.T) {
	k1, _, _ := threeKeys(t)
	idp := newFakeIdP("", k1)
	realIdP(t, idp)
	idp.hits = make(chan struct{}, 1)
	h := newHarness(t, idp, Config{RefreshInterval: 50 * time.Millisecond,
		BackoffInitial: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond}).start()
	h.waitReady(true)

	idp.set(func(p *fakeIdP) { p.status = http.StatusInternalServerError })
	drain(idp.hits)
	waitHit(t, idp.hits) // a failing refresh...
	waitHit(t, idp.hits) // ...whose result the owner took in before retrying
	if h.fetchErrors(KindStatus) < 1 {
		t.Fatal("no failed refresh counted")
	}
	h.mustGet("k1")
	if !h.c.Ready() {
		t.Error("not Ready after a failed refresh")
	}
}

func TestRealIdPUnknownKidsRateLimited(t *testing.T) {
	k1, _, _ := threeKeys(t)
	idp := newFakeIdP("", k1)
	realIdP(t, idp)
	h := newHarness(t, idp, Config{MinRefreshInterval: time.Hour}).start()
	h.waitReady(true)
	for i := range 50 {
		h.getErr(fmt.Sprint("random-", i), ErrUnknownKey)
	}
	if n := idp.jwksCount(); n != 1 {
		t.Errorf("50 unknown kids made %d fetches after the first, want none", n-1)
	}
	if rl := h.refreshes("rate_limited"); rl != 50 {
		t.Errorf("rate_limited = %v, want 50", rl)
	}
	h.mustGet("k1")
}

func TestRealIdPKeyRotation(t *testing.T) {
	k1, k2, _ := threeKeys(t)
	idp := newFakeIdP("", k1)
	realIdP(t, idp)
	idp.hits = make(chan struct{}, 1)
	h := newHarness(t, idp, Config{RefreshInterval: 50 * time.Millisecond,
		MinRefreshInterval: time.Hour}).start()
	h.waitReady(true)
	h.mustGet("k1")

	idp.set(func(p *fakeIdP) { p.keys = []map[string]any{k2} })
	drain(idp.hits)
	waitHit(t, idp.hits) // a scheduled refresh serving the new keys
	h.mustGet("k2")      // from it, or waiting for it while in flight
	h.getErr("k1", ErrUnknownKey)
}
