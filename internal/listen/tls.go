// Package listen holds the listener plumbing of extauthz: TLS and mutual TLS
// whose certificates are reloaded when their files change.
package listen

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// checkInterval bounds how often the files are read again: at most once per
// interval, on a handshake, so a busy listener does not read them on every
// connection.
const checkInterval = time.Second

// Files names the PEM files of a TLS listener. ClientCAFile is optional;
// when set, clients must present a certificate that it verifies.
type Files struct {
	CertFile     string
	KeyFile      string
	ClientCAFile string
}

// names lists the files in the order of the raw contents a Reloader keeps:
// certificate, key, client CA.
func (f Files) names() [3]string { return [3]string{f.CertFile, f.KeyFile, f.ClientCAFile} }

// Reloader serves a certificate (and client CA pool) read from files, and
// reads the files again when a handshake comes at least a second after the
// last check. A change that fails to load is logged and the previous
// certificate stays in use, so a half-written renewal never takes a listener
// down. It is safe for concurrent use.
type Reloader struct {
	files    Files
	now      func() time.Time
	readFile func(name string) ([]byte, error) // readFile; tests make it wait
	logger   *slog.Logger

	mu        sync.Mutex // guards the fields below
	checked   time.Time  // last time a read of the files began
	reloading bool       // a handshake is reading the files now
	raw       [3][]byte  // the files' contents as last loaded
	cert      *tls.Certificate
	pool      *x509.CertPool // nil without ClientCAFile
	failure   string         // the reload error last logged; "" after a success
}

// NewReloader loads the files once and fails if they do not hold a usable
// certificate, key and (when named) CA, or if one is not a regular file or
// is larger than 1 MiB. logger receives reload failures; nil discards them.
func NewReloader(f Files, logger *slog.Logger) (*Reloader, error) {
	return newReloader(f, logger, time.Now, readFile)
}

func newReloader(
	f Files,
	logger *slog.Logger,
	now func() time.Time,
	read func(string) ([]byte, error),
) (*Reloader, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Reloader{files: f, now: now, readFile: read, logger: logger}
	raw, err := r.read()
	if err != nil {
		return nil, err
	}
	if err := r.loadLocked(raw); err != nil {
		return nil, err
	}
	r.checked = now()
	return r, nil
}

// ServerConfig returns a TLS configuration for a listener that offers
// nextProtos by ALPN (gRPC needs "h2"). Every handshake uses the current
// certificate and CA; with a client CA, a verified client certificate is
// required.
func (r *Reloader) ServerConfig(nextProtos ...string) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: nextProtos,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			cert, pool := r.current()
			c := &tls.Config{
				MinVersion:   tls.VersionTLS12,
				NextProtos:   nextProtos,
				Certificates: []tls.Certificate{*cert},
			}
			if pool != nil {
				c.ClientCAs = pool
				c.ClientAuth = tls.RequireAndVerifyClientCert
			}
			return c, nil
		},
	}
}

// current returns the certificate and pool to use now, reloading them first
// when the check interval has passed and the files changed.
func (r *Reloader) current() (*tls.Certificate, *x509.CertPool) {
	r.mu.Lock()
	cert, pool := r.cert, r.pool
	now := r.now()
	due := !r.reloading && now.Sub(r.checked) >= checkInterval
	if due {
		r.checked, r.reloading = now, true
	}
	r.mu.Unlock()
	if !due {
		return cert, pool
	}

	// The files are read without the lock, so a slow file system delays only
	// this handshake; others meanwhile get the current certificate, and
	// none starts a second read.
	raw, err := r.read()

	r.mu.Lock()
	defer r.mu.Unlock()
	r.reloading = false
	r.reloadLocked(raw, err)
	return r.cert, r.pool
}

// reloadLocked loads raw when it differs from what is loaded. A failure is
// logged once per distinct error, not on every check, since a broken file
// usually stays broken until someone fixes it.
func (r *Reloader) reloadLocked(raw [3][]byte, err error) {
	var changed []string
	if err == nil {
		for i, name := range r.files.names() {
			if !bytes.Equal(raw[i], r.raw[i]) {
				changed = append(changed, name)
			}
		}
		if len(changed) == 0 {
			r.failure = "" // back to what is loaded: a new breakage is news
			return
		}
		err = r.loadLocked(raw)
	}
	if err != nil {
		if msg := err.Error(); msg != r.failure {
			r.failure = msg
			r.logger.Warn("TLS files changed but could not be loaded; keeping the previous certificate",
				"error", err)
		}
		return
	}
	r.failure = ""
	r.logger.Info("TLS files reloaded", "files", changed)
}

func (r *Reloader) read() ([3][]byte, error) {
	var raw [3][]byte
	for i, name := range r.files.names() {
		if name == "" {
			continue
		}
		b, err := r.readFile(name)
		if err != nil {
			return raw, err
		}
		raw[i] = b
	}
	return raw, nil
}

func (r *Reloader) loadLocked(raw [3][]byte) error {
	cert, err := tls.X509KeyPair(raw[0], raw[1])
	if err != nil {
		return fmt.Errorf("loading %s and %s: %w", r.files.CertFile, r.files.KeyFile, err)
	}
	var pool *x509.CertPool
	if r.files.ClientCAFile != "" {
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(raw[2]) {
			return fmt.Errorf("loading %s: %w", r.files.ClientCAFile, errNoCerts)
		}
	}
	r.raw, r.cert, r.pool = raw, &cert, pool
	return nil
}

var errNoCerts = errors.New("no PEM certificates found")
