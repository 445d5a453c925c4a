package main

import (
	"fmt"
	"slices"
	"time"

	"google.golang.org/grpc/codes"
)

// maxShown bounds how many wrong decisions are printed one by one.
const maxShown = 20

// report prints the soak's figures and returns the number of wrong decisions.
func report(results []result, p *provider) int {
	var (
		wrong          int
		byKind         [kinds]map[codes.Code]int
		calmLat, chaos []time.Duration
	)
	for i := range byKind {
		byKind[i] = map[codes.Code]int{}
	}
	for _, r := range results {
		if why := r.wrong(); why != "" {
			if wrong < maxShown {
				fmt.Printf("  WRONG: %s (chaos %v, after %v)\n", why, r.chaos, r.latency)
			}
			wrong++
		}
		if r.err == nil {
			byKind[r.kind][r.code]++
		}
		if r.kind == validKnown && r.err == nil {
			if r.chaos {
				chaos = append(chaos, r.latency)
			} else {
				calmLat = append(calmLat, r.latency)
			}
		}
	}

	fmt.Printf("checks sent:      %d\n", len(results))
	fmt.Printf("wrong decisions:  %d\n", wrong)
	for k := range kinds {
		fmt.Printf("  %-14s %v\n", k, byKind[k])
	}
	fmt.Printf("JWKS fetches:     %d (%d answered with keys)\n", p.fetches.Load(),
		p.successes.Load())
	fmt.Printf("keys rotated in:  %d\n", p.rotations())
	fmt.Printf("p99 valid, calm:  %v (%d checks)\n", p99(calmLat), len(calmLat))
	fmt.Printf("p99 valid, chaos: %v (%d checks)\n", p99(chaos), len(chaos))
	return wrong
}

func p99(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[(len(d)*99)/100]
}
