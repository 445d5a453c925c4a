// Command extauthz-soak is the bounded soak test of issue 3: it runs the
// extauthz binary against a fake OpenID provider that it controls, drives
// mixed traffic through the service's real gRPC listener while the provider
// first stays steady, then flaps (5xx, garbage, hangs, dropped connections,
// key rotation), and judges every decision.
//
// Usage:
//
//	go run ./cmd/extauthz-soak -bin PATH [-duration 60s | -short]
//
// It prints a table of checks sent, wrong decisions, hangs, provider fetches
// and latency, and exits 1 only on a wrong decision, a crash or a hang;
// latency is printed, not asserted. Without -bin it builds ./cmd/extauthz
// first (run it from the module root then), with -race if asked: a data race
// then makes the service exit non-zero, which fails the soak. Tokens are
// never printed.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

// options are the command's flags.
type options struct {
	bin      string
	duration time.Duration
	short    bool
	workers  int
	rate     float64
	deadline time.Duration
	keep     bool
	race     bool
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "", "extauthz binary; empty: go build ./cmd/extauthz")
	flag.DurationVar(&o.duration, "duration", 60*time.Second, "length of the traffic")
	flag.BoolVar(&o.short, "short", false, "short mode: a 15s run (overrides -duration)")
	flag.IntVar(&o.workers, "workers", 4, "concurrent callers")
	flag.Float64Var(&o.rate, "rate", 300, "checks per second, all callers together")
	flag.DurationVar(&o.deadline, "deadline", 250*time.Millisecond, "deadline of each check")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (config, service log)")
	flag.BoolVar(&o.race, "race", false, "without -bin: build extauthz with the race detector")
	flag.Parse()
	if o.short {
		o.duration = 15 * time.Second
	}
	if o.duration < 3*time.Second || o.workers < 1 || o.rate <= 0 || o.deadline <= 0 {
		fmt.Fprintln(os.Stderr,
			"extauthz-soak: need -duration >= 3s, -workers >= 1, -rate > 0, -deadline > 0")
		os.Exit(2)
	}
	failures, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "extauthz-soak: FAIL:", err)
		os.Exit(1)
	}
	if len(failures) > 0 {
		for _, f := range failures {
			fmt.Fprintln(os.Stderr, "extauthz-soak: FAIL:", f)
		}
		os.Exit(1)
	}
	fmt.Println("extauthz-soak: PASS")
}
