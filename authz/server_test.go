package authz

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/extauthz/extauthz/metrics"
)

// startGRPC serves s on an in-memory listener and returns a client of it.
// Cleanup stops both.
func startGRPC(t *testing.T, s *Server) authv3.AuthorizationClient {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	gs := grpc.NewServer()
	authv3.RegisterAuthorizationServer(gs, s)
	served := make(chan error, 1)
	// Stopped by gs.Stop in cleanup, which makes Serve return.
	go func() { served <- gs.Serve(lis) }()

	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return lis.DialContext(ctx)
		}),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("grpc.NewClient: %v", err)
	}
	t.Cleanup(func() {
		if err := conn.Close(); err != nil {
			t.Errorf("closing client: %v", err)
		}
		gs.Stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return authv3.NewAuthorizationClient(conn)
}

func TestCheckOverGRPC(t *testing.T) {
	s, _ := newTestServer(t, nil)
	client := startGRPC(t, s)
	k := testKeys()
	valid := validToken(t, "RS256")
	for _, c := range []struct {
		name    string
		giveReq *authv3.CheckRequest
		want    *authv3.CheckResponse
	}{
		{
			name:    "allowed",
			giveReq: checkRequest(map[string]string{"authorization": "Bearer " + valid}),
			want: wantAllow([]*corev3.HeaderValueOption{
				setHeader("x-jwt-sub", "alice"), setHeader("x-jwt-iss", testIssuer)}),
		},
		{
			name:    "empty request",
			giveReq: &authv3.CheckRequest{},
			want:    wantDeny(16, "missing_token", 401, "bearer token required\n", "Bearer"),
		},
		{
			name: "bad signature",
			giveReq: checkRequest(map[string]string{"authorization": "Bearer " +
				sign(t, "RS256", map[string]any{"kid": "rsa-1"}, validClaims(nil), k.rsa2)}),
			want: wantDeny(16, "bad_signature", 401, "invalid token signature\n",
				`Bearer error="invalid_token"`),
		},
		{
			name: "alg none",
			giveReq: checkRequest(map[string]string{"authorization": "Bearer " +
				sign(t, "none", nil, validClaims(nil), nil)}),
			want: wantDeny(16, "algorithm_not_allowed", 401, "token algorithm not allowed\n",
				`Bearer error="invalid_token"`),
		},
	} {
		got, err := client.Check(t.Context(), c.giveReq)
		if err != nil {
			t.Fatalf("Check(%s) over gRPC: error %v, want a response", c.name, err)
		}
		if diff := cmp.Diff(c.want, got, protocmp.Transform()); diff != "" {
			t.Errorf("Check(%s) over gRPC mismatch (-want +got):\n%s", c.name, diff)
		}
	}
}

func TestDecisionsObserved(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, _ := newTestServer(t, func(c *Config) { c.Metrics, c.Logger = m, logger })

	valid := validToken(t, "ES256")
	expired := sign(t, "ES256", map[string]any{"kid": "ec-256"},
		validClaims(map[string]any{"exp": 1}), testKeys().p256)
	checkToken(t, s, valid)
	checkToken(t, s, expired)
	checkHeaders(t, s, nil)

	want := `
# HELP extauthz_decisions_total Authorization decisions by result (allow, deny) and reason.
# TYPE extauthz_decisions_total counter
extauthz_decisions_total{reason="expired",result="deny"} 1
extauthz_decisions_total{reason="missing_token",result="deny"} 1
extauthz_decisions_total{reason="ok",result="allow"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"extauthz_decisions_total"); err != nil {
		t.Errorf("decisions metric: %v", err)
	}
	if got := durationCount(t, reg, "grpc"); got != 3 {
		t.Errorf("check duration observations for grpc = %d, want 3", got)
	}

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("log lines = %d, want one per denial (2):\n%s", len(lines), logs.String())
	}
	if !strings.Contains(lines[0], `"reason":"expired"`) ||
		!strings.Contains(lines[0], `"provider":"main"`) ||
		!strings.Contains(lines[0], `"listener":"grpc"`) {
		t.Errorf("denial log line = %s, want reason, provider and listener", lines[0])
	}
	for _, secret := range []string{expired, strings.Split(expired, ".")[1], "alice"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs hold token content %.20q:\n%s", secret, logs.String())
		}
	}
}

// durationCount returns how many check durations reg holds for listener.
func durationCount(t *testing.T, reg *prometheus.Registry, listener string) uint64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	for _, f := range families {
		if f.GetName() != "extauthz_check_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "listener" && l.GetValue() == listener {
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return 0
}
