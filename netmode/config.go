package netmode

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/shinglekv/shingle/replication"
	"github.com/shinglekv/shingle/store"
	"github.com/shinglekv/shingle/tlsconn"
)

// Config is the server's configuration. Field names say what a setting is;
// each field's doc gives the Redis directive it answers to and its default,
// which is Redis's unless said otherwise. Start from DefaultConfig, or pass
// nil to New.
type Config struct {
	// Bind lists the addresses to listen on (bind). An address starting
	// with "-" is optional: skipped when it does not exist on this host.
	// Default "127.0.0.1", "-::1" (redis.conf's default).
	Bind []string
	// Port is the plain TCP port (port); 0 turns plain TCP off. Default 6379.
	Port int
	// TLSPort is the TLS port (tls-port); 0 turns TLS off. Default 0.
	TLSPort int
	// QUICPort is the QUIC port (quic-port, UDP; Shingle's own directive):
	// one client session per QUIC stream, with the tls-* settings (TLS 1.3
	// always). 0, the default, turns QUIC off.
	QUICPort int
	// UnixSocket is the path of a unix socket to listen on (unixsocket);
	// empty for none.
	UnixSocket string
	// UnixSocketPerm sets the socket file's permissions (unixsocketperm);
	// 0 leaves them as created.
	UnixSocketPerm os.FileMode
	// TLS holds the tls-* directives.
	TLS tlsconn.Settings
	// TLSHandshakeTimeout bounds a client's TLS handshake
	// (tls-handshake-timeout, seconds; Shingle's own directive, Redis has
	// none). Default 10 s.
	TLSHandshakeTimeout time.Duration
	// TLSAutoReloadInterval is how often the certificate, key and CA files
	// are checked for changes, and reloaded for new handshakes when they
	// changed (tls-auto-reload-interval, seconds; 0, the default, never).
	TLSAutoReloadInterval time.Duration
	// RequirePass is the password of the default user (requirepass); empty
	// for none.
	RequirePass string
	// Users are the user directives of a config file, in order: each a
	// user name and its ACL rules ("alice", "on", ">pw", "~app:*",
	// "+@read"). At run time, ACL SETUSER and DELUSER change the users.
	Users [][]string
	// TLSAuthClientsUser maps a verified client certificate to the user
	// the connection is authenticated as (tls-auth-clients-user): "CN" (its
	// subject common name), "URI" (its first URI SAN) or "off", the
	// default. A certificate naming no enabled user is refused.
	TLSAuthClientsUser string
	// TLSAuthClientsUserSwitch lets a client authenticated by its
	// certificate become another user with AUTH or HELLO AUTH
	// (tls-auth-clients-user-switch yes|no; Shingle's own directive).
	// Default false: such a client keeps its certificate's user, and AUTH
	// naming another user is refused (NOPERM, counted in
	// acl_access_denied_auth); yes is the behaviour of Redis 8.6 and
	// Valkey 9, where AUTH default on a certificate-mapped connection
	// makes it the default user. Either way, every CA trusted for client
	// certificates (tls-ca-cert-file, tls-ca-cert-dir) can issue a
	// certificate naming any user: that list of CAs is the trust boundary
	// of the mapping.
	TLSAuthClientsUserSwitch bool
	// ProtectedMode refuses clients that come from neither the loopback
	// interface nor a unix socket while the default user has no password
	// (protected-mode), as Redis 7.0 does. Default true.
	ProtectedMode bool
	// MaxClients caps connected clients (maxclients). Default 10000.
	MaxClients int
	// ProtoMaxBulkLen is the longest argument accepted, and the longest
	// string APPEND and SETRANGE may build (proto-max-bulk-len). Default
	// 512 MiB.
	ProtoMaxBulkLen int64
	// HLLSparseMaxBytes is the size past which a HyperLogLog turns from
	// sparse to dense, hll-sparse-max-bytes (DefaultConfig: 3000; 0 makes
	// every HyperLogLog dense, as in Redis).
	HLLSparseMaxBytes int64
	// SlowlogLogSlowerThan is the time in microseconds a command must
	// take to enter the slow log, -1 for none (slowlog-log-slower-than,
	// DefaultConfig: 10000); SlowlogMaxLen how many entries it keeps
	// (slowlog-max-len, DefaultConfig: 128).
	SlowlogLogSlowerThan, SlowlogMaxLen int64
	// ClientQueryBufferLimit is the most a client's pending request may
	// buffer (client-query-buffer-limit). Default 1 GiB.
	ClientQueryBufferLimit int64
	// Timeout closes a client idle for this long (timeout, seconds; 0
	// never). It also bounds how long a reply may wait on a client that
	// does not read: Redis would buffer replies without limit, Shingle stops
	// reading that client's commands instead and closes it after Timeout.
	Timeout time.Duration
	// TCPKeepAlive is the period of TCP keepalive probes (tcp-keepalive,
	// seconds; 0 off). Default 300 s.
	TCPKeepAlive time.Duration
	// Dir and AppendFsync are the store's data directory (dir) and
	// durability (appendfsync). The server does not open the store; it
	// reports them in CONFIG GET and INFO, and the program opens the store
	// with them. Defaults "." and "everysec".
	Dir, AppendFsync string
	// DBFilename is the file SAVE and BGSAVE write in Dir (dbfilename): an
	// RDB of the data set that redis-server loads. Shingle never reads it.
	// Default "dump.rdb".
	DBFilename string
	// AppendOnly is what appendonly says; Shingle logs every write
	// whatever it says (the store's write-ahead log, synced as AppendFsync
	// says). Default true, where Redis's is no.
	AppendOnly bool
	// Hz is how many times a second expired keys are looked for (hz). The
	// store does this, not the server: the program opens the store with
	// ActiveExpireInterval. Default 10.
	Hz int

	// LogLevel is the least severe message the server logs (loglevel):
	// "debug", "verbose", "notice" (the default) or "warning". The server
	// filters Logger at this level; CONFIG SET loglevel changes it.
	LogLevel string
	// LogFile and PidFile are the program's log file (logfile, "" for
	// standard output) and pid file (pidfile, "" for none). The server
	// only reports them; the program acts on them, as cmd/embedded-demo
	// does.
	LogFile, PidFile string

	// ReplicaOf is the primary to follow, "host port" (replicaof, or its
	// old name slaveof); empty for none. At run time, REPLICAOF changes it.
	ReplicaOf string
	// MasterUser and MasterAuth authenticate a replica to its primary
	// (masteruser, masterauth).
	MasterUser, MasterAuth string
	// ReplicaReadOnly refuses clients' writes on a replica
	// (replica-read-only). Default true.
	ReplicaReadOnly bool
	// ReplicaServeStaleData lets a replica whose link to its primary is
	// not up (down, or in a full sync) answer from the data it has; false
	// answers -MASTERDOWN to every command but those Redis flags stale
	// (INFO, PING, REPLICAOF, CONFIG, ...) (replica-serve-stale-data).
	// Default true.
	ReplicaServeStaleData bool
	// ReplDisklessLoad is how a replica's full sync replaces its data set
	// (repl-diskless-load): "swapdb" (the default) and "disabled" load it
	// beside the old one, which serves until the new one is complete;
	// "on-empty-db" loads straight into an empty data set (-LOADING
	// meanwhile) and beside any other (replication.LoadMode).
	ReplDisklessLoad string
	// ReplTimeout bounds every wait of a replica's link (repl-timeout,
	// seconds). Default 60 s.
	ReplTimeout time.Duration
	// ReplBacklogSize is the size of the backlog that partial resyncs are
	// served from (repl-backlog-size, at startup only). Default 1 MiB.
	ReplBacklogSize int64
	// ReplPingReplicaPeriod is how often a primary pings its replicas
	// (repl-ping-replica-period, seconds, at startup only). Default 10 s.
	ReplPingReplicaPeriod time.Duration
	// ReplicaAnnouncePort and ReplicaAnnounceIP, when set, are what a
	// replica announces to its primary instead of its own port and address
	// (replica-announce-port, replica-announce-ip).
	ReplicaAnnouncePort int
	ReplicaAnnounceIP   string
	// ReplTransport is how a replica reaches its primary (repl-transport;
	// Shingle's own directive): "tcp", the default, which is TLS when
	// tls-replication is yes, or "quic", to the primary's quic-port (the
	// port given to replicaof), with the tls-* client settings.
	ReplTransport string
	// MinReplicasToWrite refuses writes while fewer replicas than this have
	// acknowledged within MinReplicasMaxLag (min-replicas-to-write, 0 off;
	// min-replicas-max-lag, seconds, default 10).
	MinReplicasToWrite int
	MinReplicasMaxLag  time.Duration
	// ReplDisklessSyncDelay is how long a full sync waits for more replicas
	// to share its snapshot (repl-diskless-sync-delay, seconds), unless
	// ReplDisklessSyncMaxReplicas have asked (repl-diskless-sync-max-replicas,
	// 0 no limit). Shingle's default is 0, where Redis's is 5: a snapshot
	// here costs no fork, only its reading, so a replica is served at once.
	ReplDisklessSyncDelay       time.Duration
	ReplDisklessSyncMaxReplicas int
	// OutputLimits are client-output-buffer-limit's classes, normal,
	// replica and pubsub in that order. Shingle applies the replica class
	// to its replica links (a replica whose pending stream passes the hard
	// limit, or stays above the soft one for its seconds, is dropped and
	// syncs again); normal clients are bounded by timeout instead, and
	// there is no pubsub yet.
	OutputLimits [3]OutputLimit
	// Cluster holds the cluster-* directives (cluster.go).
	Cluster ClusterConfig

	// ConfigFile is the file the configuration came from, for INFO.
	ConfigFile string
	// Logger receives the server's log, at LogLevel and above. Default:
	// none.
	Logger *slog.Logger

	// netDial is a test hook: when set, the cluster bus and the
	// replication link dial their TCP connections with it
	// (tlsconn.Dialer.NetDial), so that a test can partition nodes or slow
	// their links (netfault_test.go).
	netDial func(ctx context.Context, network, addr string) (net.Conn, error)

	// shown holds the values of the directives that are not fields: those
	// Shingle takes at fixed values, and those with no observable effect
	// (see directives.go), as CONFIG GET shows them.
	shown map[string]string
}

// OutputLimit is one class of client-output-buffer-limit: Hard bytes at
// most, and no more than Soft for longer than SoftTime; 0 is no limit.
// It is replication's, which applies the replica class.
type OutputLimit = replication.OutputLimit

// Defaults of the settings Redis does not define.
const (
	DefaultTLSHandshakeTimeout = 10 * time.Second
	DefaultMaxClients          = 10000
	// Redis's proto-max-bulk-len and client-query-buffer-limit.
	DefaultProtoMaxBulkLen        = store.DefaultProtoMaxBulkLen
	DefaultClientQueryBufferLimit = 1 << 30
	// DefaultHz is Redis's hz.
	DefaultHz = 10
)

// DefaultConfig returns Redis's defaults, except where a field's doc says
// Shingle's differs.
func DefaultConfig() *Config {
	return &Config{
		Bind:                   []string{"127.0.0.1", "-::1"},
		Port:                   6379,
		TLS:                    tlsconn.DefaultSettings(),
		TLSHandshakeTimeout:    DefaultTLSHandshakeTimeout,
		TLSAuthClientsUser:     "off",
		ProtectedMode:          true,
		MaxClients:             DefaultMaxClients,
		ProtoMaxBulkLen:        DefaultProtoMaxBulkLen,
		HLLSparseMaxBytes:      store.DefaultHLLSparseMaxBytes,
		SlowlogLogSlowerThan:   10000,
		SlowlogMaxLen:          128,
		ClientQueryBufferLimit: DefaultClientQueryBufferLimit,
		TCPKeepAlive:           300 * time.Second,
		Dir:                    ".",
		DBFilename:             "dump.rdb",
		AppendFsync:            "everysec",
		AppendOnly:             true,
		Hz:                     DefaultHz,
		LogLevel:               "notice",
		ReplicaReadOnly:        true,
		ReplicaServeStaleData:  true,
		ReplDisklessLoad:       "swapdb",
		ReplTimeout:            replication.DefaultTimeout,
		ReplBacklogSize:        1 << 20,
		ReplPingReplicaPeriod:  10 * time.Second,
		ReplTransport:          tlsconn.TCP,
		MinReplicasMaxLag:      10 * time.Second,
		OutputLimits: [3]OutputLimit{{}, {Hard: 256 << 20, Soft: 64 << 20, SoftTime: time.Minute},
			{Hard: 32 << 20, Soft: 8 << 20, SoftTime: time.Minute}},
		Cluster: defaultClusterConfig(),
	}
}

// clone returns a copy of c that shares nothing mutable with it.
func (c *Config) clone() *Config {
	n := *c
	n.Bind = append([]string(nil), c.Bind...)
	n.Users = make([][]string, len(c.Users))
	for i, u := range c.Users {
		n.Users[i] = append([]string(nil), u...)
	}
	n.shown = make(map[string]string, len(c.shown))
	for k, v := range c.shown {
		n.shown[k] = v
	}
	return &n
}

// EnsureDefaults gives every field that must not be zero (or negative)
// its default, as DefaultConfig has it, and returns c; on a nil c it
// returns DefaultConfig(). Fields whose zero value means something (Port 0:
// no plain TCP) are left alone, so a Config built field by field should
// start from DefaultConfig.
func (c *Config) EnsureDefaults() *Config {
	if c == nil {
		return DefaultConfig()
	}
	def := DefaultConfig()
	if len(c.Bind) == 0 {
		c.Bind = def.Bind
	}
	if c.TLSAuthClientsUser == "" {
		c.TLSAuthClientsUser = def.TLSAuthClientsUser
	}
	if c.TLSHandshakeTimeout <= 0 {
		c.TLSHandshakeTimeout = def.TLSHandshakeTimeout
	}
	if c.MaxClients <= 0 {
		c.MaxClients = def.MaxClients
	}
	if c.ProtoMaxBulkLen <= 0 {
		c.ProtoMaxBulkLen = def.ProtoMaxBulkLen
	}
	if c.ClientQueryBufferLimit <= 0 {
		c.ClientQueryBufferLimit = def.ClientQueryBufferLimit
	}
	if c.LogLevel == "" {
		c.LogLevel = def.LogLevel
	}
	if c.ReplTimeout <= 0 {
		c.ReplTimeout = def.ReplTimeout
	}
	if c.ReplBacklogSize <= 0 {
		c.ReplBacklogSize = def.ReplBacklogSize
	}
	if c.ReplPingReplicaPeriod <= 0 {
		c.ReplPingReplicaPeriod = def.ReplPingReplicaPeriod
	}
	if c.ReplTransport == "" {
		c.ReplTransport = def.ReplTransport
	}
	c.Cluster.ensureDefaults()
	return c
}

// Validate reports the first setting New cannot serve with. It expects
// the defaults in place (EnsureDefaults), as New fills them in before it
// validates.
func (c *Config) Validate() error {
	if _, ok := slogLevel(c.LogLevel); !ok {
		return fmt.Errorf("netmode: loglevel %q: %w", c.LogLevel, enumError(logLevels))
	}
	if c.ReplicaOf != "" {
		if _, _, err := parseReplicaOf(c.ReplicaOf); err != nil {
			return fmt.Errorf("netmode: %w", err)
		}
	}
	for _, p := range []int{c.Port, c.TLSPort, c.QUICPort} {
		if p < 0 || p > 65535 {
			return fmt.Errorf("netmode: port %d out of range", p)
		}
	}
	if c.QUICPort != 0 && !strings.Contains(strings.ToLower(c.TLS.Protocols), "tlsv1.3") {
		return fmt.Errorf("netmode: quic-port needs TLSv1.3 in tls-protocols: QUIC has no other TLS version")
	}
	if c.ProtoMaxBulkLen < 1<<20 {
		return fmt.Errorf("netmode: proto-max-bulk-len must be at least 1mb")
	}
	if c.ClientQueryBufferLimit < 1<<20 {
		return fmt.Errorf("netmode: client-query-buffer-limit must be at least 1mb")
	}
	if c.Cluster.Enabled {
		if _, err := c.clusterPorts(); err != nil {
			return fmt.Errorf("netmode: %w", err)
		}
	}
	return nil
}

// check fills in the defaults and validates c, then filters its logger at
// its loglevel: what New and CONFIG SET do with a configuration before
// they put it in service.
func (c *Config) check() error {
	if err := c.EnsureDefaults().Validate(); err != nil {
		return err
	}
	level, _ := slogLevel(c.LogLevel)
	c.Logger = filterLogger(c.Logger, level)
	return nil
}

// ActiveExpireInterval is the store's active expiry interval that Hz asks
// for (store.Options.ActiveExpireInterval): a second divided by Hz, which
// is kept within 1 and 500 as Redis keeps it.
func (c *Config) ActiveExpireInterval() time.Duration {
	return time.Second / time.Duration(min(max(c.Hz, 1), 500))
}

// usesTLS reports whether c has a listener that needs the tls-* settings.
func (c *Config) usesTLS() bool { return c.TLSPort != 0 || c.QUICPort != 0 }
