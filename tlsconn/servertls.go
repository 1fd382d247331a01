package tlsconn

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"sync"
	"sync/atomic"
)

// ServerTLS holds the TLS configuration of listeners and replaces it on
// reload, so that CONFIG SET of a TLS directive, or a rotated certificate
// file, applies to new handshakes while established connections carry on
// with the configuration they were made with. It remembers a sum of the
// files each configuration was built from, computed from the very bytes
// the build read, which is how ReloadIfChanged tells that they changed.
// Create one with NewServerTLS; it is safe for concurrent use.
type ServerTLS struct {
	mu      sync.Mutex // serializes Update, Adopt and the reloads; guards seen
	current atomic.Pointer[builtServerTLS]
	config  *tls.Config
	// seen is the sum of the files as the last build of the settings in
	// service read them, whether that build succeeded or not: a broken
	// file is tried once per change, not at every check.
	seen [sha256.Size]byte
}

// builtServerTLS is one configuration and what it was built from.
type builtServerTLS struct {
	settings Settings
	config   *tls.Config
	sum      [sha256.Size]byte
}

// buildServerTLS builds s's server configuration from the files in f, and
// returns the sum of those files (even when the build fails).
func buildServerTLS(s Settings, f *fileSet) (*builtServerTLS, [sha256.Size]byte, error) {
	cfg, err := s.serverConfig(f)
	sum := f.sum(&s)
	if err != nil {
		return nil, sum, err
	}
	return &builtServerTLS{settings: s, config: cfg, sum: sum}, sum, nil
}

// NewServerTLS builds the configuration for s (see Settings.ServerConfig),
// reading each file once, and returns a holder serving it. Building a
// ServerTLS does not put it in service anywhere: a caller that must check
// the files before it commits to a change (CONFIG SET) builds one, and then
// hands it to the holder in service with Adopt.
func NewServerTLS(s Settings) (*ServerTLS, error) {
	b, _, err := buildServerTLS(s, newFileSet())
	if err != nil {
		return nil, err
	}
	t := &ServerTLS{seen: b.sum}
	t.current.Store(b)
	t.config = &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return t.current.Load().config, nil
		},
	}
	return t, nil
}

// Config returns the configuration to give a listener (tls.NewListener,
// tls.Server; Listen takes the ServerTLS itself). Its GetConfigForClient
// hands each new handshake the configuration current at that moment, which
// is how Update, Adopt and the reloads reach new connections. The same
// *tls.Config is returned on every call and must not be modified: apart
// from GetConfigForClient, its fields are not consulted for handshakes.
func (t *ServerTLS) Config() *tls.Config { return t.config }

// Settings returns the settings of the configuration in service.
func (t *ServerTLS) Settings() Settings { return t.current.Load().settings }

// Certificate returns the server certificate in service (the leaf).
func (t *ServerTLS) Certificate() *x509.Certificate {
	c := t.current.Load().config
	if len(c.Certificates) == 0 {
		return nil
	}
	leaf := c.Certificates[0].Leaf
	if leaf == nil && len(c.Certificates[0].Certificate) > 0 {
		leaf, _ = x509.ParseCertificate(c.Certificates[0].Certificate[0])
	}
	return leaf
}

// Update builds a configuration from s, reading every file again even when
// s equals the current settings (the certificate-rotation path: CONFIG SET
// tls-cert-file to its current value), and puts it in service for the
// handshakes that start after it returns. If building fails, the current
// configuration stays in service and the error (a *SettingError) is
// returned. Established connections are never affected; sessions issued
// before the update do not resume after it.
func (t *ServerTLS) Update(s Settings) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	b, _, err := buildServerTLS(s, newFileSet())
	if err != nil {
		return err
	}
	t.current.Store(b)
	t.seen = b.sum
	return nil
}

// Adopt puts the configuration from was built with in service in t, for
// the handshakes that start after it returns, with the sum of the files it
// was built from: Update in two steps, for a caller that must build (and so
// read and check the files) before it knows whether to commit. from itself
// is left as it was.
func (t *ServerTLS) Adopt(from *ServerTLS) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := from.current.Load()
	t.current.Store(b)
	t.seen = b.sum
}

// Reload reads the files of the settings in service again and puts what
// they build in service, as Update with the same settings does. If they do
// not build (a half-written file, a key that does not match its
// certificate), the configuration in service stays and the error is
// returned; ReloadIfChanged will not try these files again until they
// change.
func (t *ServerTLS) Reload() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.reloadLocked(newFileSet())
}

// ReloadIfChanged is Reload when the contents of the files (certificate,
// key, CA file, the CA directory's files) differ from what the last build
// of the settings in service read, successful or not, and nothing
// otherwise. It reports whether it reloaded, and the error of that reload.
// Each file is read once: the build uses the bytes that were compared.
func (t *ServerTLS) ReloadIfChanged() (reloaded bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := newFileSet()
	s := t.current.Load().settings
	if f.sum(&s) == t.seen {
		return false, nil
	}
	return true, t.reloadLocked(f)
}

// reloadLocked builds the settings in service from f. Called with mu held.
func (t *ServerTLS) reloadLocked(f *fileSet) error {
	b, sum, err := buildServerTLS(t.current.Load().settings, f)
	t.seen = sum
	if err != nil {
		return err
	}
	t.current.Store(b)
	return nil
}
