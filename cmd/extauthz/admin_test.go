package main

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/extauthz/extauthz/config"
)

// closedURL returns an http URL on loopback where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func healthStatus(t *testing.T, addr, service string) healthpb.HealthCheckResponse_ServingStatus {
	t.Helper()
	conn, _ := grpcClient(t, addr)
	resp, err := healthpb.NewHealthClient(conn).Check(context.Background(),
		&healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		t.Fatalf("health Check(%q): %v", service, err)
	}
	return resp.GetStatus()
}

func wantMetrics(t *testing.T, adminAddr string, lines ...string) {
	t.Helper()
	resp, body := get(t, "http://"+adminAddr+"/metrics", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d", resp.StatusCode)
	}
	for _, l := range lines {
		if !strings.Contains(body, "\n"+l+"\n") {
			t.Errorf("/metrics lacks the line %q", l)
		}
	}
}

func TestAdminBeforeKeys(t *testing.T) {
	cfg := &config.Config{
		Listen: config.Listen{GRPC: "127.0.0.1:0", HTTP: "127.0.0.1:0", Admin: "127.0.0.1:0"},
		Providers: []config.Provider{{
			Name: "down", Issuer: closedURL(t), Audiences: []string{"api"},
		}},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r := startService(t, cfg, options{})
	admin := "http://" + r.svc.adminLn.Addr().String()

	if resp, body := get(t, admin+"/healthz", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz = %d %q, want 200", resp.StatusCode, body)
	}
	resp, body := get(t, admin+"/readyz", "")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "down") {
		t.Errorf("GET /readyz = %d %q, want 503 naming provider down", resp.StatusCode, body)
	}
	if st := healthStatus(t, r.svc.grpcLn.Addr().String(), ""); st != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("gRPC health = %v, want NOT_SERVING without keys", st)
	}
	wantMetrics(t, r.svc.adminLn.Addr().String(),
		`extauthz_provider_ready{provider="down"} 0`,
		`extauthz_jwks_refresh_total{provider="down",result="success"} 0`)
	req, err := http.NewRequest("POST", admin+"/healthz", nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	presp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	presp.Body.Close()
	if presp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %d, want 405", presp.StatusCode)
	}
}

func TestAdminReady(t *testing.T) {
	idp := startIssuer(t)
	r := startService(t, testConfig(t, idp.URL()), options{})
	r.waitReady(t)
	admin := "http://" + r.svc.adminLn.Addr().String()
	grpcAddr := r.svc.grpcLn.Addr().String()

	if resp, body := get(t, admin+"/readyz", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz = %d %q, want 200 once keys arrived", resp.StatusCode, body)
	}
	for _, svc := range []string{"", authv3.Authorization_ServiceDesc.ServiceName} {
		if st := healthStatus(t, grpcAddr, svc); st != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("gRPC health %q = %v, want SERVING", svc, st)
		}
	}

	_, client := grpcClient(t, grpcAddr)
	token := mint(t, idp.TokenURL())
	resp, err := client.Check(context.Background(), checkRequest("Bearer "+token))
	if err != nil || codes.Code(resp.GetStatus().GetCode()) != codes.OK {
		t.Fatalf("Check with a dev token = %v, %v; want OK", resp.GetStatus(), err)
	}
	if hr, _ := get(t, "http://"+r.svc.httpLn.Addr().String()+"/any", ""); hr.StatusCode != 401 {
		t.Fatalf("forward-auth without a token = %d, want 401", hr.StatusCode)
	}

	wantMetrics(t, r.svc.adminLn.Addr().String(),
		`extauthz_decisions_total{reason="ok",result="allow"} 1`,
		`extauthz_decisions_total{reason="missing_token",result="deny"} 1`,
		`extauthz_check_duration_seconds_count{listener="grpc"} 1`,
		`extauthz_check_duration_seconds_count{listener="http"} 1`,
		`extauthz_jwks_keys{provider="dev"} 2`,
		`extauthz_provider_ready{provider="dev"} 1`)
}
