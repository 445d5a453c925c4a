package main

import (
	"context"
	"sync"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/extauthz/extauthz/config"
)

// holdChecks returns an interceptor that signals entered when a Check
// arrives and holds it until release is closed or its context ends.
func holdChecks(entered chan<- struct{}, release <-chan struct{}) grpc.UnaryServerInterceptor {
	var once sync.Once
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo,
		handler grpc.UnaryHandler) (any, error) {
		if info.FullMethod != authv3.Authorization_Check_FullMethodName {
			return handler(ctx, req)
		}
		once.Do(func() { close(entered) })
		select {
		case <-release:
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		}
		return handler(ctx, req)
	}
}

type checkResult struct {
	resp *authv3.CheckResponse
	err  error
}

// TestShutdownFinishesInFlightChecks plays SIGTERM while a check is in
// flight: health turns NOT_SERVING, the check still gets its answer, and
// run returns nil (exit status 0) only after it.
func TestShutdownFinishesInFlightChecks(t *testing.T) {
	idp := startIssuer(t)
	entered, release, draining := make(chan struct{}), make(chan struct{}), make(chan struct{})
	r := startService(t, testConfig(t, idp.URL()), options{
		grpcOptions: []grpc.ServerOption{grpc.UnaryInterceptor(holdChecks(entered, release))},
		onDrain:     func() { close(draining) },
	})
	r.waitReady(t)
	token := mint(t, idp.TokenURL()+"?sub=alice")
	conn, client := grpcClient(t, r.svc.grpcLn.Addr().String())

	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	watch, err := healthpb.NewHealthClient(conn).Watch(watchCtx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if st := recvHealth(t, watch); st != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health before shutdown = %v, want SERVING", st)
	}

	result := make(chan checkResult, 1)
	go func() {
		resp, err := client.Check(context.Background(), checkRequest("Bearer "+token))
		result <- checkResult{resp, err}
	}()
	<-entered
	r.stop()

	if st := recvHealth(t, watch); st != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("health after SIGTERM = %v, want NOT_SERVING", st)
	}
	<-draining
	select {
	case err := <-r.done:
		t.Fatalf("run returned (%v) while a check was in flight", err)
	default:
	}
	close(release)

	res := <-result
	if res.err != nil || codes.Code(res.resp.GetStatus().GetCode()) != codes.OK {
		t.Fatalf("in-flight Check = %v, %v; want an allow", res.resp.GetStatus(), res.err)
	}
	select {
	case err := <-r.done:
		r.done <- err // for startService's cleanup, which asserts it is nil
	case <-time.After(waitTimeout):
		t.Fatalf("run still running %v after the in-flight check ended", waitTimeout)
	}
}

// TestShutdownTimeoutCutsOff checks that a check that outlives
// shutdown_timeout is cut off and run still returns.
func TestShutdownTimeoutCutsOff(t *testing.T) {
	idp := startIssuer(t)
	cfg := testConfig(t, idp.URL())
	cfg.ShutdownTimeout = config.Duration(100 * time.Millisecond)
	entered, never := make(chan struct{}), make(chan struct{})
	r := startService(t, cfg, options{
		grpcOptions: []grpc.ServerOption{grpc.UnaryInterceptor(holdChecks(entered, never))},
	})
	r.waitReady(t)
	_, client := grpcClient(t, r.svc.grpcLn.Addr().String())

	result := make(chan checkResult, 1)
	go func() {
		resp, err := client.Check(context.Background(), checkRequest(""))
		result <- checkResult{resp, err}
	}()
	<-entered
	r.stop()

	res := <-result
	if code := status.Code(res.err); code != codes.Unavailable && code != codes.Canceled {
		t.Errorf("Check cut off by shutdown: error code = %v (%v), want Unavailable or Canceled",
			code, res.err)
	}
	select {
	case err := <-r.done:
		r.done <- err
	case <-time.After(waitTimeout):
		t.Fatalf("run still running %v after the shutdown timeout", waitTimeout)
	}
}

func recvHealth(t *testing.T, w healthpb.Health_WatchClient) healthpb.HealthCheckResponse_ServingStatus {
	t.Helper()
	resp, err := w.Recv()
	if err != nil {
		t.Fatalf("health Watch: %v", err)
	}
	return resp.GetStatus()
}

// TestShutdownEndsLongLivedStreams checks that an open health Watch and an
// idle reflection stream, which no client has to close, do not hold the exit
// until shutdown_timeout: they end shortly after shutdown begins, the Watch
// having reported NOT_SERVING first.
func TestShutdownEndsLongLivedStreams(t *testing.T) {
	idp := startIssuer(t)
	cfg := testConfig(t, idp.URL())
	cfg.ShutdownTimeout = config.Duration(10 * time.Minute)
	r := startService(t, cfg, options{})
	r.waitReady(t)
	conn, _ := grpcClient(t, r.svc.grpcLn.Addr().String())

	watch, err := healthpb.NewHealthClient(conn).Watch(context.Background(),
		&healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if st := recvHealth(t, watch); st != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health before shutdown = %v, want SERVING", st)
	}
	refl, err := reflectionpb.NewServerReflectionClient(conn).
		ServerReflectionInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := refl.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := refl.Recv(); err != nil {
		t.Fatalf("reflection before shutdown: %v", err)
	}

	start := time.Now()
	r.stop()
	if st := recvHealth(t, watch); st != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("health after SIGTERM = %v, want NOT_SERVING", st)
	}
	if _, err := watch.Recv(); err == nil {
		t.Error("the Watch stream is still open after shutdown")
	}
	if _, err := refl.Recv(); err == nil {
		t.Error("the reflection stream is still open after shutdown")
	}
	select {
	case err := <-r.done:
		r.done <- err // for startService's cleanup, which asserts it is nil
	case <-time.After(waitTimeout):
		t.Fatalf("run still running %v after SIGTERM with only health and reflection "+
			"streams open (shutdown_timeout %v)", time.Since(start), cfg.ShutdownTimeout)
	}
}
