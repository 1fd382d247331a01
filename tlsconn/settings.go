package tlsconn

import (
	"container/list"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Values of tls-auth-clients (Settings.AuthClients).
const (
	AuthClientsYes      = "yes"      // a verified client certificate is required
	AuthClientsOptional = "optional" // a client certificate is verified if sent
	AuthClientsNo       = "no"       // no client certificate is asked for
)

// Redis's defaults for the TLS directives that have one.
const (
	DefaultProtocols           = "TLSv1.2 TLSv1.3"
	DefaultSessionCacheSize    = 20480
	DefaultSessionCacheTimeout = 300 // seconds
)

// Errors wrapped by the *SettingError values this file returns; test with
// errors.Is. A file that cannot be read gives a *SettingError wrapping the
// *fs.PathError instead.
var (
	// ErrInvalidSetting: a value is malformed, unknown or missing.
	ErrInvalidSetting = errors.New("tlsconn: invalid TLS setting")
	// ErrInsecureSetting: a protocol version or cipher suite that is
	// insecure (TLS 1.0/1.1, RC4, 3DES, ...) was asked for and is refused.
	ErrInsecureSetting = errors.New("tlsconn: insecure TLS setting refused")
	// ErrNotSupportedByGo: a value OpenSSL understands but Go's crypto/tls
	// cannot honour (cipher keywords, a subset of the TLS 1.3 suites, a
	// PKCS#8-encrypted key).
	ErrNotSupportedByGo = errors.New("tlsconn: not supported by Go's crypto/tls")
	// ErrCARequired: client certificates are verified, or tls-replication
	// or tls-cluster is on, and neither tls-ca-cert-file nor
	// tls-ca-cert-dir is set. The system trust store is never used in its
	// place.
	ErrCARequired = errors.New("tlsconn: tls-ca-cert-file or tls-ca-cert-dir is required")
	// ErrKeyPassword: an encrypted private key could not be decrypted,
	// because the password is missing or wrong.
	ErrKeyPassword = errors.New("tlsconn: cannot decrypt the private key")
)

// SettingError reports a TLS directive that cannot be applied. Its message
// names the directive and the offending value (never a password), which is
// what CONFIG SET and the startup log show.
type SettingError struct {
	// Directive is Redis's name for the setting: "tls-ciphers".
	Directive string
	// Value is the offending value or list element; it may be empty.
	Value string
	// Reason says what is wrong, as a predicate: "is insecure ...".
	Reason string
	// Err is what errors.Is and errors.As look into: one of the Err*
	// sentinels above, a file system error, or both.
	Err error
}

// Error returns "tlsconn: <directive> "<value>" <reason>".
func (e *SettingError) Error() string {
	var b strings.Builder
	b.WriteString("tlsconn: ")
	b.WriteString(e.Directive)
	if e.Value != "" {
		fmt.Fprintf(&b, " %q", e.Value)
	}
	b.WriteString(" ")
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns Err.
func (e *SettingError) Unwrap() error { return e.Err }

func newSettingError(directive, value string, err error, format string, args ...any) *SettingError {
	return &SettingError{Directive: directive, Value: value, Reason: fmt.Sprintf(format, args...), Err: err}
}

// Settings holds Redis's TLS directives, one field each, under a name that
// says what it is. Start from DefaultSettings: the zero value is not usable
// (an empty Protocols or AuthClients is an error). Settings is a plain value,
// comparable and safe to copy.
//
// What Go's crypto/tls does differently from OpenSSL, and therefore from
// redis-server, is said at each field.
type Settings struct {
	// CertFile is tls-cert-file: the server certificate (PEM, optionally
	// followed by its intermediates). Required by ServerConfig. Default "".
	CertFile string
	// KeyFile is tls-key-file: the private key of CertFile (PEM: PKCS#8,
	// "EC PRIVATE KEY" or "RSA PRIVATE KEY"). Required. Default "".
	KeyFile string
	// KeyFilePass is tls-key-file-pass: the password of an encrypted
	// KeyFile. Only OpenSSL's traditional encrypted PEM ("Proc-Type:
	// 4,ENCRYPTED", as written by `openssl pkey -traditional -aes256`) is
	// supported; a PKCS#8 "ENCRYPTED PRIVATE KEY" is refused with
	// ErrNotSupportedByGo, because Go's standard library cannot decrypt it.
	// Ignored when the key is not encrypted, as OpenSSL does. Default "".
	KeyFilePass string

	// ClientCertFile is tls-client-cert-file: the certificate presented on
	// outgoing links (replication, cluster bus). Used only when
	// ClientKeyFile is set too; otherwise the server pair is presented,
	// which is Redis's rule. Default "".
	ClientCertFile string
	// ClientKeyFile is tls-client-key-file, the key of ClientCertFile.
	// Default "".
	ClientKeyFile string
	// ClientKeyFilePass is tls-client-key-file-pass, as KeyFilePass for
	// ClientKeyFile. Default "".
	ClientKeyFilePass string

	// CACertFile is tls-ca-cert-file: PEM certificates of the CAs that
	// client certificates (server side) and server certificates (outgoing
	// links) must chain to. Default "".
	CACertFile string
	// CACertDir is tls-ca-cert-dir: a directory of CA certificates. Every
	// regular file in it (symbolic links followed, so OpenSSL's c_rehash
	// "<hash>.0" links work as well as plain .pem/.crt files) that holds PEM
	// certificates is loaded; other files are skipped, and a directory
	// without any certificate is an error. Unlike OpenSSL, which looks
	// certificates up in the directory at each verification, the files are
	// read when the configuration is built: after adding a CA, apply the
	// settings again (ServerTLS.Update). Default "".
	//
	// One of CACertFile and CACertDir is required when AuthClients is yes or
	// optional, or Replication or Cluster is on (ErrCARequired); the system
	// trust store is never used in their place.
	CACertDir string

	// AuthClients is tls-auth-clients: "yes" (a client certificate signed
	// by the CA is required), "optional" (a certificate is verified if the
	// client sends one; a client without one is accepted), or "no" (none
	// is asked for). Case-insensitive. Default "yes".
	AuthClients string

	// Protocols is tls-protocols: the TLS versions allowed, among "TLSv1.2"
	// and "TLSv1.3", separated by spaces, in any order, case-insensitive.
	// "TLSv1" and "TLSv1.1" are refused as insecure (ErrInsecureSetting)
	// where redis-server would accept them. Default "TLSv1.2 TLSv1.3".
	Protocols string

	// Ciphers is tls-ciphers: the cipher suites allowed for TLS 1.2, as an
	// OpenSSL cipher list of suite names (see ParseCiphers). OpenSSL
	// keywords and operators ("HIGH:!aNULL", "DEFAULT") cannot be
	// expressed in Go and are errors, as are suites Go implements only as
	// insecure. Empty means Go's default suites. Default "".
	Ciphers string

	// CipherSuites is tls-ciphersuites: the TLS 1.3 suites. Go always
	// enables all three of its TLS 1.3 suites and cannot restrict them, so
	// only an empty value or a list naming exactly those three is accepted
	// (see ParseCipherSuites). Default "".
	CipherSuites string

	// PreferServerCiphers is tls-prefer-server-ciphers. It is accepted and
	// has no effect: Go orders suites itself (preferring AES-GCM when the
	// hardware accelerates AES, ChaCha20 otherwise) and ignores any
	// preference given; the deprecated tls.Config.PreferServerCipherSuites
	// is never set. Default false (no).
	PreferServerCiphers bool

	// SessionCaching is tls-session-caching: whether clients may resume
	// sessions, TLS 1.2 and 1.3 alike. The sessions stay in a server-side
	// cache, as OpenSSL's do; the session ticket a client receives is only
	// the random identifier of its entry. Default true (yes).
	SessionCaching bool
	// SessionCacheSize is tls-session-cache-size: the most sessions the
	// cache holds, the least recently used leaving first; 0 means no
	// limit, as in OpenSSL. Default 20480.
	SessionCacheSize int
	// SessionCacheTimeout is tls-session-cache-timeout, in seconds: how
	// long after its ticket was issued a session can be resumed. 0 turns
	// resumption off. Each resumption issues a fresh ticket, so a client
	// that keeps resuming keeps its session (as OpenSSL does with TLS 1.3
	// tickets), within Go's own seven-day limit on a TLS 1.2 master secret.
	// Default 300.
	SessionCacheTimeout int

	// Replication is tls-replication: whether replication links use TLS.
	// Here it only makes a CA mandatory; the replication code reads it.
	// Default false (no).
	Replication bool
	// Cluster is tls-cluster: whether the cluster bus uses TLS (and
	// announces TLS ports). Here it only makes a CA mandatory; the cluster
	// code reads it. Default false (no).
	Cluster bool
}

// DefaultSettings returns Redis's defaults: AuthClients "yes", Protocols
// "TLSv1.2 TLSv1.3", session caching on with 20480 entries and 300 seconds,
// every other field empty or off. The certificate and key files still have
// to be set.
func DefaultSettings() Settings {
	return Settings{
		AuthClients:         AuthClientsYes,
		Protocols:           DefaultProtocols,
		SessionCaching:      true,
		SessionCacheSize:    DefaultSessionCacheSize,
		SessionCacheTimeout: DefaultSessionCacheTimeout,
	}
}

// ParseAuthClients checks a tls-auth-clients value and returns its canonical
// form: AuthClientsYes, AuthClientsOptional or AuthClientsNo. Matching is
// case-insensitive. Anything else is a *SettingError wrapping
// ErrInvalidSetting.
func ParseAuthClients(s string) (string, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case AuthClientsYes, AuthClientsOptional, AuthClientsNo:
		return v, nil
	}
	return "", newSettingError("tls-auth-clients", s, ErrInvalidSetting, "must be yes, optional or no")
}

func clientAuthType(s string) (tls.ClientAuthType, error) {
	v, err := ParseAuthClients(s)
	if err != nil {
		return 0, err
	}
	switch v {
	case AuthClientsYes:
		return tls.RequireAndVerifyClientCert, nil
	case AuthClientsOptional:
		return tls.VerifyClientCertIfGiven, nil
	}
	return tls.NoClientCert, nil
}

// ParseProtocols turns a tls-protocols value into the lowest and highest TLS
// version allowed: "TLSv1.2 TLSv1.3" gives (tls.VersionTLS12,
// tls.VersionTLS13), "TLSv1.3" gives TLS 1.3 only. Versions are separated by
// spaces or commas, in any order, case-insensitive. "TLSv1", "TLSv1.1" (and
// SSL) are refused with ErrInsecureSetting; an empty value or an unknown
// name with ErrInvalidSetting. Errors are *SettingError values.
func ParseProtocols(s string) (minVersion, maxVersion uint16, err error) {
	const directive = "tls-protocols"
	elems := splitList(s)
	if len(elems) == 0 {
		return 0, 0, newSettingError(directive, s, ErrInvalidSetting,
			"is empty; allow TLSv1.2 and/or TLSv1.3 (Redis's default is %q)", DefaultProtocols)
	}
	for _, elem := range elems {
		var v uint16
		switch strings.ToLower(elem) {
		case "tlsv1.2":
			v = tls.VersionTLS12
		case "tlsv1.3":
			v = tls.VersionTLS13
		case "tlsv1", "tlsv1.0", "tlsv1.1", "sslv2", "sslv3":
			return 0, 0, newSettingError(directive, elem, ErrInsecureSetting,
				"is insecure and not supported; allow TLSv1.2 and/or TLSv1.3")
		default:
			return 0, 0, newSettingError(directive, elem, ErrInvalidSetting,
				"is not a TLS version; allow TLSv1.2 and/or TLSv1.3")
		}
		if minVersion == 0 || v < minVersion {
			minVersion = v
		}
		if v > maxVersion {
			maxVersion = v
		}
	}
	return minVersion, maxVersion, nil
}

// limits are the protocol and cipher restrictions shared by the server and
// client configurations.
type limits struct {
	minVersion, maxVersion uint16
	suites                 []uint16
}

func (s *Settings) parseLimits() (limits, error) {
	var l limits
	var err error
	if l.minVersion, l.maxVersion, err = ParseProtocols(s.Protocols); err != nil {
		return l, err
	}
	if l.suites, err = ParseCiphers(s.Ciphers); err != nil {
		return l, err
	}
	if err = ParseCipherSuites(s.CipherSuites); err != nil {
		return l, err
	}
	return l, nil
}

func (l limits) apply(cfg *tls.Config) {
	cfg.MinVersion = l.minVersion
	cfg.MaxVersion = l.maxVersion
	cfg.CipherSuites = l.suites
}

// ServerConfig builds the configuration of a TLS listener from s, reading
// the certificate, key and CA files now. It checks every setting and returns
// a *SettingError naming the first one that cannot be applied; it also loads
// the client pair when both of its files are set, so that a broken client
// certificate is reported when the settings are applied, as redis-server
// does. The result is the caller's; for certificates that can be reloaded
// under a running listener, use ServerTLS.
//
// The configuration maps the directives as follows: Protocols to
// MinVersion/MaxVersion; Ciphers to CipherSuites; AuthClients to ClientAuth,
// with ClientCAs from CACertFile and CACertDir only; SessionCaching to
// SessionTicketsDisabled; SessionCacheSize and SessionCacheTimeout to a
// server-side session cache behind WrapSession/UnwrapSession (Config.Time,
// when set, is its clock): a ticket is a random identifier of a cache
// entry. The cache belongs to this configuration alone, so sessions issued
// under another configuration never resume under this one.
func (s *Settings) ServerConfig() (*tls.Config, error) {
	clientAuth, err := clientAuthType(s.AuthClients)
	if err != nil {
		return nil, err
	}
	l, err := s.parseLimits()
	if err != nil {
		return nil, err
	}
	if s.SessionCacheSize < 0 {
		return nil, newSettingError("tls-session-cache-size", fmt.Sprint(s.SessionCacheSize), ErrInvalidSetting, "must not be negative")
	}
	if s.SessionCacheTimeout < 0 {
		return nil, newSettingError("tls-session-cache-timeout", fmt.Sprint(s.SessionCacheTimeout), ErrInvalidSetting, "must not be negative")
	}
	if s.CertFile == "" {
		return nil, newSettingError("tls-cert-file", "", ErrInvalidSetting, "is required for a TLS listener")
	}
	if s.KeyFile == "" {
		return nil, newSettingError("tls-key-file", "", ErrInvalidSetting, "is required for a TLS listener")
	}
	cert, err := loadKeyPair(serverPairNames, s.CertFile, s.KeyFile, s.KeyFilePass)
	if err != nil {
		return nil, err
	}
	if s.ClientCertFile != "" && s.ClientKeyFile != "" {
		if _, err := loadKeyPair(clientPairNames, s.ClientCertFile, s.ClientKeyFile, s.ClientKeyFilePass); err != nil {
			return nil, err
		}
	}
	pool, err := loadCAPool(s.CACertFile, s.CACertDir)
	if err != nil {
		return nil, err
	}
	if pool == nil {
		switch {
		case clientAuth != tls.NoClientCert:
			return nil, newSettingError("tls-auth-clients", s.AuthClients, ErrCARequired,
				"verifies client certificates and needs tls-ca-cert-file or tls-ca-cert-dir (the system trust store is never used)")
		case s.Replication:
			return nil, newSettingError("tls-replication", "yes", ErrCARequired,
				"needs tls-ca-cert-file or tls-ca-cert-dir to verify the other side (the system trust store is never used)")
		case s.Cluster:
			return nil, newSettingError("tls-cluster", "yes", ErrCARequired,
				"needs tls-ca-cert-file or tls-ca-cert-dir to verify the other side (the system trust store is never used)")
		}
	}

	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   clientAuth,
	}
	l.apply(cfg)
	if clientAuth != tls.NoClientCert {
		cfg.ClientCAs = pool
	}
	if !s.SessionCaching || s.SessionCacheTimeout == 0 {
		cfg.SessionTicketsDisabled = true
	} else {
		cacheSessions(cfg, s.SessionCacheSize, time.Duration(s.SessionCacheTimeout)*time.Second)
	}
	return cfg, nil
}

// sessionCache is the server-side session cache: a session ticket is only
// a random identifier of an entry here, so the session's secrets never
// leave the server, at most size sessions are kept (least recently used
// first out; 0 means no limit, as in OpenSSL), and an entry expires timeout
// after it was issued.
type sessionCache struct {
	mu      sync.Mutex
	size    int
	timeout time.Duration
	now     func() time.Time
	entries map[string]*list.Element
	lru     list.List // of *sessionEntry, most recent first
}

type sessionEntry struct {
	id      string
	state   []byte // tls.SessionState.Bytes
	expires time.Time
}

// cacheSessions makes cfg keep its sessions in a bounded server-side cache
// with the given limits.
func cacheSessions(cfg *tls.Config, size int, timeout time.Duration) *sessionCache {
	c := &sessionCache{size: size, timeout: timeout, entries: map[string]*list.Element{}}
	c.now = func() time.Time {
		if cfg.Time != nil {
			return cfg.Time()
		}
		return time.Now()
	}
	cfg.WrapSession = c.wrap
	cfg.UnwrapSession = c.unwrap
	return c
}

func (c *sessionCache) wrap(_ tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
	state, err := ss.Bytes()
	if err != nil {
		return nil, err
	}
	id := make([]byte, 16)
	rand.Read(id)
	c.mu.Lock()
	defer c.mu.Unlock()
	// The least recently used entries are at the back: drop those expired,
	// so that a cache without a size limit still forgets old sessions.
	now := c.now()
	for el := c.lru.Back(); el != nil && !now.Before(el.Value.(*sessionEntry).expires); el = c.lru.Back() {
		c.remove(el)
	}
	c.entries[string(id)] = c.lru.PushFront(&sessionEntry{id: string(id), state: state, expires: now.Add(c.timeout)})
	for c.size > 0 && c.lru.Len() > c.size {
		c.remove(c.lru.Back())
	}
	return id, nil
}

func (c *sessionCache) unwrap(id []byte, _ tls.ConnectionState) (*tls.SessionState, error) {
	c.mu.Lock()
	el, ok := c.entries[string(id)]
	if !ok {
		c.mu.Unlock()
		return nil, nil // not ours, evicted or expired: a full handshake
	}
	e := el.Value.(*sessionEntry)
	if !c.now().Before(e.expires) {
		c.remove(el)
		c.mu.Unlock()
		return nil, nil
	}
	c.lru.MoveToFront(el)
	state := e.state
	c.mu.Unlock()
	ss, err := tls.ParseSessionState(state)
	if err != nil {
		return nil, nil
	}
	return ss, nil
}

func (c *sessionCache) remove(el *list.Element) {
	delete(c.entries, el.Value.(*sessionEntry).id)
	c.lru.Remove(el)
}

// ClientConfig builds the configuration of an outgoing link (replication,
// cluster bus) to a server named serverName. It presents the client pair
// when both ClientCertFile and ClientKeyFile are set, else the server pair
// when that is set, else no certificate (Redis's rule). RootCAs come from
// CACertFile and CACertDir, one of which is required (ErrCARequired): the
// system trust store is never used. Protocols, Ciphers and CipherSuites
// apply as on the server.
//
// With a serverName, the server's certificate must be valid for that name,
// as usual in Go. With an empty serverName the certificate chain is
// verified (CA, validity dates, serverAuth usage) but no name is checked:
// that is what redis-server does on its replication and cluster links, and
// it is what lets Shingle follow a primary whose certificate does not name
// the address it is reached at. The config then sets InsecureSkipVerify
// only to replace Go's verification by that one, in VerifyConnection.
//
// No client session cache is set; a caller that wants resumption sets
// ClientSessionCache on the result, which is the caller's to modify.
func (s *Settings) ClientConfig(serverName string) (*tls.Config, error) {
	l, err := s.parseLimits()
	if err != nil {
		return nil, err
	}
	pool, err := loadCAPool(s.CACertFile, s.CACertDir)
	if err != nil {
		return nil, err
	}
	if pool == nil {
		return nil, newSettingError("tls-ca-cert-file", "", ErrCARequired,
			"or tls-ca-cert-dir is needed to verify the server of an outgoing TLS link (the system trust store is never used)")
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: serverName}
	l.apply(cfg)
	switch {
	case s.ClientCertFile != "" && s.ClientKeyFile != "":
		cert, err := loadKeyPair(clientPairNames, s.ClientCertFile, s.ClientKeyFile, s.ClientKeyFilePass)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	case s.CertFile != "" && s.KeyFile != "":
		cert, err := loadKeyPair(serverPairNames, s.CertFile, s.KeyFile, s.KeyFilePass)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if serverName == "" {
		cfg.InsecureSkipVerify = true // replaced by the chain check below
		cfg.VerifyConnection = verifyChainOnly(pool)
	}
	return cfg, nil
}

// verifyChainOnly verifies the server's certificate chain against roots,
// without checking any host name.
func verifyChainOnly(roots *x509.CertPool) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("tlsconn: the server sent no certificate")
		}
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
			Roots:         roots,
			Intermediates: inter,
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates, Err: err}
		}
		return nil
	}
}

// Validate checks s as ServerConfig does, files included, without keeping
// the result. It returns ServerConfig's error.
func (s *Settings) Validate() error {
	_, err := s.ServerConfig()
	return err
}

// pairNames are the directive names of a certificate/key pair, for errors.
type pairNames struct{ cert, key, pass string }

var (
	serverPairNames = pairNames{"tls-cert-file", "tls-key-file", "tls-key-file-pass"}
	clientPairNames = pairNames{"tls-client-cert-file", "tls-client-key-file", "tls-client-key-file-pass"}
)

// loadKeyPair reads a certificate (chain) and its key, decrypting the key
// with pass when it is encrypted.
func loadKeyPair(names pairNames, certFile, keyFile, pass string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, newSettingError(names.cert, certFile, err, "cannot be read: %v", err)
	}
	if err := checkCertificates(certPEM); err != nil {
		return tls.Certificate{}, newSettingError(names.cert, certFile, ErrInvalidSetting, "%v", err)
	}
	keyData, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, newSettingError(names.key, keyFile, err, "cannot be read: %v", err)
	}
	keyPEM, err := decryptKeyPEM(names, keyFile, keyData, pass)
	if err != nil {
		return tls.Certificate{}, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, newSettingError(names.key, keyFile, ErrInvalidSetting,
			"does not fit %s %q: %v", names.cert, certFile, err)
	}
	return cert, nil
}

// checkCertificates requires at least one CERTIFICATE block and that every
// one parses.
func checkCertificates(data []byte) error {
	n := 0
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("holds a certificate that does not parse: %v", err)
		}
		n++
	}
	if n == 0 {
		return errors.New("holds no PEM certificate")
	}
	return nil
}

// decryptKeyPEM returns the first private key block of data as unencrypted
// PEM, decrypting OpenSSL's traditional encrypted PEM with pass.
func decryptKeyPEM(names pairNames, keyFile string, data []byte, pass string) ([]byte, error) {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, newSettingError(names.key, keyFile, ErrInvalidSetting, "holds no PEM private key")
		}
		switch {
		case block.Type == "ENCRYPTED PRIVATE KEY":
			return nil, newSettingError(names.key, keyFile, ErrNotSupportedByGo,
				"is a PKCS#8-encrypted key (\"ENCRYPTED PRIVATE KEY\"), which Go's standard library cannot decrypt; "+
					"convert it to OpenSSL's traditional encrypted format with "+
					"`openssl pkey -in KEY -traditional -aes256 -out NEWKEY` (keeping %s), "+
					"or store it unencrypted with `openssl pkey -in KEY -out NEWKEY` and mode 0600", names.pass)
		case !strings.HasSuffix(block.Type, "PRIVATE KEY"):
			continue
		}
		if _, encrypted := block.Headers["Proc-Type"]; !encrypted {
			return pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: block.Bytes}), nil
		}
		if pass == "" {
			return nil, newSettingError(names.pass, "", ErrKeyPassword, "is empty but %s %q is encrypted", names.key, keyFile)
		}
		// Deprecated API on purpose: OpenSSL's traditional format is what
		// tls-key-file-pass has to read.
		//lint:ignore SA1019 interoperability with OpenSSL-encrypted keys.
		der, err := x509.DecryptPEMBlock(block, []byte(pass))
		if err == nil && !parsesAsKey(block.Type, der) {
			// The padding check passes by chance for about one wrong
			// password in 256; the key then does not parse.
			err = x509.IncorrectPasswordError
		}
		if err != nil {
			return nil, newSettingError(names.pass, "", errors.Join(ErrKeyPassword, err),
				"does not decrypt %s %q: %v", names.key, keyFile, err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: der}), nil
	}
}

func parsesAsKey(blockType string, der []byte) bool {
	var err error
	switch blockType {
	case "EC PRIVATE KEY":
		_, err = x509.ParseECPrivateKey(der)
	case "RSA PRIVATE KEY":
		_, err = x509.ParsePKCS1PrivateKey(der)
	default:
		_, err = x509.ParsePKCS8PrivateKey(der)
	}
	return err == nil
}

// loadCAPool loads the CA file and directory into one pool, or returns nil
// when neither is set.
func loadCAPool(file, dir string) (*x509.CertPool, error) {
	if file == "" && dir == "" {
		return nil, nil
	}
	pool := x509.NewCertPool()
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, newSettingError("tls-ca-cert-file", file, err, "cannot be read: %v", err)
		}
		if !pool.AppendCertsFromPEM(data) {
			return nil, newSettingError("tls-ca-cert-file", file, ErrInvalidSetting, "holds no PEM certificate")
		}
	}
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, newSettingError("tls-ca-cert-dir", dir, err, "cannot be read: %v", err)
		}
		loaded := 0
		for _, e := range entries {
			path := filepath.Join(dir, e.Name())
			fi, err := os.Stat(path) // follows c_rehash's symbolic links
			if err != nil || !fi.Mode().IsRegular() {
				continue // dangling link, directory, socket...
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, newSettingError("tls-ca-cert-dir", dir, err, "has a file that cannot be read: %v", err)
			}
			if pool.AppendCertsFromPEM(data) {
				loaded++
			}
		}
		if loaded == 0 {
			return nil, newSettingError("tls-ca-cert-dir", dir, ErrInvalidSetting, "holds no file with a PEM certificate")
		}
	}
	return pool, nil
}

// ServerTLS holds the TLS configuration of a listener and replaces it on
// reload, so that CONFIG SET of a TLS directive applies to new handshakes
// while established connections carry on with the configuration they were
// made with. It is safe for concurrent use.
type ServerTLS struct {
	mu      sync.Mutex // serializes Update; readers use current only
	current atomic.Pointer[builtServerTLS]
	config  *tls.Config
}

// builtServerTLS is one configuration in service and the settings it was
// built from.
type builtServerTLS struct {
	settings Settings
	config   *tls.Config
}

// NewServerTLS builds the configuration for s (see Settings.ServerConfig)
// and returns a holder serving it.
func NewServerTLS(s Settings) (*ServerTLS, error) {
	cfg, err := s.ServerConfig()
	if err != nil {
		return nil, err
	}
	t := &ServerTLS{}
	t.current.Store(&builtServerTLS{settings: s, config: cfg})
	t.config = &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return t.current.Load().config, nil
		},
	}
	return t, nil
}

// Config returns the configuration to give the listener (tls.NewListener,
// tls.Server, Listen). Its GetConfigForClient hands each new handshake the
// configuration current at that moment, which is how Update reaches new
// connections. The same *tls.Config is returned on every call and must not
// be modified: apart from GetConfigForClient, its fields are not consulted
// for handshakes.
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
	cfg, err := s.ServerConfig()
	if err != nil {
		return err
	}
	t.current.Store(&builtServerTLS{settings: s, config: cfg})
	return nil
}

// Adopt puts the configuration that from was built with in service in t,
// for the handshakes that start after it returns: Update in two steps, for
// a caller that must build (and so read and check the files) before it
// knows whether to commit.
func (t *ServerTLS) Adopt(from *ServerTLS) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.current.Store(from.current.Load())
}
