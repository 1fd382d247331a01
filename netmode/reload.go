package netmode

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shinglekv/shingle/internal/tick"
	"github.com/shinglekv/shingle/tlsconn"
)

// reloadState is what INFO tls reports of certificate reloads. Which
// files changed is the tlsconn.ServerTLS's to know.
type reloadState struct {
	mu      sync.Mutex
	at      time.Time // last attempt
	err     error     // its result
	reloads int64     // successful reloads
	fails   int64
}

// ReloadTLS reads the certificate, key and CA files again and puts them in
// service for new handshakes; open connections keep theirs. If they do not
// load (a half-written file, a key that does not match its certificate),
// the configuration in service stays, and the error is returned, logged
// and shown in INFO tls. The demo calls it on SIGHUP; with
// tls-auto-reload-interval set, the server calls it itself when the files
// change.
func (s *Server) ReloadTLS() error {
	t := s.tls.Load()
	if t == nil {
		return ErrNoTLS
	}
	return s.reloaded(t.Reload())
}

// ErrNoTLS is ReloadTLS's answer when no listener uses TLS: there is
// nothing to reload.
var ErrNoTLS = errors.New("netmode: no TLS configuration in service")

// reloaded records the outcome of a reload for INFO tls and the log, and
// returns err.
func (s *Server) reloaded(err error) error {
	r := &s.reload
	r.mu.Lock()
	r.at, r.err = time.Now(), err
	if err != nil {
		r.fails++
	} else {
		r.reloads++
	}
	r.mu.Unlock()
	log := s.cfg.Load().Logger
	if err != nil {
		log.Error("netmode: TLS reload failed; the previous certificate stays in service", "err", err)
		return err
	}
	log.Info("netmode: TLS certificates reloaded")
	return nil
}

// autoReload checks the TLS files every tls-auto-reload-interval and
// reloads them when their contents changed. A broken file is reported once
// per change, not at every check.
func (s *Server) autoReload() {
	defer s.loops.Done()
	var last time.Time
	tick.Every(s.done, time.Second, func(now time.Time) bool {
		if iv := s.cfg.Load().TLSAutoReloadInterval; iv > 0 && now.Sub(last) >= iv {
			last = now
			s.checkTLSFiles()
		}
		return true
	})
}

// checkTLSFiles reloads the TLS files if they changed since last read.
// Nothing serving TLS, there is nothing to check: the files are read when
// something does.
func (s *Server) checkTLSFiles() {
	if t := s.tls.Load(); t != nil {
		if reloaded, err := t.ReloadIfChanged(); reloaded {
			s.reloaded(err)
		}
	}
}

// infoTLS writes INFO tls, Shingle's own section: the certificate in
// service, its reloads, and the TLS handshakes by outcome, version and
// cipher suite.
func (s *Server) infoTLS(cfg *Config, line func(string, any)) {
	line("tls_port", cfg.TLSPort)
	line("quic_port", cfg.QUICPort)
	for i, l := range s.Listeners() {
		v := fmt.Sprintf("name=%s,addr=%s,accepted=%d,current=%d", l.Transport, l.Addr, l.Accepted, l.Current)
		if l.Transport == tlsconn.QUIC {
			v += fmt.Sprintf(",dropped_datagrams=%d", l.DroppedDatagrams)
		}
		line("connections_listener"+strconv.Itoa(i), v)
	}
	line("tls_auth_clients", cfg.TLS.AuthClients)
	if t := s.tls.Load(); t != nil {
		if leaf := t.Certificate(); leaf != nil {
			line("tls_cert_subject", leaf.Subject.String())
			line("tls_cert_serial", leaf.SerialNumber.Text(16))
			line("tls_cert_not_after", leaf.NotAfter.Unix())
			line("tls_cert_expires_in_seconds", int64(time.Until(leaf.NotAfter)/time.Second))
		}
	}
	line("tls_auto_reload_interval", int64(cfg.TLSAutoReloadInterval/time.Second))
	r := &s.reload
	r.mu.Lock()
	line("tls_reloads", r.reloads)
	line("tls_reload_failures", r.fails)
	switch {
	case r.at.IsZero():
		line("tls_last_reload_time", 0)
		line("tls_last_reload_status", "none")
	case r.err != nil:
		line("tls_last_reload_time", r.at.Unix())
		line("tls_last_reload_status", "failed")
		line("tls_last_reload_error", strings.ReplaceAll(r.err.Error(), "\n", " "))
	default:
		line("tls_last_reload_time", r.at.Unix())
		line("tls_last_reload_status", "ok")
	}
	r.mu.Unlock()
	st := &s.stats
	line("tls_handshakes", st.TLSHandshakes.Load())
	line("tls_handshakes_resumed", st.TLSResumed.Load())
	line("tls_handshake_failures", st.TLSHandshakeFailures.Load())
	line("tls_handshake_failures_no_client_cert", st.TLSNoClientCert.Load())
	line("tls_handshake_failures_unknown_ca", st.TLSUnknownCA.Load())
	line("tls_handshake_failures_expired_cert", st.TLSExpiredCert.Load())
	line("tls_handshake_failures_protocol_version", st.TLSProtocolVersion.Load())
	line("tls_handshake_failures_timeout", st.TLSHandshakeTimeouts.Load())
	line("tls_handshake_failures_not_tls", st.PlainTextOnTLSPort.Load())
	line("tls_handshake_failures_other", st.TLSOtherFailures.Load())
	line("tls_clients_on_plain_port", st.TLSOnPlainPort.Load())
	byVersion, byCipher := st.SessionCounts()
	for _, k := range slices.Sorted(maps.Keys(byVersion)) {
		line("tls_version_"+k, byVersion[k])
	}
	for _, k := range slices.Sorted(maps.Keys(byCipher)) {
		line("tls_cipher_"+k, byCipher[k])
	}
}
