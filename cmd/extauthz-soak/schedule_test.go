package main

import (
	"testing"
	"time"
)

func TestPlan(t *testing.T) {
	s := time.Second
	tests := []struct {
		name     string
		give     time.Duration
		wantAt   []time.Duration
		wantLast string
	}{
		{"one cycle in a minute", 60 * s,
			[]time.Duration{10 * s, 20 * s, 25 * s, 30 * s, 35 * s, 40 * s, 45 * s, 50 * s, 55 * s},
			"revive"},
		{"short mode", 15 * s,
			[]time.Duration{2500 * time.Millisecond, 5 * s, 6250 * time.Millisecond,
				7500 * time.Millisecond, 8750 * time.Millisecond, 10 * s,
				11250 * time.Millisecond, 12500 * time.Millisecond, 13750 * time.Millisecond},
			"revive"},
		{"too short for a cycle", 6 * s,
			[]time.Duration{s, 2 * s, 3200 * time.Millisecond, 4400 * time.Millisecond,
				5600 * time.Millisecond},
			"revive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := plan(tt.give)
			var at []time.Duration
			for _, st := range steps {
				at = append(at, st.at)
			}
			if len(at) != len(tt.wantAt) {
				t.Fatalf("plan(%s) times = %v, want %v", tt.give, at, tt.wantAt)
			}
			for i := range at {
				if at[i] != tt.wantAt[i] {
					t.Fatalf("plan(%s) times = %v, want %v", tt.give, at, tt.wantAt)
				}
			}
			if !steps[0].rotate || steps[0].mode != modeOK {
				t.Errorf("plan(%s) first step = %s, want a rotation with the provider up",
					tt.give, steps[0])
			}
			if steps[1].mode != modeStatus {
				t.Errorf("plan(%s) flapping starts with %s, want 5xx", tt.give, steps[1])
			}
			if got := steps[len(steps)-1].String(); got != tt.wantLast {
				t.Errorf("plan(%s) last step = %s, want %s", tt.give, got, tt.wantLast)
			}
		})
	}
}

func TestKnowable(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &idp{
		served: map[string]time.Time{"served": t0},
		rotated: []rotation{
			{kid: "clean", published: t0},
			{kid: "fault-in-window", published: t0.Add(10 * time.Second)},
			{kid: "after-fault", published: t0.Add(time.Minute)},
		},
		faultAt: t0.Add(11 * time.Second),
	}
	tests := []struct {
		kid  string
		at   time.Duration // after t0
		want bool
	}{
		{"served", minRefreshInterval / 2, false},
		{"served", minRefreshInterval + time.Millisecond, true},
		{"clean", 2*minRefreshInterval - time.Millisecond, false},
		{"clean", 2*minRefreshInterval + time.Millisecond, true},
		// A fault within the window may start a backoff that holds back
		// the fetch, and a key never served cannot be required.
		{"fault-in-window", time.Hour, false},
		{"after-fault", time.Hour, false},
		{"unknown", time.Hour, false},
	}
	for _, tt := range tests {
		if got := p.knowable(tt.kid, t0.Add(tt.at)); got != tt.want {
			t.Errorf("knowable(%q, t0+%s) = %v, want %v", tt.kid, tt.at, got, tt.want)
		}
	}
}
