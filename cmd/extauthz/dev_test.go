package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
)

var (
	mintLine = regexp.MustCompile(`(?m)^TOKEN=\$\(curl -sSf '([^']+)'\)$`)
	grpcLine = regexp.MustCompile(`(?m)^grpcurl -plaintext -d '(.*)' (\S+) ` +
		`envoy\.service\.auth\.v3\.Authorization/Check$`)
	allowCurl = regexp.MustCompile(`(?m)^curl -i -H "Authorization: Bearer \$TOKEN" (http://\S+)$`)
	denyCurl  = regexp.MustCompile(`(?m)^curl -i (http://\S+)$`)
)

// devHelp is what dev printed, parsed back into the calls it tells a user
// to paste.
type devHelp struct {
	mintURL   string
	grpcAllow string // the -d argument, still in shell quoting
	grpcDeny  string
	grpcAddr  string
	httpAllow string
	httpDeny  string
	whole     string
}

func parseHelp(t *testing.T, out string) devHelp {
	t.Helper()
	h := devHelp{whole: out}
	m := mintLine.FindStringSubmatch(out)
	g := grpcLine.FindAllStringSubmatch(out, -1)
	a, d := allowCurl.FindStringSubmatch(out), denyCurl.FindStringSubmatch(out)
	if m == nil || len(g) != 2 || a == nil || d == nil {
		t.Fatalf("dev output lacks a mint line, two grpcurl lines or the two curl lines:\n%s", out)
	}
	h.mintURL, h.grpcAllow, h.grpcAddr, h.grpcDeny = m[1], g[0][1], g[0][2], g[1][1]
	h.httpAllow, h.httpDeny = a[1], d[1]
	if g[1][2] != h.grpcAddr {
		t.Fatalf("grpcurl lines name two addresses: %s and %s", h.grpcAddr, g[1][2])
	}
	return h
}

// shellData evaluates a grpcurl -d argument as a POSIX shell would, with
// $TOKEN set to token: single-quoted runs are literal, and the only other
// text the printed commands use is "$TOKEN".
func shellData(t *testing.T, arg, token string) string {
	t.Helper()
	s := strings.ReplaceAll(arg, `'"$TOKEN"'`, token)
	if strings.ContainsAny(s, `'$`) {
		t.Fatalf("grpcurl -d argument %q has quoting this test does not understand", arg)
	}
	return s
}

func checkFromJSON(t *testing.T, data string) *authv3.CheckRequest {
	t.Helper()
	req := &authv3.CheckRequest{}
	if err := protojson.Unmarshal([]byte(data), req); err != nil {
		t.Fatalf("the printed grpcurl data is not a CheckRequest: %v\n%s", err, data)
	}
	return req
}

// TestDev runs `extauthz dev` in-process on free ports, then makes the calls
// it printed through real gRPC and HTTP clients.
func TestDev(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := newWatchBuffer(), newWatchBuffer()
	status := make(chan int, 1)
	go func() {
		status <- run(ctx, []string{"dev", "--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0",
			"--admin", "127.0.0.1:0", "--issuer", "127.0.0.1:0"}, stdout, stderr)
	}()
	defer func() {
		cancel()
		if got := <-status; got != 0 {
			t.Errorf("dev exit status = %d, want 0; stderr:\n%s", got, stderr)
		}
	}()

	h := parseHelp(t, stdout.waitFor(t, "Ctrl-C stops."))
	if strings.Contains(h.whole, "eyJ") {
		t.Errorf("dev printed what looks like a token:\n%s", h.whole)
	}
	token := mint(t, h.mintURL)
	_, client := grpcClient(t, h.grpcAddr)

	resp, err := client.Check(ctx, checkFromJSON(t, shellData(t, h.grpcAllow, token)))
	if err != nil {
		t.Fatalf("printed allowed grpcurl call: Check error = %v", err)
	}
	if code := codes.Code(resp.GetStatus().GetCode()); code != codes.OK {
		t.Errorf("printed allowed grpcurl call: status = %v, want OK", code)
	}
	if sub := headerValue(resp.GetOkResponse().GetHeaders(), "x-jwt-sub"); sub != "alice" {
		t.Errorf("printed allowed grpcurl call: x-jwt-sub = %q, want alice", sub)
	}

	resp, err = client.Check(ctx, checkFromJSON(t, shellData(t, h.grpcDeny, token)))
	if err != nil {
		t.Fatalf("printed denied grpcurl call: Check error = %v", err)
	}
	if code := codes.Code(resp.GetStatus().GetCode()); code != codes.Unauthenticated {
		t.Errorf("printed denied grpcurl call: status = %v, want Unauthenticated", code)
	}

	hr, _ := get(t, h.httpAllow, "Bearer "+token)
	if hr.StatusCode != http.StatusOK || hr.Header.Get("X-Jwt-Sub") != "alice" {
		t.Errorf("printed allowed curl call: %d with x-jwt-sub %q, want 200 and alice",
			hr.StatusCode, hr.Header.Get("X-Jwt-Sub"))
	}
	hr, _ = get(t, h.httpDeny, "")
	if hr.StatusCode != http.StatusUnauthorized || hr.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("printed denied curl call: %d with WWW-Authenticate %q, want 401 and Bearer",
			hr.StatusCode, hr.Header.Get("WWW-Authenticate"))
	}
}

// TestSIGTERMExitsZero runs the real process (this test binary acting as
// extauthz), makes a check, and sends SIGTERM.
func TestSIGTERMExitsZero(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	cmd := exec.Command(os.Args[0], "dev", "--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0",
		"--admin", "127.0.0.1:0", "--issuer", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	stdout, stderr := newWatchBuffer(), newWatchBuffer()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	// Wait returns when the process exits; the deferred Kill makes sure of it.
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill() // An error means it has exited already.
		<-exited
	}()

	h := parseHelp(t, stdout.waitFor(t, "Ctrl-C stops."))
	token := mint(t, h.mintURL)
	_, client := grpcClient(t, h.grpcAddr)
	resp, err := client.Check(context.Background(), checkRequest("Bearer "+token))
	if err != nil || resp.GetStatus().GetCode() != int32(codes.OK) {
		t.Fatalf("Check before SIGTERM = %v, %v; want OK", resp.GetStatus(), err)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err // for the deferred cleanup
		if err != nil {
			t.Fatalf("after SIGTERM the process exited with %v, want status 0; stderr:\n%s", err, stderr)
		}
	case <-time.After(waitTimeout):
		t.Fatalf("still running %v after SIGTERM; stderr:\n%s", waitTimeout, stderr)
	}
	if !strings.Contains(stderr.String(), "msg=stopped") {
		t.Errorf("stderr lacks the stopped line:\n%s", stderr)
	}
}
