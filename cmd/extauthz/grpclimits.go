package main

import (
	"context"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/tap"

	"github.com/extauthz/extauthz/config"
)

// grpcLimits bound what one client of the gRPC listener can hold. Envoy keeps
// a few long-lived HTTP/2 connections and sends every Check with a deadline
// (its ext_authz timeout), so these limits never touch it; they are for
// clients that connect and then stall, which gRPC's defaults let stay for
// minutes or forever.
type grpcLimits struct {
	// handshake bounds the TLS handshake and HTTP/2 preface of a new
	// connection. gRPC's default of 120 s lets a connection that never
	// speaks hold a file descriptor, and GracefulStop past shutdown_timeout.
	handshake time.Duration
	// streams is SETTINGS_MAX_CONCURRENT_STREAMS; gRPC's default is no limit.
	streams uint32
	// idle sends GOAWAY to a connection that has had no stream for this long.
	idle time.Duration
	// age sends GOAWAY to a connection this old, and ageGrace later closes
	// it with any streams still open on it.
	age, ageGrace time.Duration
	// check ends a Check whose client set no nearer deadline, so a stream
	// that never sends its request cannot stay open. It exceeds the ceiling
	// of max_wait (30 s), so it never cuts a wait for keys short.
	check time.Duration
}

var defaultGRPCLimits = grpcLimits{
	handshake: 5 * time.Second,
	streams:   1000,
	idle:      5 * time.Minute,
	age:       30 * time.Minute,
	ageGrace:  10 * time.Second,
	check:     config.MaxWaitCeiling.D() + 5*time.Second,
}

// serverOptions returns the options that apply l. Streams other than Check
// end when drain does (see endOnDrain).
func (l grpcLimits) serverOptions(drain context.Context) []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.ConnectionTimeout(l.handshake),
		grpc.MaxConcurrentStreams(l.streams),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle:     l.idle,
			MaxConnectionAge:      l.age,
			MaxConnectionAgeGrace: l.ageGrace,
			// Pings find peers that vanished without closing (a node
			// that died), whose streams would otherwise stay open.
			Time:    2 * time.Minute,
			Timeout: 20 * time.Second,
		}),
		// gRPC's default policy (a ping at most every 5 minutes, none
		// without a stream) sends GOAWAY to proxies that keep their
		// connections alive more often, as Envoy can be told to.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime:             5 * time.Second,
			PermitWithoutStream: true,
		}),
		grpc.InTapHandle(func(ctx context.Context, info *tap.Info) (context.Context, error) {
			if info.FullMethodName != authv3.Authorization_Check_FullMethodName {
				return endOnDrain(ctx, drain), nil
			}
			return l.boundCheck(ctx), nil
		}),
		grpc.ChainUnaryInterceptor(releaseCheckDeadline),
	}
}

// checkCancelKey is the context key of the cancel function of a deadline
// that boundCheck added.
type checkCancelKey struct{}

// boundCheck gives a Check stream the deadline l.check unless its client set
// a nearer one. It runs in the tap, before the request message is read, which
// is what lets it end a stream that never sends one. Checks are not ended by
// the drain: shutdown lets them finish.
func (l grpcLimits) boundCheck(ctx context.Context) context.Context {
	deadline := time.Now().Add(l.check)
	if d, ok := ctx.Deadline(); ok && !d.After(deadline) {
		return ctx
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	return context.WithValue(ctx, checkCancelKey{}, cancel)
}

// releaseCheckDeadline stops boundCheck's timer once the call is answered.
// A stream that never reaches a handler releases it when the deadline fires.
func releaseCheckDeadline(ctx context.Context, req any, _ *grpc.UnaryServerInfo,
	handler grpc.UnaryHandler,
) (any, error) {
	if cancel, ok := ctx.Value(checkCancelKey{}).(context.CancelFunc); ok {
		defer cancel()
	}
	return handler(ctx, req)
}
