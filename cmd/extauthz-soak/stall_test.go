package main

import (
	"testing"
	"time"
)

func TestStallsDuring(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	s := &stalls{seen: []span{{ms(100), ms(200)}, {ms(1000), ms(1060)}}}
	tests := []struct {
		from, to int
		want     bool
	}{
		{0, 99, false},
		{0, 150, true},   // overlaps the start of a stall
		{150, 400, true}, // overlaps its end
		{120, 130, true}, // inside it
		{200, 999, false},
		{900, 2000, true}, // contains one
		{1060, 5000, false},
	}
	for _, tt := range tests {
		if got := s.during(ms(tt.from), ms(tt.to)); got != tt.want {
			t.Errorf("during(%dms, %dms) = %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
	if n, longest := s.total(); n != 2 || longest != 100*time.Millisecond {
		t.Errorf("total() = %d, %s, want 2, 100ms", n, longest)
	}
}
