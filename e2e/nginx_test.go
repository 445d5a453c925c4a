package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// nginxConf runs nginx as a test child: in the foreground, every path under the temp dir,
// listening on loopback only. The two server-side blocks are the README's nginx snippet.
const nginxConf = `daemon off;
master_process on;
worker_processes 1;
pid {{dir}}/nginx.pid;
error_log {{dir}}/error.log info;
events { worker_connections 64; }
http {
    access_log {{dir}}/access.log;
    client_body_temp_path {{dir}}/client_body;
    proxy_temp_path {{dir}}/proxy;
    fastcgi_temp_path {{dir}}/fastcgi;
    uwsgi_temp_path {{dir}}/uwsgi;
    scgi_temp_path {{dir}}/scgi;

    server {
        listen {{listen}};

        location / {
            auth_request /_extauthz;
            # Identity headers are extauthz's alone: set them from its answer, which replaces
            # any copy the client sent (an empty value removes the header).
            auth_request_set $jwt_sub $upstream_http_x_jwt_sub;
            auth_request_set $jwt_iss $upstream_http_x_jwt_iss;
            proxy_set_header x-jwt-sub $jwt_sub;
            proxy_set_header x-jwt-iss $jwt_iss;
            proxy_pass http://{{upstream}};
        }

        location = /_extauthz {
            internal;
            proxy_pass http://{{extauthz}}/;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI $request_uri;
            proxy_set_header X-Original-Method $request_method;
        }
    }
}
`

// upstream stands for the application behind nginx: it counts requests and records the
// identity headers each one carried.
type upstream struct {
	mu   sync.Mutex
	subs [][]string // x-jwt-sub values of each request reaching it; guarded by mu
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.subs = append(u.subs, r.Header.Values("x-jwt-sub"))
	u.mu.Unlock()
	fmt.Fprintf(w, "upstream saw x-jwt-sub=%q\n", r.Header.Values("x-jwt-sub"))
}

// requests returns the x-jwt-sub values of the requests received so far.
func (u *upstream) requests() [][]string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([][]string(nil), u.subs...)
}

// startNginx runs nginx with auth_request against the forward-auth address, in front of app,
// and returns its base URL.
func startNginx(t *testing.T, forwardAuth string, app *httptest.Server) string {
	t.Helper()
	dir := t.TempDir()
	listen := freeAddr(t)
	conf := strings.NewReplacer("{{dir}}", dir, "{{listen}}", listen,
		"{{upstream}}", app.Listener.Addr().String(), "{{extauthz}}", forwardAuth,
	).Replace(nginxConf)
	file := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	// -e: without it nginx opens the compiled-in error log before reading the config, which
	// an unprivileged user cannot write.
	cmd := exec.Command(peer(t, "nginx"), "-p", dir, "-c", file, "-e", dir+"/error.log")
	p := startProcess(t, "nginx", cmd)
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx error.log:\n%s", logs)
		}
	})
	waitListening(t, p, listen)
	return "http://" + listen
}

// waitListening polls addr until it accepts a connection.
func waitListening(t *testing.T, p *process, addr string) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if done, exitErr := p.exited(); done {
			t.Fatalf("%s exited before listening on %s: %v", p.name, addr, exitErr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not listening on %s within %v: %v", p.name, addr, startTimeout, err)
		}
		<-tick.C
	}
}

type nginxCase struct {
	name          string
	authorization string // "" sends none
	forgedSub     string // "" sends none
	wantStatus    int
	wantReached   bool     // whether the request reaches the upstream
	wantSub       []string // the x-jwt-sub values the upstream sees
	wantWWW       string   // WWW-Authenticate for a 401
}

func (tc nginxCase) run(t *testing.T, base string, app *upstream) {
	before := len(app.requests())
	req, err := http.NewRequest(http.MethodGet, base+"/orders/1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if tc.authorization != "" {
		req.Header.Set("Authorization", tc.authorization)
	}
	if tc.forgedSub != "" {
		req.Header.Set("X-Jwt-Sub", tc.forgedSub)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body) // Only shown in failure messages.
	resp.Body.Close()

	if resp.StatusCode != tc.wantStatus {
		t.Fatalf("GET via nginx = %d (%s), want %d", resp.StatusCode, body, tc.wantStatus)
	}
	got := app.requests()[before:]
	if !tc.wantReached {
		if len(got) != 0 {
			t.Fatalf("denied request reached the upstream %d times, with x-jwt-sub %v",
				len(got), got)
		}
		if www := resp.Header.Get("WWW-Authenticate"); www != tc.wantWWW {
			t.Errorf("WWW-Authenticate = %q, want %q", www, tc.wantWWW)
		}
		return
	}
	if len(got) != 1 || !slices.Equal(got[0], tc.wantSub) {
		t.Fatalf("upstream saw requests with x-jwt-sub %q, want one with %q", got, tc.wantSub)
	}
}

// TestNginxForwardAuth puts real nginx with auth_request in front of an upstream and checks
// that only allowed requests reach it, carrying the token's subject and never a forged one.
func TestNginxForwardAuth(t *testing.T) {
	s := startStack(t)
	app := &upstream{}
	appServer := httptest.NewServer(app)
	t.Cleanup(appServer.Close)
	base := startNginx(t, s.svc.httpAddr, appServer)

	valid := "Bearer " + s.idp.token(t, map[string]any{"sub": "alice", "aud": audience})
	noSub := "Bearer " + s.idp.token(t, map[string]any{"sub": nil, "aud": audience})
	alice := []string{"alice"}
	for _, tc := range []nginxCase{
		{name: "allowed", authorization: valid, wantStatus: 200, wantReached: true,
			wantSub: alice},
		{name: "allowed with forged x-jwt-sub", authorization: valid, forgedSub: "admin",
			wantStatus: 200, wantReached: true, wantSub: alice},
		{name: "allowed without sub drops forged x-jwt-sub", authorization: noSub,
			forgedSub: "admin", wantStatus: 200, wantReached: true, wantSub: nil},
		{name: "forged x-jwt-sub without token", forgedSub: "admin", wantStatus: 401,
			wantWWW: "Bearer"},
		{name: "forged x-jwt-sub with invalid token", authorization: tamper(valid),
			forgedSub: "admin", wantStatus: 401, wantWWW: `Bearer error="invalid_token"`},
		{name: "garbage token", authorization: "Bearer not.a.jwt", wantStatus: 401,
			wantWWW: `Bearer error="invalid_token"`},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, base, app) })
	}
}
