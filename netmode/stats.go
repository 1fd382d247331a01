package netmode

import (
	"bytes"
	"errors"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shinglekv/shingle/tlsconn"
)

// Stats are the server's counters, as INFO stats shows them. All fields
// are read and written atomically.
type Stats struct {
	ConnectionsReceived atomic.Int64 // total_connections_received
	RejectedConnections atomic.Int64 // rejected_connections (maxclients)
	CommandsProcessed   atomic.Int64 // total_commands_processed
	NetInputBytes       atomic.Int64 // total_net_input_bytes
	NetOutputBytes      atomic.Int64 // total_net_output_bytes
	ErrorReplies        atomic.Int64 // total_error_replies
	BlockedClients      atomic.Int64 // blocked_clients: waiting in BLPOP and its kin
	BlockedWithTimeout  atomic.Int64 // clients_in_timeout_table: those of them with a timeout
	// Panics counts the panics recovered while serving a client, and while
	// applying a primary's stream as its replica (shingle_panics, Shingle's
	// own): each closed only the connection or the replication link it
	// happened on, and was logged at Error with its stack.
	Panics atomic.Int64 // shingle_panics
	// The atomic slot migrations this node was the source of, and what
	// they sent (CLUSTER INFO's cluster_slot_migrations_*, Shingle's own).
	SlotMigrationsStarted, SlotMigrationsDone, SlotMigrationsFailed atomic.Int64
	SlotMigrationKeys, SlotMigrationBytes                           atomic.Int64

	// Shingle's counters of bad input and unhealthy clients, each a reason
	// a connection was closed.
	ProtocolErrors       atomic.Int64 // total_protocol_errors: malformed requests
	QueryBufferLimit     atomic.Int64 // client_query_buffer_limit_disconnections
	IdleTimeouts         atomic.Int64 // client_idle_timeout_disconnections
	StalledOutput        atomic.Int64 // client_output_stalled_disconnections: did not read replies within timeout
	TLSHandshakeFailures atomic.Int64 // tls_handshake_failures (all reasons)
	TLSHandshakeTimeouts atomic.Int64 // tls_handshake_timeouts
	PlainTextOnTLSPort   atomic.Int64 // tls_plaintext_clients: spoke plain RESP to a TLS port
	// The other reasons a TLS handshake failed (INFO tls).
	TLSNoClientCert    atomic.Int64 // tls_handshake_failures_no_client_cert
	TLSUnknownCA       atomic.Int64 // tls_handshake_failures_unknown_ca
	TLSExpiredCert     atomic.Int64 // tls_handshake_failures_expired_cert
	TLSProtocolVersion atomic.Int64 // tls_handshake_failures_protocol_version
	TLSOtherFailures   atomic.Int64 // tls_handshake_failures_other
	TLSOnPlainPort     atomic.Int64 // tls_clients_on_plain_port: sent a TLS handshake to a plain port

	// ACL denials, as INFO stats counts them.
	ACLDeniedAuth atomic.Int64 // acl_access_denied_auth: AUTH or HELLO AUTH failed
	ACLDeniedCmd  atomic.Int64 // acl_access_denied_cmd
	ACLDeniedKey  atomic.Int64 // acl_access_denied_key
	ACLDeniedCert atomic.Int64 // acl_access_denied_tls_cert: a certificate named no enabled user

	// TLS handshakes completed on TLS and QUIC ports, and how many resumed
	// a session (INFO tls).
	TLSHandshakes atomic.Int64 // tls_handshakes
	TLSResumed    atomic.Int64 // tls_handshakes_resumed

	// Syncs served to replicas (INFO stats).
	FullSyncs           atomic.Int64 // sync_full
	PartialSyncs        atomic.Int64 // sync_partial_ok
	PartialSyncsRefused atomic.Int64 // sync_partial_err
	SharedFullSyncs     atomic.Int64 // sync_full_shared: full syncs that joined another replica's snapshot
	ReplicaOverflows    atomic.Int64 // client_output_buffer_limit_disconnections: replicas dropped for the replica limit

	sessions sessionCounts
	errs     errorCounts
}

// errorCounts counts error replies by prefix (INFO errorstats).
type errorCounts struct {
	mu       sync.Mutex
	byPrefix map[string]int64
}

// Error prefixes beyond maxErrorPrefixes distinct ones are counted under
// errorStatsOverflow, as Redis 7.2 counts Lua's and modules' own errors
// past its ERRORSTATS_LIMIT. Redis 7.0 keeps every prefix; Shingle's own
// errors have far fewer than 128 prefixes, so the bound only ever applies
// to commands an embedder adds to the table, Shingle's counterpart of those
// custom errors, and keeps them from growing the map without limit.
const (
	maxErrorPrefixes   = 128
	errorStatsOverflow = "ERRORSTATS_OVERFLOW"
)

// errorPrefix is the prefix Redis files an error reply under
// (afterErrorReply): its first word, when a space ends it within the first
// 32 bytes of the reply counting its "-"; "ERR" otherwise. msg is the reply
// without its "-".
func errorPrefix(msg []byte) string {
	if i := bytes.IndexByte(msg[:min(len(msg), 31)], ' '); i >= 0 {
		return string(msg[:i])
	}
	return "ERR"
}

// countError counts an error reply sent to a client, msg being the reply
// without its "-": in total_error_replies and in errorstats.
func (st *Stats) countError(msg []byte) {
	st.ErrorReplies.Add(1)
	prefix := errorPrefix(msg)
	ec := &st.errs
	ec.mu.Lock()
	if ec.byPrefix == nil {
		ec.byPrefix = map[string]int64{}
	}
	if _, ok := ec.byPrefix[prefix]; !ok && len(ec.byPrefix) >= maxErrorPrefixes {
		prefix = errorStatsOverflow
	}
	ec.byPrefix[prefix]++
	ec.mu.Unlock()
}

// ErrorCounts returns the error replies sent to clients by prefix
// ("ERR", "WRONGTYPE", "NOPERM" ...), as INFO errorstats lists them.
func (st *Stats) ErrorCounts() map[string]int64 {
	ec := &st.errs
	ec.mu.Lock()
	defer ec.mu.Unlock()
	return maps.Clone(ec.byPrefix)
}

// sessionCounts counts completed TLS handshakes by protocol version and
// cipher suite (INFO tls).
type sessionCounts struct {
	mu        sync.Mutex
	byVersion map[string]int64
	byCipher  map[string]int64
}

// countHandshake counts a completed TLS handshake.
func (st *Stats) countHandshake(sec *tlsconn.Security) {
	st.TLSHandshakes.Add(1)
	if sec.Resumed {
		st.TLSResumed.Add(1)
	}
	sc := &st.sessions
	sc.mu.Lock()
	if sc.byVersion == nil {
		sc.byVersion, sc.byCipher = map[string]int64{}, map[string]int64{}
	}
	sc.byVersion[tlsconn.VersionName(sec.Version)]++
	sc.byCipher[sec.CipherSuiteName()]++
	sc.mu.Unlock()
}

// SessionCounts returns the completed TLS handshakes by protocol version
// ("TLSv1.3") and by cipher suite (IANA name).
func (st *Stats) SessionCounts() (byVersion, byCipher map[string]int64) {
	sc := &st.sessions
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return maps.Clone(sc.byVersion), maps.Clone(sc.byCipher)
}

func (st *Stats) reset() {
	for _, c := range []*atomic.Int64{
		&st.ConnectionsReceived, &st.RejectedConnections, &st.CommandsProcessed,
		&st.NetInputBytes, &st.NetOutputBytes, &st.ErrorReplies, &st.ProtocolErrors,
		&st.QueryBufferLimit, &st.IdleTimeouts, &st.StalledOutput, &st.TLSHandshakeFailures,
		&st.TLSHandshakeTimeouts, &st.PlainTextOnTLSPort, &st.TLSOnPlainPort,
		&st.TLSHandshakes, &st.TLSResumed, &st.TLSNoClientCert, &st.TLSUnknownCA,
		&st.TLSExpiredCert, &st.TLSProtocolVersion, &st.TLSOtherFailures,
		&st.ACLDeniedAuth, &st.ACLDeniedCmd, &st.ACLDeniedKey, &st.ACLDeniedCert, &st.Panics,
	} {
		c.Store(0)
	}
	st.sessions.mu.Lock()
	st.sessions.byVersion, st.sessions.byCipher = nil, nil
	st.sessions.mu.Unlock()
	st.errs.mu.Lock()
	st.errs.byPrefix = nil
	st.errs.mu.Unlock()
}

// countHandshakeFailure counts a failed TLS handshake under its kind
// (tlsconn.HandshakeFailure).
func (st *Stats) countHandshakeFailure(err error) {
	st.TLSHandshakeFailures.Add(1)
	switch tlsconn.HandshakeFailure(err) {
	case tlsconn.FailureNotTLS:
		st.PlainTextOnTLSPort.Add(1)
	case tlsconn.FailureTimeout:
		st.TLSHandshakeTimeouts.Add(1)
	case tlsconn.FailureUnknownCA:
		st.TLSUnknownCA.Add(1)
	case tlsconn.FailureExpiredCert:
		st.TLSExpiredCert.Add(1)
	case tlsconn.FailureNoClientCert:
		st.TLSNoClientCert.Add(1)
	case tlsconn.FailureProtocolVersion:
		st.TLSProtocolVersion.Add(1)
	default:
		st.TLSOtherFailures.Add(1)
	}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// opsMeter samples the commands counter for instantaneous_ops_per_sec, as
// Redis does: 16 samples, one every 100 ms.
type opsMeter struct {
	samples [16]int64
	idx     int
	last    int64
	lastAt  time.Time
	rate    atomic.Int64
}

func (m *opsMeter) sample(total int64, now time.Time) {
	if !m.lastAt.IsZero() {
		if dt := now.Sub(m.lastAt); dt > 0 {
			// max: CONFIG RESETSTAT may have zeroed the counter since.
			m.samples[m.idx%len(m.samples)] = max(total-m.last, 0) * int64(time.Second) / int64(dt)
			m.idx++
			var sum int64
			n := min(m.idx, len(m.samples))
			for _, s := range m.samples[:n] {
				sum += s
			}
			m.rate.Store(sum / int64(n))
		}
	}
	m.last, m.lastAt = total, now
}
