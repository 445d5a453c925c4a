package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"

	"github.com/extauthz/extauthz/config"
	"github.com/extauthz/extauthz/internal/listen/listentest"
)

// TestMutualTLSListeners serves gRPC and forward-auth with mutual TLS and
// checks that a client with a certificate from the client CA is answered,
// one without is refused, and the admin listener stays plain HTTP.
func TestMutualTLSListeners(t *testing.T) {
	serverCA, clientCA, otherCA := listentest.NewCA(t, "server CA"), listentest.NewCA(t, "client CA"),
		listentest.NewCA(t, "other CA")
	dir := t.TempDir()
	cert, key, _ := serverCA.Issue(t, x509.ExtKeyUsageServerAuth)
	files := config.TLS{
		CertFile:     filepath.Join(dir, "tls.crt"),
		KeyFile:      filepath.Join(dir, "tls.key"),
		ClientCAFile: filepath.Join(dir, "ca.crt"),
	}
	listentest.WriteFile(t, files.CertFile, cert)
	listentest.WriteFile(t, files.KeyFile, key)
	listentest.WriteFile(t, files.ClientCAFile, clientCA.PEM)

	idp := startIssuer(t)
	cfg := testConfig(t, idp.URL())
	cfg.TLS = files
	r := startService(t, cfg, options{})
	r.waitReady(t)
	token := mint(t, idp.TokenURL()+"?sub=alice")

	good := clientCA.KeyPair(t, x509.ExtKeyUsageClientAuth)
	bad := otherCA.KeyPair(t, x509.ExtKeyUsageClientAuth)
	for _, tt := range []struct {
		name    string
		certs   []tls.Certificate
		wantErr bool
	}{
		{"client CA certificate", []tls.Certificate{good}, false},
		{"no certificate", nil, true},
		{"other CA certificate", []tls.Certificate{bad}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tc := &tls.Config{RootCAs: serverCA.Pool(), Certificates: tt.certs}

			code, err := mtlsCheck(t, r.svc.grpcLn.Addr().String(), tc, token)
			if tt.wantErr != (err != nil) || (err == nil && code != codes.OK) {
				t.Errorf("gRPC Check over TLS = %v, %v; want error %v", code, err, tt.wantErr)
			}

			req, err := http.NewRequest("GET", "https://"+r.svc.httpLn.Addr().String()+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+token)
			tr := &http.Transport{TLSClientConfig: tc, DisableKeepAlives: true}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr, Timeout: waitTimeout}).Do(req)
			if err == nil {
				resp.Body.Close()
			}
			if tt.wantErr != (err != nil) || (err == nil && resp.StatusCode != http.StatusOK) {
				t.Errorf("forward-auth over TLS = %v, %v; want error %v", resp, err, tt.wantErr)
			}
		})
	}

	if resp, _ := get(t, "http://"+r.svc.adminLn.Addr().String()+"/healthz", ""); resp.StatusCode != 200 {
		t.Errorf("plain GET /healthz on the admin listener = %d, want 200", resp.StatusCode)
	}
}

func mtlsCheck(t *testing.T, addr string, tc *tls.Config, token string) (codes.Code, error) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(tc)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := authv3.NewAuthorizationClient(conn).Check(ctx, checkRequest("Bearer "+token))
	if err != nil {
		return 0, err
	}
	return codes.Code(resp.GetStatus().GetCode()), nil
}
