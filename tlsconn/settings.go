package tlsconn

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
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
// says what it is. Start from DefaultSettings, or call EnsureDefaults: an
// empty Protocols or AuthClients is an error. Settings is a plain value,
// comparable and safe to copy. The same Settings configure the listeners
// (NewServerTLS) and the outgoing links (NewDialer).
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
	// settings again (ServerTLS.Update, Reload), or let
	// ServerTLS.ReloadIfChanged see the new file. Default "".
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

// EnsureDefaults gives the fields whose empty value means nothing their
// default, as DefaultSettings has it: AuthClients "yes" and Protocols
// "TLSv1.2 TLSv1.3". It returns s. The other fields are left alone, since
// their zero value means something (SessionCaching false: no resumption;
// SessionCacheSize 0: no limit; SessionCacheTimeout 0: no resumption), so
// settings built field by field should start from DefaultSettings. The
// builds (NewServerTLS, NewDialer ...) do not call it: they refuse an empty
// Protocols or AuthClients, so that a directive set to "" is an error
// rather than quietly the default.
func (s *Settings) EnsureDefaults() *Settings {
	if s.AuthClients == "" {
		s.AuthClients = AuthClientsYes
	}
	if s.Protocols == "" {
		s.Protocols = DefaultProtocols
	}
	return s
}

// Validate checks s as a listener's configuration is built from it
// (ServerConfig), files included, without keeping the result: every value,
// the server pair (required), the client pair when both of its files are
// set, and the CA files, required when certificates are verified. It
// returns ServerConfig's error, a *SettingError.
func (s *Settings) Validate() error {
	_, err := s.ServerConfig()
	return err
}
