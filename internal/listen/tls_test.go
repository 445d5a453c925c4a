package listen

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/extauthz/extauthz/internal/listen/listentest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeClock is a clock moved by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// serve starts an HTTPS server on loopback using cfg and returns its URL.
func serve(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(tls.NewListener(ln, cfg)) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve() = %v, want ErrServerClosed", err)
		}
	})
	return "https://" + ln.Addr().String()
}

// get fetches url trusting ca and presenting client (if any), and returns
// the serial number of the server's certificate.
func get(t *testing.T, url string, ca *listentest.CA, client *tls.Certificate) (*big.Int, error) {
	t.Helper()
	tc := &tls.Config{RootCAs: ca.Pool()}
	if client != nil {
		tc.Certificates = []tls.Certificate{*client}
	}
	tr := &http.Transport{TLSClientConfig: tc, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err != nil {
		return nil, err
	}
	return resp.TLS.PeerCertificates[0].SerialNumber, nil
}

type files struct {
	Files
	dir string
}

func newFiles(t *testing.T, cert, key, ca []byte) files {
	dir := t.TempDir()
	f := files{Files{filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), ""}, dir}
	listentest.WriteFile(t, f.CertFile, cert)
	listentest.WriteFile(t, f.KeyFile, key)
	if ca != nil {
		f.ClientCAFile = filepath.Join(dir, "ca.crt")
		listentest.WriteFile(t, f.ClientCAFile, ca)
	}
	return f
}

func TestServerTLS(t *testing.T) {
	ca := listentest.NewCA(t, "server CA")
	cert, key, sn := ca.Issue(t, x509.ExtKeyUsageServerAuth)
	r, err := NewReloader(newFiles(t, cert, key, nil).Files, nil)
	if err != nil {
		t.Fatalf("NewReloader() error = %v", err)
	}
	url := serve(t, r.ServerConfig("http/1.1"))

	got, err := get(t, url, ca, nil)
	if err != nil {
		t.Fatalf("GET without a client certificate: %v", err)
	}
	if got.Cmp(sn) != 0 {
		t.Errorf("server certificate serial = %v, want %v", got, sn)
	}
}

func TestMutualTLS(t *testing.T) {
	ca := listentest.NewCA(t, "mesh CA")
	other := listentest.NewCA(t, "other CA")
	cert, key, _ := ca.Issue(t, x509.ExtKeyUsageServerAuth)
	r, err := NewReloader(newFiles(t, cert, key, ca.PEM).Files, nil)
	if err != nil {
		t.Fatalf("NewReloader() error = %v", err)
	}
	url := serve(t, r.ServerConfig("http/1.1"))

	clientCert := func(issuer *listentest.CA) *tls.Certificate {
		pair := issuer.KeyPair(t, x509.ExtKeyUsageClientAuth)
		return &pair
	}
	if _, err := get(t, url, ca, clientCert(ca)); err != nil {
		t.Errorf("GET with a certificate from the client CA: %v", err)
	}
	if _, err := get(t, url, ca, nil); err == nil {
		t.Errorf("GET without a client certificate succeeded, want a handshake failure")
	}
	if _, err := get(t, url, ca, clientCert(other)); err == nil {
		t.Errorf("GET with a certificate from another CA succeeded, want a handshake failure")
	}
}

func TestReloadOnChange(t *testing.T) {
	ca := listentest.NewCA(t, "server CA")
	cert1, key1, sn1 := ca.Issue(t, x509.ExtKeyUsageServerAuth)
	f := newFiles(t, cert1, key1, nil)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	r, err := newReloader(f.Files, nil, clock.Now)
	if err != nil {
		t.Fatalf("newReloader() error = %v", err)
	}
	url := serve(t, r.ServerConfig("http/1.1"))
	wantSerial := func(step string, want *big.Int) {
		t.Helper()
		got, err := get(t, url, ca, nil)
		if err != nil {
			t.Fatalf("%s: GET: %v", step, err)
		}
		if got.Cmp(want) != 0 {
			t.Errorf("%s: server certificate serial = %v, want %v", step, got, want)
		}
	}

	cert2, key2, sn2 := ca.Issue(t, x509.ExtKeyUsageServerAuth)
	listentest.WriteFile(t, f.KeyFile, key2)
	listentest.WriteFile(t, f.CertFile, cert2)
	wantSerial("within the check interval", sn1)

	clock.Advance(checkInterval)
	wantSerial("after the check interval", sn2)

	// A broken renewal (key not matching the certificate) keeps the old pair.
	_, key3, _ := ca.Issue(t, x509.ExtKeyUsageServerAuth)
	listentest.WriteFile(t, f.KeyFile, key3)
	clock.Advance(checkInterval)
	wantSerial("after a broken renewal", sn2)

	// A removed file also keeps the old pair.
	if err := os.Remove(f.CertFile); err != nil {
		t.Fatal(err)
	}
	clock.Advance(checkInterval)
	wantSerial("after the certificate file was removed", sn2)
}

func TestReloadClientCA(t *testing.T) {
	ca1, ca2 := listentest.NewCA(t, "CA one"), listentest.NewCA(t, "CA two")
	cert, key, _ := ca1.Issue(t, x509.ExtKeyUsageServerAuth)
	f := newFiles(t, cert, key, ca1.PEM)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	r, err := newReloader(f.Files, nil, clock.Now)
	if err != nil {
		t.Fatalf("newReloader() error = %v", err)
	}
	url := serve(t, r.ServerConfig("http/1.1"))
	pair := ca2.KeyPair(t, x509.ExtKeyUsageClientAuth)

	if _, err := get(t, url, ca1, &pair); err == nil {
		t.Fatalf("GET with a CA-two client certificate succeeded before the CA changed")
	}
	listentest.WriteFile(t, f.ClientCAFile, ca2.PEM)
	clock.Advance(checkInterval)
	if _, err := get(t, url, ca1, &pair); err != nil {
		t.Errorf("GET with a CA-two client certificate after the CA changed: %v", err)
	}
}

func TestNewReloaderErrors(t *testing.T) {
	ca := listentest.NewCA(t, "CA")
	cert, key, _ := ca.Issue(t, x509.ExtKeyUsageServerAuth)
	_, otherKey, _ := ca.Issue(t, x509.ExtKeyUsageServerAuth)
	dir := t.TempDir()
	tests := []struct {
		name    string
		give    func() Files
		wantErr string
	}{
		{"missing cert", func() Files {
			f := newFiles(t, cert, key, nil)
			f.CertFile = filepath.Join(dir, "absent.crt")
			return f.Files
		}, "no such file"},
		{"mismatched key", func() Files { return newFiles(t, cert, otherKey, nil).Files },
			"private key does not match public key"},
		{"not PEM", func() Files { return newFiles(t, []byte("garbage"), key, nil).Files },
			"failed to find any PEM data"},
		{"CA without certificates", func() Files {
			return newFiles(t, cert, key, []byte("not a certificate")).Files
		}, "no PEM certificates found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReloader(tt.give(), nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewReloader() error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
