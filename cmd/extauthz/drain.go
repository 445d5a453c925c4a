package main

import (
	"context"
	"errors"
)

// errDraining ends the long-lived gRPC streams when shutdown begins.
var errDraining = errors.New("extauthz is shutting down")

// endOnDrain returns a stream context that ends when the stream does or when
// drain does, whichever comes first. Health Watch and reflection streams last
// as long as their clients want (grpc-go's client-side health checking keeps a
// Watch open on every connection); without this, one of them would hold
// GracefulStop, and so the exit, until shutdown_timeout, although no check is
// in flight. Both handlers return once their context ends: Watch selects on
// it, and reflection's Recv does too.
func endOnDrain(ctx, drain context.Context) context.Context {
	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(drain, func() { cancel(errDraining) })
	// The stream's own context ends when the stream does; deregister from
	// drain then, so finished streams are not kept until shutdown.
	context.AfterFunc(ctx, func() { stop() })
	return ctx
}
