package jwks

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// BenchmarkGetKnownKid measures the lookup of a known kid: a snapshot
// load, a staleness check and a map lookup, with no lock or channel.
func BenchmarkGetKnownKid(b *testing.B) {
	k1 := jwkOf(b, "k1", &testRSA()[0].PublicKey)
	c, err := New(Config{Issuer: testIssuer})
	if err != nil {
		b.Fatal(err)
	}
	keys, _, err := ParseJWKS(jwksDoc(b, k1), 0)
	if err != nil {
		b.Fatal(err)
	}
	c.snap.Store(NewSet(keys, time.Now()))
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Get(ctx, "k1"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGetKnownKidDuringStorm measures the same lookup while
// goroutines ask for random unknown kids as fast as they can, and reports
// its cost as a ratio to the same lookups measured just before the storm.
func BenchmarkGetKnownKidDuringStorm(b *testing.B) {
	k1 := jwkOf(b, "k1", &testRSA()[0].PublicKey)
	idp := newFakeIdP(testIssuer, k1)
	ready := make(chan bool, 4)
	c, err := New(Config{Issuer: testIssuer, MinRefreshInterval: time.Hour,
		HTTPClient:    &http.Client{Transport: memTransport{idp}},
		OnReadyChange: func(r bool) { ready <- r }})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { c.Run(ctx) }) // stopped by cancel below
	defer wg.Wait()
	defer cancel()
	<-ready

	quiet := timeGets(b, c, 200_000)
	stop := make(chan struct{})
	var storm sync.WaitGroup
	for g := range 4 {
		storm.Go(func() { // stopped by close(stop)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				c.Get(ctx, fmt.Sprintf("storm-%d-%d", g, i))
			}
		})
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := c.Get(ctx, "k1"); err != nil {
			b.Fatal(err)
		}
	}
	perOp := time.Since(start) / time.Duration(b.N)
	b.StopTimer()
	close(stop)
	storm.Wait()
	b.ReportMetric(float64(perOp)/float64(max(quiet, 1)), "ratio_to_quiet")
}

// timeGets returns the mean time of n known-kid lookups.
func timeGets(b *testing.B, c *Cache, n int) time.Duration {
	ctx := context.Background()
	start := time.Now()
	for range n {
		if _, err := c.Get(ctx, "k1"); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start) / time.Duration(n)
}
