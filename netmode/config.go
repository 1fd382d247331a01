package netmode

import (
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shinglekv/shingle/config"
	"github.com/shinglekv/shingle/replication"
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
	// MaxClients caps connected clients (maxclients). Default 10000.
	MaxClients int
	// ProtoMaxBulkLen is the longest argument accepted, and the longest
	// string APPEND and SETRANGE may build (proto-max-bulk-len). Default
	// 512 MiB.
	ProtoMaxBulkLen int64
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
	// reports them in CONFIG GET and INFO. Defaults "." and "everysec".
	Dir, AppendFsync string

	// ReplicaOf is the primary to follow, "host port" (replicaof, or its
	// old name slaveof); empty for none. At run time, REPLICAOF changes it.
	ReplicaOf string
	// MasterUser and MasterAuth authenticate a replica to its primary
	// (masteruser, masterauth).
	MasterUser, MasterAuth string
	// ReplicaReadOnly refuses clients' writes on a replica
	// (replica-read-only). Default true.
	ReplicaReadOnly bool
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

	// ConfigFile is the file the configuration came from, for INFO.
	ConfigFile string
	// Logger receives the server's log. Default: none.
	Logger *slog.Logger

	// inert holds the values given to directives that are accepted without
	// effect (see accepted).
	inert map[string]string
}

// OutputLimit is one class of client-output-buffer-limit: Hard bytes at
// most, and no more than Soft for longer than SoftTime; 0 is no limit.
type OutputLimit struct {
	Hard, Soft int64
	SoftTime   time.Duration
}

var outputClasses = []string{"normal", "slave", "pubsub"}

// outputLimitDirective reads and writes client-output-buffer-limit as Redis
// does: groups of class, hard, soft, soft-seconds, any subset of the
// classes at once ("replica" is a name of "slave").
var outputLimitDirective = directive{name: "client-output-buffer-limit",
	get: func(c *Config) string {
		var parts []string
		for i, l := range c.OutputLimits {
			parts = append(parts, fmt.Sprintf("%s %d %d %d", outputClasses[i], l.Hard, l.Soft, int64(l.SoftTime/time.Second)))
		}
		return strings.Join(parts, " ")
	},
	set: func(c *Config, v string) error {
		f := strings.Fields(v)
		if len(f) == 0 || len(f)%4 != 0 {
			return fmt.Errorf("wrong number of arguments")
		}
		limits := c.OutputLimits
		for i := 0; i < len(f); i += 4 {
			class := slices.Index(outputClasses, strings.ToLower(f[i]))
			if strings.EqualFold(f[i], "replica") {
				class = 1
			}
			if class < 0 {
				return fmt.Errorf("invalid client class specified in buffer limit configuration")
			}
			hard, err1 := config.ParseMemory(f[i+1])
			soft, err2 := config.ParseMemory(f[i+2])
			secs, err3 := strconv.ParseInt(f[i+3], 10, 64)
			if err1 != nil || err2 != nil || err3 != nil || secs < 0 {
				return fmt.Errorf("error in hard, soft or soft_seconds setting in buffer limit configuration")
			}
			limits[class] = OutputLimit{Hard: hard, Soft: soft, SoftTime: time.Duration(secs) * time.Second}
		}
		c.OutputLimits = limits
		return nil
	}}

// Defaults of the settings Redis does not define.
const (
	DefaultTLSHandshakeTimeout = 10 * time.Second
	DefaultMaxClients          = 10000
	// Redis's proto-max-bulk-len and client-query-buffer-limit.
	DefaultProtoMaxBulkLen        = 512 << 20
	DefaultClientQueryBufferLimit = 1 << 30
)

// DefaultConfig returns Redis's defaults.
func DefaultConfig() *Config {
	return &Config{
		Bind:                   []string{"127.0.0.1", "-::1"},
		Port:                   6379,
		TLS:                    tlsconn.DefaultSettings(),
		TLSHandshakeTimeout:    DefaultTLSHandshakeTimeout,
		TLSAuthClientsUser:     "off",
		MaxClients:             DefaultMaxClients,
		ProtoMaxBulkLen:        DefaultProtoMaxBulkLen,
		ClientQueryBufferLimit: DefaultClientQueryBufferLimit,
		TCPKeepAlive:           300 * time.Second,
		Dir:                    ".",
		AppendFsync:            "everysec",
		ReplicaReadOnly:        true,
		ReplTimeout:            replication.DefaultTimeout,
		ReplBacklogSize:        1 << 20,
		ReplPingReplicaPeriod:  10 * time.Second,
		ReplTransport:          replication.TCP,
		MinReplicasMaxLag:      10 * time.Second,
		OutputLimits: [3]OutputLimit{{}, {Hard: 256 << 20, Soft: 64 << 20, SoftTime: time.Minute},
			{Hard: 32 << 20, Soft: 8 << 20, SoftTime: time.Minute}},
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
	n.inert = make(map[string]string, len(c.inert))
	for k, v := range c.inert {
		n.inert[k] = v
	}
	return &n
}

// check validates c and fills in what must not be zero.
func (c *Config) check() error {
	if len(c.Bind) == 0 {
		c.Bind = DefaultConfig().Bind
	}
	if c.TLSAuthClientsUser == "" {
		c.TLSAuthClientsUser = "off"
	}
	if c.TLSHandshakeTimeout <= 0 {
		c.TLSHandshakeTimeout = DefaultTLSHandshakeTimeout
	}
	if c.MaxClients <= 0 {
		c.MaxClients = DefaultMaxClients
	}
	if c.ProtoMaxBulkLen <= 0 {
		c.ProtoMaxBulkLen = DefaultProtoMaxBulkLen
	}
	if c.ClientQueryBufferLimit <= 0 {
		c.ClientQueryBufferLimit = DefaultClientQueryBufferLimit
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	def := DefaultConfig()
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
	return nil
}

// effect is what the running server must do after a directive changed.
type effect int

const (
	noEffect  effect = iota // read where used
	reloadTLS               // rebuild the TLS configuration
	relisten                // reopen listeners
)

// directive is one configuration setting by its Redis name.
type directive struct {
	name string
	get  func(c *Config) string
	set  func(c *Config, v string) error
	// immutable settings can be given at startup only, as in Redis.
	immutable bool
	effect    effect
}

func (d *directive) mutable() bool { return !d.immutable }

func strDirective(name string, p func(c *Config) *string, e effect) directive {
	return directive{name: name, effect: e,
		get: func(c *Config) string { return *p(c) },
		set: func(c *Config, v string) error { *p(c) = v; return nil }}
}

func boolDirective(name string, p func(c *Config) *bool, e effect) directive {
	return directive{name: name, effect: e,
		get: func(c *Config) string { return yesNo(*p(c)) },
		set: func(c *Config, v string) error {
			b, err := config.ParseBool(v)
			if err == nil {
				*p(c) = b
			}
			return err
		}}
}

func intDirective(name string, p func(c *Config) *int, lo, hi int, e effect) directive {
	return directive{name: name, effect: e,
		get: func(c *Config) string { return strconv.Itoa(*p(c)) },
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("argument couldn't be parsed into an integer")
			}
			if n < lo || n > hi {
				return fmt.Errorf("argument must be between %d and %d inclusive", lo, hi)
			}
			*p(c) = n
			return nil
		}}
}

func secondsDirective(name string, p func(c *Config) *time.Duration, lo int, e effect) directive {
	return directive{name: name, effect: e,
		get: func(c *Config) string { return strconv.FormatInt(int64(*p(c)/time.Second), 10) },
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("argument couldn't be parsed into an integer")
			}
			if n < int64(lo) || n > 1<<31 {
				return fmt.Errorf("argument must be between %d and %d inclusive", lo, 1<<31)
			}
			*p(c) = time.Duration(n) * time.Second
			return nil
		}}
}

func memoryDirective(name string, p func(c *Config) *int64, lo int64) directive {
	return directive{name: name,
		get: func(c *Config) string { return config.FormatMemory(*p(c)) },
		set: func(c *Config, v string) error {
			n, err := config.ParseMemory(v)
			if err != nil {
				return err
			}
			if n < lo {
				return fmt.Errorf("argument must be a memory value of at least %d", lo)
			}
			*p(c) = n
			return nil
		}}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// directives are the settings Shingle implements, in CONFIG GET order.
var directives = []directive{
	{name: "bind", effect: relisten,
		get: func(c *Config) string { return strings.Join(c.Bind, " ") },
		set: func(c *Config, v string) error {
			c.Bind = strings.Fields(v)
			if len(c.Bind) == 0 {
				return fmt.Errorf("bind requires at least one address")
			}
			return nil
		}},
	intDirective("port", func(c *Config) *int { return &c.Port }, 0, 65535, relisten),
	intDirective("tls-port", func(c *Config) *int { return &c.TLSPort }, 0, 65535, relisten),
	intDirective("quic-port", func(c *Config) *int { return &c.QUICPort }, 0, 65535, relisten),
	{name: "unixsocket", immutable: true,
		get: func(c *Config) string { return c.UnixSocket },
		set: func(c *Config, v string) error { c.UnixSocket = v; return nil }},
	{name: "unixsocketperm", immutable: true,
		get: func(c *Config) string { return strconv.FormatUint(uint64(c.UnixSocketPerm), 8) },
		set: func(c *Config, v string) error {
			n, err := strconv.ParseUint(v, 8, 32)
			if err != nil || n > 0o777 {
				return fmt.Errorf("argument must be an octal permission like 700")
			}
			c.UnixSocketPerm = os.FileMode(n)
			return nil
		}},
	strDirective("requirepass", func(c *Config) *string { return &c.RequirePass }, noEffect),
	intDirective("maxclients", func(c *Config) *int { return &c.MaxClients }, 1, 1<<31-1, noEffect),
	memoryDirective("proto-max-bulk-len", func(c *Config) *int64 { return &c.ProtoMaxBulkLen }, 1<<20),
	memoryDirective("client-query-buffer-limit", func(c *Config) *int64 { return &c.ClientQueryBufferLimit }, 1<<20),
	secondsDirective("timeout", func(c *Config) *time.Duration { return &c.Timeout }, 0, noEffect),
	secondsDirective("tcp-keepalive", func(c *Config) *time.Duration { return &c.TCPKeepAlive }, 0, noEffect),
	secondsDirective("tls-handshake-timeout", func(c *Config) *time.Duration { return &c.TLSHandshakeTimeout }, 1, noEffect),
	{name: "tls-auth-clients-user",
		get: func(c *Config) string { return c.TLSAuthClientsUser },
		set: func(c *Config, v string) error {
			switch strings.ToLower(v) {
			case "cn":
				c.TLSAuthClientsUser = "CN"
			case "uri":
				c.TLSAuthClientsUser = "URI"
			case "off":
				c.TLSAuthClientsUser = "off"
			default:
				return fmt.Errorf("argument(s) must be one of the following: off, CN, URI")
			}
			return nil
		}},
	secondsDirective("tls-auto-reload-interval", func(c *Config) *time.Duration { return &c.TLSAutoReloadInterval }, 0, noEffect),
	strDirective("tls-cert-file", func(c *Config) *string { return &c.TLS.CertFile }, reloadTLS),
	strDirective("tls-key-file", func(c *Config) *string { return &c.TLS.KeyFile }, reloadTLS),
	strDirective("tls-key-file-pass", func(c *Config) *string { return &c.TLS.KeyFilePass }, reloadTLS),
	strDirective("tls-client-cert-file", func(c *Config) *string { return &c.TLS.ClientCertFile }, reloadTLS),
	strDirective("tls-client-key-file", func(c *Config) *string { return &c.TLS.ClientKeyFile }, reloadTLS),
	strDirective("tls-client-key-file-pass", func(c *Config) *string { return &c.TLS.ClientKeyFilePass }, reloadTLS),
	strDirective("tls-dh-params-file", func(c *Config) *string { return &c.TLS.DHParamsFile }, reloadTLS),
	strDirective("tls-ca-cert-file", func(c *Config) *string { return &c.TLS.CACertFile }, reloadTLS),
	strDirective("tls-ca-cert-dir", func(c *Config) *string { return &c.TLS.CACertDir }, reloadTLS),
	{name: "tls-auth-clients", effect: reloadTLS,
		get: func(c *Config) string { return c.TLS.AuthClients },
		set: func(c *Config, v string) error {
			a, err := tlsconn.ParseAuthClients(v)
			if err != nil { // in Redis's words
				return fmt.Errorf("argument(s) must be one of the following: no, yes, optional")
			}
			c.TLS.AuthClients = a
			return nil
		}},
	strDirective("tls-protocols", func(c *Config) *string { return &c.TLS.Protocols }, reloadTLS),
	strDirective("tls-ciphers", func(c *Config) *string { return &c.TLS.Ciphers }, reloadTLS),
	strDirective("tls-ciphersuites", func(c *Config) *string { return &c.TLS.CipherSuites }, reloadTLS),
	boolDirective("tls-prefer-server-ciphers", func(c *Config) *bool { return &c.TLS.PreferServerCiphers }, reloadTLS),
	boolDirective("tls-session-caching", func(c *Config) *bool { return &c.TLS.SessionCaching }, reloadTLS),
	intDirective("tls-session-cache-size", func(c *Config) *int { return &c.TLS.SessionCacheSize }, 0, 1<<31-1, reloadTLS),
	intDirective("tls-session-cache-timeout", func(c *Config) *int { return &c.TLS.SessionCacheTimeout }, 0, 1<<31-1, reloadTLS),
	boolDirective("tls-replication", func(c *Config) *bool { return &c.TLS.Replication }, reloadTLS),
	boolDirective("tls-cluster", func(c *Config) *bool { return &c.TLS.Cluster }, reloadTLS),
	{name: "replicaof", immutable: true, // REPLICAOF changes it at run time
		get: func(c *Config) string { return c.ReplicaOf },
		set: func(c *Config, v string) error {
			if strings.EqualFold(v, "no one") {
				v = ""
			} else if _, _, err := parseReplicaOf(v); err != nil {
				return err
			}
			c.ReplicaOf = v
			return nil
		}},
	strDirective("masteruser", func(c *Config) *string { return &c.MasterUser }, noEffect),
	strDirective("masterauth", func(c *Config) *string { return &c.MasterAuth }, noEffect),
	boolDirective("replica-read-only", func(c *Config) *bool { return &c.ReplicaReadOnly }, noEffect),
	secondsDirective("repl-timeout", func(c *Config) *time.Duration { return &c.ReplTimeout }, 1, noEffect),
	{name: "repl-backlog-size", immutable: true,
		get: func(c *Config) string { return strconv.FormatInt(c.ReplBacklogSize, 10) },
		set: func(c *Config, v string) error {
			n, err := config.ParseMemory(v)
			if err == nil && (n < 16<<10 || n > 1<<40) {
				err = fmt.Errorf("argument must be a memory value between 16kb and 1tb")
			}
			c.ReplBacklogSize = n
			return err
		}},
	func() directive {
		d := secondsDirective("repl-ping-replica-period", func(c *Config) *time.Duration { return &c.ReplPingReplicaPeriod }, 1, noEffect)
		d.immutable = true
		return d
	}(),
	intDirective("replica-announce-port", func(c *Config) *int { return &c.ReplicaAnnouncePort }, 0, 65535, noEffect),
	strDirective("replica-announce-ip", func(c *Config) *string { return &c.ReplicaAnnounceIP }, noEffect),
	{name: "repl-transport",
		get: func(c *Config) string { return c.ReplTransport },
		set: func(c *Config, v string) error {
			switch v = strings.ToLower(v); v {
			case replication.TCP, replication.QUIC:
				c.ReplTransport = v
				return nil
			}
			return fmt.Errorf("argument(s) must be one of the following: tcp, quic")
		}},
	secondsDirective("repl-diskless-sync-delay", func(c *Config) *time.Duration { return &c.ReplDisklessSyncDelay }, 0, noEffect),
	intDirective("repl-diskless-sync-max-replicas", func(c *Config) *int { return &c.ReplDisklessSyncMaxReplicas }, 0, 1<<31-1, noEffect),
	outputLimitDirective,
	intDirective("min-replicas-to-write", func(c *Config) *int { return &c.MinReplicasToWrite }, 0, 1<<31-1, noEffect),
	secondsDirective("min-replicas-max-lag", func(c *Config) *time.Duration { return &c.MinReplicasMaxLag }, 0, noEffect),
	{name: "dir", immutable: true,
		get: func(c *Config) string { return c.Dir },
		set: func(c *Config, v string) error { c.Dir = v; return nil }},
	{name: "appendfsync", immutable: true,
		get: func(c *Config) string { return c.AppendFsync },
		set: func(c *Config, v string) error {
			v = strings.ToLower(v)
			if v != "always" && v != "everysec" && v != "no" {
				return fmt.Errorf("argument(s) must be one of the following: always, everysec, no")
			}
			c.AppendFsync = v
			return nil
		}},
}

// accepted are Redis directives that Shingle takes without acting on them,
// so that an existing redis.conf loads: CONFIG GET shows the value given
// (Redis's default otherwise) and CONFIG SET stores it. Everything here is
// either about Redis internals Shingle does not have (encodings, fork-based
// persistence, the event loop) or not implemented yet.
var accepted = map[string]string{
	"daemonize": "no", "pidfile": "", "loglevel": "notice", "logfile": "", "syslog-enabled": "no",
	"databases": "16", "always-show-logo": "no", "set-proc-title": "yes",
	"save": "", "stop-writes-on-bgsave-error": "yes", "rdbcompression": "yes", "rdbchecksum": "yes",
	"dbfilename": "dump.rdb", "rdb-del-sync-files": "no", "appendonly": "yes",
	"appendfilename": "appendonly.aof", "appenddirname": "appendonlydir",
	"no-appendfsync-on-rewrite": "no", "auto-aof-rewrite-percentage": "100",
	"auto-aof-rewrite-min-size": "67108864", "aof-load-truncated": "yes", "aof-use-rdb-preamble": "yes",
	"aof-timestamp-enabled": "no", "protected-mode": "no", "tcp-backlog": "511", "supervised": "no",
	"hz": "10", "dynamic-hz": "yes", "io-threads": "1", "io-threads-do-reads": "no",
	"maxmemory": "0", "maxmemory-policy": "noeviction", "maxmemory-samples": "5",
	"lazyfree-lazy-eviction": "no", "lazyfree-lazy-expire": "no", "lazyfree-lazy-server-del": "no",
	"lazyfree-lazy-user-del": "no", "lazyfree-lazy-user-flush": "no", "replica-lazy-flush": "no",
	"activerehashing": "yes", "activedefrag": "no", "lua-time-limit": "5000", "busy-reply-threshold": "5000",
	"slowlog-log-slower-than": "10000", "slowlog-max-len": "128", "latency-monitor-threshold": "0",
	"notify-keyspace-events": "", "hash-max-listpack-entries": "128", "hash-max-listpack-value": "64",
	"hash-max-ziplist-entries": "128", "hash-max-ziplist-value": "64", "list-max-listpack-size": "-2",
	"list-max-ziplist-size": "-2", "list-compress-depth": "0", "set-max-intset-entries": "512",
	"zset-max-listpack-entries": "128", "zset-max-listpack-value": "64", "zset-max-ziplist-entries": "128",
	"zset-max-ziplist-value": "64", "hll-sparse-max-bytes": "3000", "stream-node-max-bytes": "4096",
	"stream-node-max-entries":    "100",
	"rdb-save-incremental-fsync": "yes", "aof-rewrite-incremental-fsync": "yes", "jemalloc-bg-thread": "yes",
	"oom-score-adj": "no", "oom-score-adj-values": "0 200 800", "enable-debug-command": "no",
	"enable-protected-configs": "no", "enable-module-command": "no", "locale-collate": "",
	"crash-log-enabled": "yes", "crash-memcheck-enabled": "yes", "disable-thp": "yes",
	"lfu-log-factor": "10", "lfu-decay-time": "1", "tracking-table-max-keys": "1000000",
	"acllog-max-len": "128", "ignore-warnings": "", "shutdown-timeout": "10",
	"shutdown-on-sigint": "default", "shutdown-on-sigterm": "default", "latency-tracking": "yes",
	"latency-tracking-info-percentiles": "50 99 99.9", "maxmemory-clients": "0",
	"active-expire-effort": "1", "cluster-enabled": "no",
	"repl-diskless-sync": "yes",
	"repl-diskless-load": "disabled", "repl-disable-tcp-nodelay": "no", "repl-backlog-ttl": "3600",
	"replica-serve-stale-data": "yes", "replica-priority": "100", "replica-announced": "yes",
	"replica-ignore-maxmemory": "yes",
}

func lookupDirective(name string) *directive {
	for i := range directives {
		if directives[i].name == name {
			return &directives[i]
		}
	}
	return nil
}

// Set applies one directive to c, as a config file line or a command-line
// option would: name is the directive (any case), args its values.
// Directives Redis has but Shingle does not act on are accepted and kept
// for CONFIG GET (see the package doc). Unknown directives are an error.
func (c *Config) Set(name string, args ...string) error {
	name = strings.ToLower(name)
	if name == "slaveof" {
		name = "replicaof"
	}
	if name == "user" { // many of them, and only from a config file or New
		c.Users = append(c.Users, append([]string(nil), args...))
		return nil
	}
	v := strings.Join(args, " ")
	if d := lookupDirective(name); d != nil {
		if err := d.set(c, v); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	if _, ok := accepted[name]; ok {
		if c.inert == nil {
			c.inert = map[string]string{}
		}
		c.inert[name] = v
		return nil
	}
	return fmt.Errorf("netmode: unknown directive %q", name)
}

// Apply applies directives in order, as a config file or command line
// gives them.
func (c *Config) Apply(ds []config.Directive) error {
	for _, d := range ds {
		if err := c.Set(d.Name, d.Args...); err != nil {
			if d.File != "" {
				return fmt.Errorf("%s:%d: %w", d.File, d.Line, err)
			}
			return err
		}
	}
	return nil
}

// usesTLS reports whether c has a listener that needs the tls-* settings.
func (c *Config) usesTLS() bool { return c.TLSPort != 0 || c.QUICPort != 0 }
