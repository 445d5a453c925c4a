package listen

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
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
	r, err := newReloader(f.Files, nil, clock.Now, readFile)
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
	r, err := newReloader(f.Files, nil, clock.Now, readFile)
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
		{"cert is a directory", func() Files {
			f := newFiles(t, cert, key, nil)
			f.CertFile = t.TempDir()
			return f.Files
		}, "not a regular file"},
		{"cert too large", func() Files { return newFiles(t, padded(cert), key, nil).Files },
			"larger than 1048576 bytes"},
		{"CA too large", func() Files { return newFiles(t, cert, key, padded(ca.PEM)).Files },
			"larger than 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.give()
			_, err := NewReloader(f, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewReloader() error = %v, want one containing %q", err, tt.wantErr)
			}
			// The error ends start-up, so it must be one line that says which file.
			msg := err.Error()
			named := strings.Contains(msg, f.CertFile) || strings.Contains(msg, f.KeyFile) ||
				f.ClientCAFile != "" && strings.Contains(msg, f.ClientCAFile)
			if strings.Contains(msg, "\n") || !named {
				t.Errorf("NewReloader() error = %q, want one line naming the file", msg)
			}
		})
	}
}

// padded returns pem followed by enough blank lines to pass maxFileSize;
// without a size limit it would load as the PEM it starts with.
func padded(pem []byte) []byte {
	return append(append([]byte{}, pem...), bytes.Repeat([]byte("\n"), maxFileSize)...)
}

// logBuffer collects log output from handshake goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A file that is not a regular file, or too large, is refused on reload
// without being read, and the previous certificate stays in use.
func TestReloadRefusesBadFiles(t *testing.T) {
	ca := listentest.NewCA(t, "server CA")
	cert1, key1, sn1 := ca.Issue(t, x509.ExtKeyUsageServerAuth)
	cert2, key2, _ := ca.Issue(t, x509.ExtKeyUsageServerAuth)
	f := newFiles(t, cert1, key1, nil)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	logs := &logBuffer{}
	r, err := newReloader(f.Files, slog.New(slog.NewTextHandler(logs, nil)), clock.Now, readFile)
	if err != nil {
		t.Fatalf("newReloader() error = %v", err)
	}
	url := serve(t, r.ServerConfig("http/1.1"))

	steps := []struct {
		name    string
		swap    func()
		wantLog string
	}{
		{"cert too large", func() {
			listentest.WriteFile(t, f.KeyFile, key2)
			listentest.WriteFile(t, f.CertFile, padded(cert2))
		}, "larger than 1048576 bytes"},
		{"cert replaced by a directory", func() {
			if err := os.Remove(f.CertFile); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(f.CertFile, 0o700); err != nil {
				t.Fatal(err)
			}
		}, "not a regular file"},
	}
	for _, step := range steps {
		step.swap()
		clock.Advance(checkInterval)
		got, err := get(t, url, ca, nil)
		if err != nil {
			t.Fatalf("%s: GET: %v", step.name, err)
		}
		if got.Cmp(sn1) != 0 {
			t.Errorf("%s: server certificate serial = %v, want the previous %v",
				step.name, got, sn1)
		}
		if !strings.Contains(logs.String(), step.wantLog) {
			t.Errorf("%s: log %q does not say %q", step.name, logs.String(), step.wantLog)
		}
	}
}

// While one handshake reads the files, the others are served the current
// certificate rather than waiting, and none starts a second read.
func TestReloadDoesNotStallHandshakes(t *testing.T) {
	ca := listentest.NewCA(t, "server CA")
	cert1, key1, sn1 := ca.Issue(t, x509.ExtKeyUsageServerAuth)
	cert2, key2, sn2 := ca.Issue(t, x509.ExtKeyUsageServerAuth)
	f := newFiles(t, cert1, key1, nil)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var reads atomic.Int32
	entered, release := make(chan struct{}), make(chan struct{})
	read := func(name string) ([]byte, error) {
		if name == f.CertFile && reads.Add(1) == 2 { // the first read is NewReloader's
			close(entered)
			<-release
		}
		return readFile(name)
	}
	r, err := newReloader(f.Files, nil, clock.Now, read)
	if err != nil {
		t.Fatalf("newReloader() error = %v", err)
	}
	url := serve(t, r.ServerConfig("http/1.1"))

	listentest.WriteFile(t, f.KeyFile, key2)
	listentest.WriteFile(t, f.CertFile, cert2)
	clock.Advance(checkInterval)
	type result struct {
		serial *big.Int
		err    error
	}
	slow := make(chan result, 1)
	go func() { // ends when release is closed and the GET completes
		serial, err := get(t, url, ca, nil)
		slow <- result{serial, err}
	}()
	<-entered

	clock.Advance(checkInterval) // a check is due again, but one is running
	got, err := get(t, url, ca, nil)
	if err != nil || got.Cmp(sn1) != 0 {
		t.Errorf("GET during a reload: serial %v (%v), want the current %v", got, err, sn1)
	}
	close(release)
	res := <-slow
	if res.err != nil || res.serial.Cmp(sn2) != 0 {
		t.Errorf("GET that ran the reload: serial %v (%v), want the new %v",
			res.serial, res.err, sn2)
	}
	if n := reads.Load(); n != 2 {
		t.Errorf("cert file read %d times, want 2 (start-up and one reload)", n)
	}
}

// A file that stays broken is reported once, not at every check, and a
// successful reload names the files that changed and nothing else.
func TestReloadLogsOncePerChange(t *testing.T) {
	ca := listentest.NewCA(t, "server CA")
	cert, key, _ := ca.Issue(t, x509.ExtKeyUsageServerAuth)
	f := newFiles(t, cert, key, ca.PEM)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	logs := &logBuffer{}
	r, err := newReloader(f.Files, slog.New(slog.NewTextHandler(logs, nil)), clock.Now, readFile)
	if err != nil {
		t.Fatalf("newReloader() error = %v", err)
	}
	check := func(times int) {
		for range times {
			clock.Advance(checkInterval)
			r.current()
		}
	}
	const failed = "could not be loaded"

	listentest.WriteFile(t, f.CertFile, []byte("not PEM"))
	check(5)
	if n := strings.Count(logs.String(), failed); n != 1 {
		t.Fatalf("after 5 checks of a broken certificate, %d warnings, want 1:\n%s", n, logs)
	}

	listentest.WriteFile(t, f.CertFile, cert)
	check(3)
	if n := strings.Count(logs.String(), failed); n != 1 {
		t.Errorf("after the certificate was restored, %d warnings, want still 1:\n%s", n, logs)
	}

	other := listentest.NewCA(t, "other CA")
	listentest.WriteFile(t, f.ClientCAFile, other.PEM)
	check(3)
	out := logs.String()
	reloaded := out[strings.LastIndex(out, "TLS files reloaded"):]
	if !strings.Contains(reloaded, f.ClientCAFile) || strings.Contains(reloaded, f.CertFile) {
		t.Errorf("reload of the client CA logged %q, want it to name %s only", reloaded, f.ClientCAFile)
	}

	listentest.WriteFile(t, f.CertFile, []byte("not PEM"))
	check(2)
	if n := strings.Count(logs.String(), failed); n != 2 {
		t.Errorf("after the certificate broke again, %d warnings, want 2:\n%s", n, logs)
	}
}
