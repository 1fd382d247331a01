package tlsconn

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// ServerConfig builds the configuration of a TLS listener from s, reading
// the certificate, key and CA files now, each once. It checks every
// setting and returns a *SettingError naming the first one that cannot be
// applied; it also loads the client pair when both of its files are set,
// so that a broken client certificate is reported when the settings are
// applied, as redis-server does. The result is the caller's; for
// certificates that can be reloaded under a running listener, use
// ServerTLS.
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
	return s.serverConfig(newFileSet())
}

// serverConfig is ServerConfig reading the files through f.
func (s *Settings) serverConfig(f *fileSet) (*tls.Config, error) {
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
	cert, err := f.loadKeyPair(serverPairNames, s.CertFile, s.KeyFile, s.KeyFilePass)
	if err != nil {
		return nil, err
	}
	if s.ClientCertFile != "" && s.ClientKeyFile != "" {
		if _, err := f.loadKeyPair(clientPairNames, s.ClientCertFile, s.ClientKeyFile, s.ClientKeyFilePass); err != nil {
			return nil, err
		}
	}
	pool, err := f.loadCAPool(s.CACertFile, s.CACertDir)
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

// ClientConfig builds the configuration of an outgoing link (replication,
// cluster bus) to a server named serverName, reading the files now, each
// once. It presents the client pair when both ClientCertFile and
// ClientKeyFile are set, else the server pair when that is set, else no
// certificate (Redis's rule). RootCAs come from CACertFile and CACertDir,
// one of which is required (ErrCARequired): the system trust store is never
// used. Protocols, Ciphers and CipherSuites apply as on the server.
// NewDialer builds its configuration here.
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
	f := newFileSet()
	pool, err := f.loadCAPool(s.CACertFile, s.CACertDir)
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
		cert, err := f.loadKeyPair(clientPairNames, s.ClientCertFile, s.ClientKeyFile, s.ClientKeyFilePass)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	case s.CertFile != "" && s.KeyFile != "":
		cert, err := f.loadKeyPair(serverPairNames, s.CertFile, s.KeyFile, s.KeyFilePass)
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
