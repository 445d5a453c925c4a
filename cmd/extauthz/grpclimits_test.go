package main

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"golang.org/x/net/http2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// rawHTTP2 opens a TCP connection to addr, sends the HTTP/2 preface and an
// empty SETTINGS frame, and returns the server's first SETTINGS frame. Every
// read on conn fails after waitTimeout rather than hanging.
func rawHTTP2(t *testing.T, addr string) (net.Conn, *http2.Framer, *http2.SettingsFrame) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(waitTimeout))
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(conn, conn)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading the server's SETTINGS: %v", err)
		}
		if sf, ok := f.(*http2.SettingsFrame); ok && !sf.IsAck() {
			if err := fr.WriteSettingsAck(); err != nil {
				t.Fatal(err)
			}
			return conn, fr, sf
		}
	}
}

// The listener tells clients how many concurrent streams a connection may
// carry; without it, one connection could hold any number of stalled ones.
func TestGRPCAdvertisesStreamLimit(t *testing.T) {
	r := startService(t, testConfig(t, closedURL(t)), options{})
	_, _, settings := rawHTTP2(t, r.svc.grpcLn.Addr().String())
	got, ok := settings.Value(http2.SettingMaxConcurrentStreams)
	if !ok || got != defaultGRPCLimits.streams {
		t.Errorf("SETTINGS_MAX_CONCURRENT_STREAMS = %d (sent: %v), want %d",
			got, ok, defaultGRPCLimits.streams)
	}
}

// A connection that never completes its handshake is closed, so it holds
// neither a file descriptor nor the shutdown.
func TestGRPCClosesSilentConnections(t *testing.T) {
	limits := defaultGRPCLimits
	limits.handshake = 100 * time.Millisecond
	r := startService(t, testConfig(t, closedURL(t)), options{grpcLimits: &limits})

	conn, err := net.Dial("tcp", r.svc.grpcLn.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(waitTimeout))
	// The server speaks first (its SETTINGS); then it must hang up.
	if _, err := io.Copy(io.Discard, conn); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("silent connection still open after %v", waitTimeout)
	}
}

// A connection without streams is asked to go away once idle.
func TestGRPCSendsGoAwayWhenIdle(t *testing.T) {
	limits := defaultGRPCLimits
	limits.idle = 100 * time.Millisecond
	r := startService(t, testConfig(t, closedURL(t)), options{grpcLimits: &limits})
	_, fr, _ := rawHTTP2(t, r.svc.grpcLn.Addr().String())
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("idle connection: no GOAWAY before %v", err)
		}
		if _, ok := f.(*http2.GoAwayFrame); ok {
			return
		}
	}
}

// A Check stream whose request never arrives is ended by the server, while
// a Check whose client set no deadline is still answered.
func TestGRPCEndsCheckWithoutRequest(t *testing.T) {
	idp := startIssuer(t)
	limits := defaultGRPCLimits
	limits.check = 200 * time.Millisecond
	r := startService(t, testConfig(t, idp.URL()), options{grpcLimits: &limits})
	r.waitReady(t)
	conn, client := grpcClient(t, r.svc.grpcLn.Addr().String())

	// The test's own bound cancels (code Canceled), which tells it apart
	// from the server's deadline (DeadlineExceeded).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := time.AfterFunc(waitTimeout, cancel)
	defer stop.Stop()
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ClientStreams: true},
		authv3.Authorization_Check_FullMethodName)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing is sent and the stream is left open, as a stalled client would.
	err = stream.RecvMsg(new(authv3.CheckResponse))
	if code := status.Code(err); code != codes.DeadlineExceeded {
		t.Fatalf("Check that never sent its request ended with %v (%v), want DeadlineExceeded "+
			"from the server", code, err)
	}

	token := mint(t, idp.TokenURL()+"?sub=alice")
	resp, err := client.Check(context.Background(), checkRequest("Bearer "+token))
	if err != nil || codes.Code(resp.GetStatus().GetCode()) != codes.OK {
		t.Errorf("Check without a deadline = %v, %v; want an allow", resp.GetStatus(), err)
	}
}
