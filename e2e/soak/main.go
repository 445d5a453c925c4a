// Command soak drives mixed traffic through extauthz's real gRPC listener while a fake
// OpenID provider flaps, hangs and rotates keys, and prints what happened (issue 3).
//
//	go run ./e2e/soak                  # 60 s
//	go run ./e2e/soak -duration 15s    # the short mode scripts/test.sh runs
//
// Traffic: tokens signed by keys the service has fetched (must be allowed), by the newest
// key (any answer), expired (must be denied) and naming random kids (must not be allowed).
// The run alternates calm quarters (provider healthy) with chaos quarters (every 300 ms the
// provider turns healthy, failing, garbage or hanging; a new signing key every 2 s).
//
// It exits 1 on a wrong decision, a gRPC error, a check unanswered within its deadline, or a
// service that crashed or did not exit 0 on SIGTERM. Latency is printed, not asserted.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func main() {
	duration := flag.Duration("duration", 60*time.Second, "how long to send traffic")
	short := flag.Bool("short", false, "shorthand for -duration 15s")
	bin := flag.String("bin", "", "extauthz binary to test (default: build ./cmd/extauthz -race)")
	workers := flag.Int("workers", 4, "concurrent checks")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "traffic and chaos seed")
	flag.Parse()
	if *short {
		*duration = 15 * time.Second
	}
	if err := run(*duration, *bin, *workers, *seed); err != nil {
		fmt.Fprintf(os.Stderr, "soak: FAIL: %v\n", err)
		os.Exit(1)
	}
	fmt.Println("soak: PASS")
}

func run(duration time.Duration, bin string, workers int, seed uint64) error {
	dir, err := os.MkdirTemp("", "extauthz-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if bin == "" {
		if bin, err = buildService(dir); err != nil {
			return err
		}
	}

	idp, err := newProvider()
	if err != nil {
		return err
	}
	defer idp.close()
	svc, err := startService(bin, dir, idp.issuer())
	if err != nil {
		return err
	}
	defer func() {
		if svc.crashed() == nil {
			svc.kill()
		}
	}()
	conn, err := grpc.NewClient(svc.grpcAddr,
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("dialing extauthz: %w", err)
	}
	defer conn.Close()

	fmt.Printf("soak: %v, %d workers, seed %d, provider %s\n", duration, workers, seed,
		idp.issuer())
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	ctx, stopOnCrash := svc.waitCtx(ctx)
	defer stopOnCrash()

	var chaos atomic.Bool
	chaosDone := make(chan struct{})
	// Stops with ctx; run waits for it before reading the provider's counters.
	go func() {
		defer close(chaosDone)
		flap(ctx, idp, &chaos, duration, rand.New(rand.NewPCG(seed, 1<<32)))
	}()
	d := &driver{client: authv3.NewAuthorizationClient(conn), idp: idp, chaos: chaos.Load}
	results := d.run(ctx, workers, seed)
	<-chaosDone

	failures := report(results, idp)
	if err := svc.stop(20 * time.Second); err != nil {
		fmt.Fprintf(os.Stderr, "extauthz output:\n%s\n", svc.out.String())
		return err
	}
	if failures > 0 {
		fmt.Fprintf(os.Stderr, "extauthz output:\n%s\n", svc.out.String())
		return fmt.Errorf("%d wrong decisions", failures)
	}
	return nil
}

// flap runs the provider through calm and chaos quarters until ctx ends.
func flap(ctx context.Context, p *provider, chaos *atomic.Bool, total time.Duration,
	r *rand.Rand) {
	quarter := total / 4
	start := time.Now()
	modeTick := time.NewTicker(300 * time.Millisecond)
	defer modeTick.Stop()
	rotateTick := time.NewTicker(2 * time.Second)
	defer rotateTick.Stop()
	defer p.mode.Store(int32(healthy))
	for {
		inChaos := int(time.Since(start)/quarter)%2 == 1
		chaos.Store(inChaos)
		select {
		case <-ctx.Done():
			return
		case <-modeTick.C:
			m := healthy
			if inChaos {
				m = mode(r.IntN(4))
			}
			p.mode.Store(int32(m))
		case <-rotateTick.C:
			if inChaos {
				if err := p.rotate(); err != nil {
					fmt.Fprintf(os.Stderr, "soak: rotation failed: %v\n", err)
				}
			}
		}
	}
}
