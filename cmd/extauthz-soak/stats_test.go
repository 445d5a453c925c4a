package main

import (
	"context"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		var ds []time.Duration
		for _, v := range vs {
			ds = append(ds, time.Duration(v)*time.Millisecond)
		}
		return ds
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100..1, unsorted on purpose
	}
	tests := []struct {
		name string
		give []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 99, 0},
		{"one sample", ms(7), 50, 7 * time.Millisecond},
		{"median of odd count", ms(3, 1, 2), 50, 2 * time.Millisecond},
		{"median of even count", ms(4, 1, 3, 2), 50, 2 * time.Millisecond},
		{"p99 of 100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p50 of 100", ms(hundred...), 50, 50 * time.Millisecond},
		{"p100 is the max", ms(5, 9, 1), 100, 9 * time.Millisecond},
		{"p99 of few is the max", ms(1, 2, 3, 4), 99, 4 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := append([]time.Duration(nil), tt.give...)
			if got := percentile(tt.give, tt.p); got != tt.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tt.give, tt.p, got, tt.want)
			}
			for i := range before {
				if tt.give[i] != before[i] {
					t.Fatalf("percentile modified its input: %v, was %v", tt.give, before)
				}
			}
		})
	}
}

func TestParseCounter(t *testing.T) {
	text := `# HELP extauthz_jwks_refresh_total Key set refreshes.
# TYPE extauthz_jwks_refresh_total counter
extauthz_jwks_refresh_total{provider="soak",result="error"} 7
extauthz_jwks_refresh_total{provider="soak",result="success"} 12
extauthz_jwks_refresh_total{result="success",provider="other"} 3
extauthz_jwks_refresh_total_other{provider="soak",result="success"} 100
extauthz_jwks_fetch_errors_total{provider="soak",kind="status"} 4
`
	got := parseCounter(text, "extauthz_jwks_refresh_total", "result")
	want := map[string]float64{"error": 7, "success": 15}
	if len(got) != len(want) || got["error"] != want["error"] || got["success"] != want["success"] {
		t.Errorf("parseCounter() = %v, want %v", got, want)
	}
}

func TestTallySettle(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tl := newTally()
	slow := call{kind: kindRandomKid, err: context.DeadlineExceeded, took: 300 * time.Millisecond}
	for _, start := range []time.Time{t0, t0.Add(time.Second)} {
		v, why := judge(slow, 250*time.Millisecond)
		tl.add(slow, start, phaseFlapping, v, why, "hang")
	}
	if sum(tl.hangs) != 0 || len(tl.late) != 2 {
		t.Fatalf("before settle: hangs %v, late %d; want none counted, 2 set aside",
			tl.hangs, len(tl.late))
	}
	// The soak stalled during the first call only.
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	tl.settle(&stalls{seen: []span{{ms(100), ms(200)}}})
	if tl.stalled[kindRandomKid] != 1 || tl.hangs[kindRandomKid] != 1 || len(tl.examples) != 1 {
		t.Errorf("after settle: stalled %v, hangs %v, examples %q; want 1, 1, 1",
			tl.stalled, tl.hangs, tl.examples)
	}
}
