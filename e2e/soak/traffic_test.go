package main

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestWrong pins what the soak counts as a wrong decision, since its verdict rests on it.
func TestWrong(t *testing.T) {
	for _, tc := range []struct {
		name      string
		give      result
		wantWrong bool
	}{
		{"valid allowed", result{kind: validKnown, code: codes.OK}, false},
		{"valid denied", result{kind: validKnown, code: codes.Unauthenticated}, true},
		{"valid unavailable", result{kind: validKnown, code: codes.Unavailable}, true},
		{"new key denied", result{kind: validNew, code: codes.Unauthenticated}, false},
		{"new key unavailable", result{kind: validNew, code: codes.Unavailable}, false},
		{"expired denied", result{kind: expired, code: codes.Unauthenticated}, false},
		{"expired allowed", result{kind: expired, code: codes.OK}, true},
		{"expired unavailable", result{kind: expired, code: codes.Unavailable}, true},
		{"random kid denied", result{kind: randomKid, code: codes.Unauthenticated}, false},
		{"random kid unavailable", result{kind: randomKid, code: codes.Unavailable}, false},
		{"random kid allowed", result{kind: randomKid, code: codes.OK}, true},
		{"gRPC error", result{kind: validNew, err: status.Error(codes.Internal, "x")}, true},
		{"hang", result{kind: validNew, err: status.Error(codes.DeadlineExceeded, "x")}, true},
		{"client deadline", result{kind: expired, err: context.DeadlineExceeded}, true},
		{"other error", result{kind: randomKid, err: errors.New("signing")}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.give.wrong(); (got != "") != tc.wantWrong {
				t.Errorf("wrong(%+v) = %q, want wrong %v", tc.give, got, tc.wantWrong)
			}
		})
	}
}
