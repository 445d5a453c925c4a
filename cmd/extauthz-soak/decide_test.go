package main

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestJudge(t *testing.T) {
	const deadline = 250 * time.Millisecond
	fast := 2 * time.Millisecond
	tests := []struct {
		name    string
		give    call
		want    verdict
		wantWhy string
	}{
		{"anchor allowed", call{kind: kindAnchor, allowed: true, took: fast}, right, ""},
		{"anchor denied unknown key", call{kind: kindAnchor, reason: "unknown_key", took: fast},
			wrong, "denied: unknown_key"},
		{"anchor denied keys unavailable",
			call{kind: kindAnchor, reason: "keys_unavailable", took: fast},
			wrong, "denied: keys_unavailable"},
		{"rotating allowed", call{kind: kindRotating, allowed: true, took: fast}, right, ""},
		{"rotating keys unavailable",
			call{kind: kindRotating, reason: "keys_unavailable", keyKnowable: true, took: fast},
			right, ""},
		{"rotating unknown key not yet served",
			call{kind: kindRotating, reason: "unknown_key", took: fast}, right, ""},
		{"rotating unknown key long served",
			call{kind: kindRotating, reason: "unknown_key", keyKnowable: true, took: fast},
			wrong, "denied: unknown_key"},
		{"rotating bad signature", call{kind: kindRotating, reason: "bad_signature", took: fast},
			wrong, "denied: bad_signature"},
		{"expired allowed", call{kind: kindExpired, allowed: true, took: fast}, wrong, "allowed"},
		{"expired denied", call{kind: kindExpired, reason: "expired", took: fast}, right, ""},
		{"random kid allowed", call{kind: kindRandomKid, allowed: true, took: fast},
			wrong, "allowed"},
		{"random kid keys unavailable",
			call{kind: kindRandomKid, reason: "keys_unavailable", took: fast}, right, ""},
		{"tampered allowed", call{kind: kindTampered, allowed: true, took: fast}, wrong, "allowed"},
		{"missing allowed", call{kind: kindMissing, allowed: true, took: fast}, wrong, "allowed"},
		{"missing denied", call{kind: kindMissing, reason: "missing_token", took: fast}, right, ""},
		{"RPC error",
			call{kind: kindMissing, err: status.Error(codes.Unavailable, "x"), took: fast},
			wrong, "RPC error Unavailable"},
		{"deadline exceeded", call{kind: kindAnchor, err: context.DeadlineExceeded, took: deadline},
			hang, "no answer within 250ms"},
		{"deadline status", call{kind: kindExpired,
			err: status.Error(codes.DeadlineExceeded, "x"), took: fast},
			hang, "no answer within 250ms"},
		{"answer after deadline", call{kind: kindAnchor, allowed: true, took: deadline + 1},
			hang, "no answer within 250ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := judge(tt.give, deadline)
			if got != tt.want || why != tt.wantWhy {
				t.Errorf("judge(%+v) = %d, %q, want %d, %q", tt.give, got, why, tt.want, tt.wantWhy)
			}
		})
	}
}
