package netmode

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shinglekv/shingle/tlsconn"
)

// reloadState is what INFO tls reports of certificate reloads, and what
// the auto-reload loop compares files against.
type reloadState struct {
	mu      sync.Mutex
	sum     [sha256.Size]byte // of the files in service (zero: not read yet)
	at      time.Time         // last attempt
	err     error             // its result
	reloads int64             // successful reloads
	fails   int64
}

func (r *reloadState) setSum(sum [sha256.Size]byte) {
	r.mu.Lock()
	r.sum = sum
	r.mu.Unlock()
}

// ReloadTLS reads the certificate, key and CA files again and puts them in
// service for new handshakes; open connections keep theirs. If they do not
// load (a half-written file, a key that does not match its certificate),
// the configuration in service stays, and the error is returned, logged
// and shown in INFO tls. The demo calls it on SIGHUP; with
// tls-auto-reload-interval set, the server calls it itself when the files
// change.
func (s *Server) ReloadTLS() error {
	s.tlsMu.Lock()
	defer s.tlsMu.Unlock()
	if s.tls.Load() == nil {
		return ErrNoTLS
	}
	return s.reloadTLSLocked(s.cfg.Load(), tlsFilesSum(s.cfg.Load().TLS))
}

// ErrNoTLS is ReloadTLS's answer when no listener uses TLS: there is
// nothing to reload.
var ErrNoTLS = errors.New("netmode: no TLS configuration in service")

// reloadTLSLocked builds cfg's TLS configuration and adopts it. Called with
// tlsMu held.
func (s *Server) reloadTLSLocked(cfg *Config, sum [sha256.Size]byte) error {
	cur := s.tls.Load()
	if cur == nil {
		return nil // nothing serves TLS: the files are read when something does
	}
	built, err := tlsconn.NewServerTLS(cfg.TLS)
	r := &s.reload
	r.mu.Lock()
	r.at, r.err, r.sum = time.Now(), err, sum
	if err != nil {
		r.fails++
	} else {
		r.reloads++
	}
	r.mu.Unlock()
	if err != nil {
		cfg.Logger.Error("netmode: TLS reload failed; the previous certificate stays in service", "err", err)
		return err
	}
	cur.Adopt(built)
	cfg.Logger.Info("netmode: TLS certificates reloaded")
	return nil
}

// autoReload checks the TLS files every tls-auto-reload-interval and
// reloads them when their contents changed. A broken file is reported once
// per change, not at every check.
func (s *Server) autoReload() {
	defer s.loops.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var last time.Time
	for {
		select {
		case <-s.done:
			return
		case now := <-t.C:
			cfg := s.cfg.Load()
			if cfg.TLSAutoReloadInterval <= 0 || now.Sub(last) < cfg.TLSAutoReloadInterval {
				continue
			}
			last = now
			s.checkTLSFiles()
		}
	}
}

// checkTLSFiles reloads the TLS files if they changed since last read.
func (s *Server) checkTLSFiles() {
	s.tlsMu.Lock() // CONFIG SET changes the files' names under it
	defer s.tlsMu.Unlock()
	cfg := s.cfg.Load()
	sum := tlsFilesSum(cfg.TLS)
	s.reload.mu.Lock()
	same := s.reload.sum == sum
	s.reload.mu.Unlock()
	if !same {
		s.reloadTLSLocked(cfg, sum)
	}
}

// tlsFilesSum hashes the contents of every file the server's TLS
// configuration is built from. A missing file hashes as its name alone.
func tlsFilesSum(st tlsconn.Settings) [sha256.Size]byte {
	h := sha256.New()
	files := []string{st.CertFile, st.KeyFile, st.CACertFile}
	if st.CACertDir != "" {
		if entries, err := os.ReadDir(st.CACertDir); err == nil {
			for _, e := range entries {
				files = append(files, filepath.Join(st.CACertDir, e.Name()))
			}
		}
	}
	for _, f := range files {
		if f == "" {
			continue
		}
		b, _ := os.ReadFile(f)
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
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
