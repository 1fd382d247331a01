package netmode

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shinglekv/shingle/cluster"
	"github.com/shinglekv/shingle/config"
	"github.com/shinglekv/shingle/tlsconn"
)

// The directive table: every directive of Redis 7.0 (the names of CONFIG
// GET * on redis-server 7.0.15, listed in testdata/redis-7.0-directives.txt,
// and those config.c reads outside its table) and Shingle's own, each with
// what Shingle does with it. docs/directives.md is generated from it.
//
// The rule for choosing: a value is accepted only if a Redis 7.0 server
// configured with that value would behave, in everything Shingle
// implements, the way Shingle does (same replies, same files written or
// not, same connections accepted or refused, same process behaviour). A
// feature Shingle lacks is accepted only at the value that turns it off.

// status is what Shingle does with a directive.
type status int

const (
	// implemented: Shingle does what the directive says; the reason says
	// where it differs from Redis.
	implemented status = iota + 1
	// unobserved: implemented with no observable effect. The value is
	// checked as Redis checks it, kept and shown by CONFIG GET, and no
	// reply of a command Shingle implements depends on it (it tunes
	// Redis's memory representation, or a feature that is off).
	unobserved
	// fixedValue: accepted only at the values that match what Shingle
	// does; any other is refused, saying what Shingle does instead.
	fixedValue
	// refused: unknown to Shingle, as an unknown name is to Redis ("Bad
	// directive or wrong number of arguments"; CONFIG GET and SET do not
	// know it). The reason is for the documentation.
	refused
)

func (s status) String() string {
	switch s {
	case implemented:
		return "implemented"
	case unobserved:
		return "implemented, no observable effect"
	case fixedValue:
		return "fixed value"
	case refused:
		return "refused"
	}
	return "?"
}

// effect is what the running server must do after a directive changed:
// rebuild the TLS configuration, reopen the listeners of some transports,
// or nothing (the value is read where it is used).
type effect struct {
	reloadTLS bool
	reopen    []string // transports (tlsconn.TCP ...) whose listeners follow the value
	cluster   bool     // the cluster node's announced addresses or timers follow the value
}

var (
	noEffect      = effect{}
	reloadTLS     = effect{reloadTLS: true}
	clusterEffect = effect{cluster: true}
)

// reopens is the effect of a directive that the listeners of transports
// follow.
func reopens(transports ...string) effect { return effect{reopen: transports} }

// directive is one configuration setting by its Redis name.
type directive struct {
	name    string
	aliases []string // other names of the same setting (Redis 7.0's aliases)
	status  status
	// redisDefault is Redis 7.0's default, as CONFIG GET shows it on a
	// server started without options ("" for Shingle's own directives).
	redisDefault string
	own          bool   // Shingle's own directive, not Redis's
	reason       string // why this status; for a fixed directive, what Shingle does instead

	// A directive backed by a Config field has get and set; the others
	// have parse and keep their value in Config.shown (def until set).
	get   func(c *Config) string
	set   func(c *Config, v string) error
	parse valueParser
	def   string
	// accepted are the values a fixed directive takes, as parse returns
	// them; the first is Shingle's default. accepts, when set, replaces the
	// list (acceptedDoc then describes the values for the documentation).
	accepted    []string
	accepts     func(v string) bool
	acceptedDoc string
	// typical are other values of Redis's to try against a fixed
	// directive (tests) besides redisDefault.
	typical []string

	multiArg  bool // takes several arguments on a config line
	immutable bool // CONFIG SET answers "can't set immutable config"
	protected bool // CONFIG SET answers "can't set protected config" (enable-protected-configs no)
	fileOnly  bool // a config file directive, not a CONFIG parameter (include, user ...)
	effect    effect
}

func (d directive) alias(names ...string) directive { d.aliases = names; return d }
func (d directive) startupOnly() directive          { d.immutable = true; return d }
func (d directive) multi() directive                { d.multiArg = true; return d }
func (d directive) try(vals ...string) directive    { d.typical = vals; return d }

// redis marks d as one of Redis's directives, implemented, with Redis's
// default and where Shingle differs.
func (d directive) redis(redisDefault, reason string) directive {
	d.status, d.redisDefault, d.reason = implemented, redisDefault, reason
	return d
}

// shingle marks d as Shingle's own directive.
func (d directive) shingle(reason string) directive {
	d.status, d.own, d.reason = implemented, true, reason
	return d
}

// noop is a directive with no observable effect, taking what p takes.
func noop(name, redisDefault string, p valueParser, reason string) directive {
	return directive{name: name, status: unobserved, redisDefault: redisDefault, def: redisDefault, parse: p, reason: reason}
}

// fixed is a directive Shingle takes only at the accepted values.
func fixed(name, redisDefault string, p valueParser, accepted []string, reason string) directive {
	return directive{name: name, status: fixedValue, redisDefault: redisDefault, def: accepted[0], parse: p, accepted: accepted, reason: reason}
}

// unknown is a directive Shingle refuses as Redis refuses an unknown name.
func unknown(name, redisDefault, reason string) directive {
	return directive{name: name, status: refused, redisDefault: redisDefault, reason: reason}
}

// allows reports whether a fixed directive takes v (as parse returned it).
func (d *directive) allows(v string) bool {
	if d.accepts != nil {
		return d.accepts(v)
	}
	return slices.Contains(d.accepted, v)
}

// acceptedText describes the values a fixed directive takes.
func (d *directive) acceptedText() string {
	if d.acceptedDoc != "" {
		return d.acceptedDoc
	}
	q := make([]string, len(d.accepted))
	for i, v := range d.accepted {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, " or ")
}

// refusal is the error for a value a fixed directive, given as name (its
// name or an alias), does not take.
func (d *directive) refusal(name string) error {
	return fmt.Errorf("%s; Shingle accepts only %s %s", d.reason, name, d.acceptedText())
}

// names returns the directive's name and aliases.
func (d *directive) names() []string { return append([]string{d.name}, d.aliases...) }

// value returns d's value in c, as CONFIG GET shows it.
func (d *directive) value(c *Config) string {
	if d.get != nil {
		return d.get(c)
	}
	if v, ok := c.shown[d.name]; ok {
		return v
	}
	return d.def
}

// The typed constructors: a directive read from and written to a field of
// Config, with Redis's parsing and messages.

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

func intDirective(name string, p func(c *Config) *int, lo, hi int64, e effect) directive {
	return directive{name: name, effect: e,
		get: func(c *Config) string { return strconv.Itoa(*p(c)) },
		set: func(c *Config, v string) error {
			n, err := parseInteger(v, lo, hi)
			if err == nil {
				*p(c) = int(n)
			}
			return err
		}}
}

func int64Directive(name string, p func(c *Config) *int64, lo, hi int64, e effect) directive {
	return directive{name: name, effect: e,
		get: func(c *Config) string { return strconv.FormatInt(*p(c), 10) },
		set: func(c *Config, v string) error {
			n, err := parseInteger(v, lo, hi)
			if err == nil {
				*p(c) = n
			}
			return err
		}}
}

// maxInt32 is the upper bound of Redis's int directives (INT_MAX).
const maxInt32 = 1<<31 - 1

func secondsDirective(name string, p func(c *Config) *time.Duration, lo int64, e effect) directive {
	return directive{name: name, effect: e,
		get: func(c *Config) string { return strconv.FormatInt(int64(*p(c)/time.Second), 10) },
		set: func(c *Config, v string) error {
			n, err := parseInteger(v, lo, maxInt32)
			if err == nil {
				*p(c) = time.Duration(n) * time.Second
			}
			return err
		}}
}

func memoryDirective(name string, p func(c *Config) *int64, lo int64) directive {
	return directive{name: name,
		get: func(c *Config) string { return config.FormatMemory(*p(c)) },
		set: func(c *Config, v string) error {
			n, err := parseMemorySize(v, lo, maxInt64)
			if err == nil {
				*p(c) = n
			}
			return err
		}}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

var outputClasses = []string{"normal", "slave", "pubsub"}

// outputLimitDirective reads and writes client-output-buffer-limit as Redis
// does: groups of class, hard, soft, soft-seconds, any subset of the
// classes at once ("replica" is a name of "slave").
var outputLimitDirective = directive{name: "client-output-buffer-limit", multiArg: true,
	get: func(c *Config) string {
		var parts []string
		for i, l := range c.OutputLimits {
			parts = append(parts, fmt.Sprintf("%s %d %d %d", outputClasses[i], l.Hard, l.Soft, int64(l.SoftTime/time.Second)))
		}
		return strings.Join(parts, " ")
	},
	set: func(c *Config, v string) error {
		f := strings.Fields(v)
		if len(f)%4 != 0 {
			return fmt.Errorf("Wrong number of arguments in buffer limit configuration.")
		}
		limits := c.OutputLimits
		for i := 0; i < len(f); i += 4 {
			class := slices.Index(outputClasses, strings.ToLower(f[i]))
			if strings.EqualFold(f[i], "replica") {
				class = 1
			}
			if class < 0 {
				return fmt.Errorf("Invalid client class specified in buffer limit configuration.")
			}
			hard, err1 := config.ParseMemory(f[i+1])
			soft, err2 := config.ParseMemory(f[i+2])
			secs, err3 := strconv.ParseInt(f[i+3], 10, 64)
			if err1 != nil || err2 != nil || err3 != nil || secs < 0 {
				return fmt.Errorf("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
			}
			// Past about 292 years a Duration overflows: that is forever.
			softTime := time.Duration(min(secs, math.MaxInt64/int64(time.Second))) * time.Second
			limits[class] = OutputLimit{Hard: hard, Soft: soft, SoftTime: softTime}
		}
		if limits[0] != (OutputLimit{}) {
			return fmt.Errorf("Shingle does not limit a normal client's output buffer: it stops reading from a client that leaves its replies unread, and closes it after timeout; the normal class must be 0 0 0")
		}
		c.OutputLimits = limits
		return nil
	}}

// logLevels are loglevel's values, least severe first.
var logLevels = []string{"debug", "verbose", "notice", "warning"}

// Reasons shared by several directives.
const (
	noRDB        = "Shingle reads and writes no RDB file: its data is in Pebble's files under dir"
	noAOF        = "Shingle writes no AOF: every write goes to Shingle's own log under dir (oplog), synced as appendfsync says"
	noEncodings  = "tunes how Redis encodes %s in memory; Shingle has no %s commands yet, so no reply depends on it (to be reviewed when it has)"
	noListNodes  = "tunes how Redis packs and compresses a list's quicklist nodes in memory; Shingle stores each element under its own position in Pebble, and no reply depends on it (Redis 7.0's lists are quicklists whatever it says)"
	noEviction   = "read by Redis only when maxmemory is set, and Shingle accepts only maxmemory 0"
	noDefrag     = "tunes Redis's active defragmentation of jemalloc memory, which changes no reply; Go's allocator and Pebble manage Shingle's memory"
	lazyFree     = "chooses whether Redis frees memory in a background thread; every reply is the same either way, and Shingle's deletes are Pebble writes"
	noFork       = "tunes fsyncs of Redis's fork-based rewrites and saves, which Shingle never runs"
	cpuAffinity  = "Shingle does not pin its threads to CPUs: Go schedules goroutines over every core"
	noSyslog     = "read by Redis only with syslog-enabled yes, which Shingle refuses"
	atStartHz    = "at startup only: the program gives the store its active expiry interval (1s / hz, hz kept within 1..500 as Redis does) when it opens it; CONFIG SET hz answers \"can't set immutable config\""
	programOwned = "the server does not act on it itself: the program that embeds it does (cmd/embedded-demo does)"
)

// directives is the table, one entry per setting, its aliases included.
var directives = []directive{
	// Network.
	directive{name: "bind", effect: reopens(tlsconn.TCP, tlsconn.TLS, tlsconn.QUIC), multiArg: true,
		get: func(c *Config) string { return strings.Join(c.Bind, " ") },
		set: func(c *Config, v string) error {
			c.Bind = strings.Fields(v)
			if len(c.Bind) == 0 {
				return fmt.Errorf("bind requires at least one address")
			}
			return nil
		}}.redis("* -::*", "Shingle's default is redis.conf's, 127.0.0.1 -::1 (loopback only), not the compiled-in * -::*"),
	fixed("bind-source-addr", "", stringValue, []string{""}, "Shingle's outgoing connections (to a primary) leave from the address the system chooses"),
	intDirective("port", func(c *Config) *int { return &c.Port }, 0, 65535, effect{reopen: []string{tlsconn.TCP}, cluster: true}).redis("6379", ""),
	intDirective("tls-port", func(c *Config) *int { return &c.TLSPort }, 0, 65535, effect{reopen: []string{tlsconn.TLS}, cluster: true}).redis("0", ""),
	intDirective("quic-port", func(c *Config) *int { return &c.QUICPort }, 0, 65535, reopens(tlsconn.QUIC)).shingle("UDP port for RESP over QUIC, one client per stream, with the tls-* settings; 0 (the default) is off"),
	directive{name: "unixsocket", immutable: true,
		get: func(c *Config) string { return c.UnixSocket },
		set: func(c *Config, v string) error { c.UnixSocket = v; return nil }}.redis("", ""),
	directive{name: "unixsocketperm", immutable: true,
		get: func(c *Config) string { return strconv.FormatUint(uint64(c.UnixSocketPerm), 8) },
		set: func(c *Config, v string) error {
			if v == "" { // Redis takes it as 0
				c.UnixSocketPerm = 0
				return nil
			}
			n, err := strconv.ParseUint(v, 8, 64)
			if err != nil {
				return fmt.Errorf("argument couldn't be parsed as an octal number")
			}
			if n > 0o777 {
				return fmt.Errorf("argument must be between 0 and 777 inclusive")
			}
			c.UnixSocketPerm = os.FileMode(n)
			return nil
		}}.redis("0", ""),
	boolDirective("protected-mode", func(c *Config) *bool { return &c.ProtectedMode }, noEffect).redis("yes",
		"as Redis 7.0: while the default user has no password, a client from neither the loopback interface nor a unix socket is told -DENIED and closed (counted in rejected_connections); QUIC clients too"),
	noop("tcp-backlog", "511", integerValue(0, maxInt32),
		"the kernel's queue of connections not yet accepted; Go listens with the system's maximum (net.core.somaxconn, which also caps Redis's value) and Shingle accepts each connection at once, so no reply depends on it").startupOnly(),
	secondsDirective("timeout", func(c *Config) *time.Duration { return &c.Timeout }, 0, noEffect).redis("0",
		"also closes a client that leaves its replies unread that long (Redis would buffer them without limit)"),
	secondsDirective("tcp-keepalive", func(c *Config) *time.Duration { return &c.TCPKeepAlive }, 0, noEffect).redis("300", ""),
	fixed("socket-mark-id", "0", integerValue(0, 1<<32-1), []string{"0"}, "Shingle does not mark its sockets (SO_MARK)").startupOnly(),

	// TLS.
	secondsDirective("tls-handshake-timeout", func(c *Config) *time.Duration { return &c.TLSHandshakeTimeout }, 1, noEffect).shingle("seconds a TLS client has to finish its handshake; default 10"),
	directive{name: "tls-auth-clients-user",
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
		}}.shingle("authenticates a verified client certificate as the user its subject CN or first URI SAN names (off, CN, URI); default off"),
	boolDirective("tls-auth-clients-user-switch", func(c *Config) *bool { return &c.TLSAuthClientsUserSwitch }, noEffect).shingle("lets a client authenticated by its certificate become another user with AUTH; default no"),
	secondsDirective("tls-auto-reload-interval", func(c *Config) *time.Duration { return &c.TLSAutoReloadInterval }, 0, noEffect).shingle("seconds between checks of the certificate, key and CA files, reloaded when they change; 0 (the default) never"),
	strDirective("tls-cert-file", func(c *Config) *string { return &c.TLS.CertFile }, reloadTLS).redis("", ""),
	strDirective("tls-key-file", func(c *Config) *string { return &c.TLS.KeyFile }, reloadTLS).redis("", ""),
	strDirective("tls-key-file-pass", func(c *Config) *string { return &c.TLS.KeyFilePass }, reloadTLS).redis("", ""),
	strDirective("tls-client-cert-file", func(c *Config) *string { return &c.TLS.ClientCertFile }, reloadTLS).redis("", ""),
	strDirective("tls-client-key-file", func(c *Config) *string { return &c.TLS.ClientKeyFile }, reloadTLS).redis("", ""),
	strDirective("tls-client-key-file-pass", func(c *Config) *string { return &c.TLS.ClientKeyFilePass }, reloadTLS).redis("", ""),
	fixed("tls-dh-params-file", "", stringValue, []string{""},
		"Go's TLS has no finite-field Diffie-Hellman (DHE) suites, only ECDHE, which needs no parameters: a client that offers only DHE suites cannot connect, whatever the file"),
	strDirective("tls-ca-cert-file", func(c *Config) *string { return &c.TLS.CACertFile }, reloadTLS).redis("", ""),
	strDirective("tls-ca-cert-dir", func(c *Config) *string { return &c.TLS.CACertDir }, reloadTLS).redis("", ""),
	directive{name: "tls-auth-clients", effect: reloadTLS,
		get: func(c *Config) string { return c.TLS.AuthClients },
		set: func(c *Config, v string) error {
			a, err := tlsconn.ParseAuthClients(v)
			if err != nil { // in Redis's words
				return fmt.Errorf("argument(s) must be one of the following: no, yes, optional")
			}
			c.TLS.AuthClients = a
			return nil
		}}.redis("yes", ""),
	strDirective("tls-protocols", func(c *Config) *string { return &c.TLS.Protocols }, reloadTLS).redis("",
		"Shingle's default is \"TLSv1.2 TLSv1.3\", what Redis's empty value means; an empty value, TLSv1 and TLSv1.1 are refused, naming the directive, when TLS is in use (Go's TLS)"),
	strDirective("tls-ciphers", func(c *Config) *string { return &c.TLS.Ciphers }, reloadTLS).redis("", "explicit suite names only, no OpenSSL expressions (see the tlsconn package)"),
	strDirective("tls-ciphersuites", func(c *Config) *string { return &c.TLS.CipherSuites }, reloadTLS).redis("", "cannot narrow TLS 1.3's suites in Go; such a value is refused (see the tlsconn package)"),
	boolDirective("tls-prefer-server-ciphers", func(c *Config) *bool { return &c.TLS.PreferServerCiphers }, reloadTLS).redis("no", ""),
	boolDirective("tls-session-caching", func(c *Config) *bool { return &c.TLS.SessionCaching }, reloadTLS).redis("yes", ""),
	intDirective("tls-session-cache-size", func(c *Config) *int { return &c.TLS.SessionCacheSize }, 0, maxInt32, reloadTLS).redis("20480", ""),
	intDirective("tls-session-cache-timeout", func(c *Config) *int { return &c.TLS.SessionCacheTimeout }, 0, maxInt32, reloadTLS).redis("300", ""),
	boolDirective("tls-replication", func(c *Config) *bool { return &c.TLS.Replication }, reloadTLS).redis("no", ""),
	boolDirective("tls-cluster", func(c *Config) *bool { return &c.TLS.Cluster }, reloadTLS).redis("no", ""),

	// General.
	fixed("daemonize", "no", yesNoValue, []string{"no"}, "Shingle runs in the foreground; let a supervisor (systemd) run it in the background").startupOnly(),
	fixed("supervised", "no", enumValue("upstart", "systemd", "auto", "no"), []string{"no"},
		"Shingle does not notify a supervisor (no sd_notify READY=1, no SIGSTOP for upstart)").startupOnly().try("upstart", "systemd", "auto"),
	strDirective("pidfile", func(c *Config) *string { return &c.PidFile }, noEffect).startupOnly().redis("",
		programOwned+": it writes the process id there once it serves and removes the file when it exits"),
	directive{name: "loglevel",
		get: func(c *Config) string { return c.LogLevel },
		set: func(c *Config, v string) error {
			l, err := enumValue(logLevels...)([]string{v})
			if err == nil {
				c.LogLevel = l
			}
			return err
		}}.redis("notice",
		"filters Config.Logger: debug is slog's Debug, verbose Debug+2, notice Info, warning Warn; CONFIG SET changes it for the server's messages (a program's own loggers, the demo's store, keep the level it set at startup)"),
	strDirective("logfile", func(c *Config) *string { return &c.LogFile }, noEffect).startupOnly().redis("",
		programOwned+": \"\" logs to standard output, anything else appends to that file, opened for every message as Redis does (so log rotation works); a file that cannot be opened stops the start with Redis's \"Can't open the log file\""),
	fixed("syslog-enabled", "no", yesNoValue, []string{"no"}, "Shingle does not log to syslog; it logs to logfile (standard output by default)").startupOnly(),
	noop("syslog-ident", "redis", stringValue, noSyslog).startupOnly(),
	noop("syslog-facility", "local0", enumValue("user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"), noSyslog).startupOnly(),
	fixed("crash-log-enabled", "yes", yesNoValue, []string{"no"},
		"Shingle writes no crash report (stack trace, registers, INFO) to its log: a Go program that crashes prints its goroutines' stacks to standard error").try("yes"),
	noop("crash-memcheck-enabled", "yes", yesNoValue, "part of the crash report, which Shingle does not write (crash-log-enabled no)"),
	fixed("databases", "16", integerValue(1, maxInt32), []string{"1"},
		"Shingle has one database: SELECT and COPY ... DB answer \"ERR DB index is out of range\" for any other than 0, as Redis does with databases 1").startupOnly().try("16"),
	fixed("always-show-logo", "no", yesNoValue, []string{"no"}, "Shingle prints no ASCII-art logo at startup").startupOnly(),
	fixed("set-proc-title", "yes", yesNoValue, []string{"no"}, "Shingle leaves its process title (what ps shows) as the system set it").startupOnly(),
	noop("proc-title-template", "{title} {listen-addr} {server-mode}", procTitleValue, "read by Redis only with set-proc-title yes, which Shingle refuses"),
	fixed("enable-protected-configs", "no", enumValue("no", "yes", "local"), []string{"no"},
		"Shingle cannot change its data directory at run time: CONFIG SET dir answers \"can't set protected config\" as Redis does with no").startupOnly().try("yes", "local"),
	fixed("enable-debug-command", "no", enumValue("no", "yes", "local"), []string{"yes"},
		"Shingle runs DEBUG (its DIGEST subcommand) for any client its ACL rules allow, as Redis does with yes").startupOnly().try("no", "local"),
	fixed("enable-module-command", "no", enumValue("no", "yes", "local"), []string{"no"},
		"Shingle has no modules and no MODULE command").startupOnly().try("yes", "local"),
	noop("ignore-warnings", "", stringValue, "silences warnings Redis logs at startup about the host (ARM64-COW-BUG); Shingle logs none of them"),

	// Snapshots.
	fixed("save", "3600 1 300 100 60 10000", saveValue, []string{""},
		"Shingle saves an RDB only when asked (SAVE, BGSAVE): every write is in Shingle's own log under dir (oplog), durable as appendfsync says, and the RDB is an export, never read back (note that Redis saves with no save directive at all, Shingle never)").multi().try("3600 1", "900 1 300 10"),
	noop("stop-writes-on-bgsave-error", "yes", yesNoValue, "only a failed background save stops Redis's writes, and Shingle accepts only save \"\""),
	fixed("rdbcompression", "yes", yesNoValue, []string{"no"},
		"the RDB Shingle streams to replicas in a full sync (and to redis-cli --rdb) has no LZF-compressed strings, as Redis's with rdbcompression no"),
	fixed("rdbchecksum", "yes", yesNoValue, []string{"yes"},
		"the RDB Shingle streams to replicas ends with its CRC-64 checksum, and the one it loads from a primary is checked against it").startupOnly(),
	directive{name: "dbfilename", protected: true,
		get: func(c *Config) string { return c.DBFilename },
		set: func(c *Config, v string) error {
			if v == "" || strings.ContainsRune(v, '/') {
				return fmt.Errorf("dbfilename can't be a path, just a filename")
			}
			c.DBFilename = v
			return nil
		}}.redis("dump.rdb", "the file SAVE and BGSAVE write in dir, an RDB that redis-server 7.0 loads; Shingle never reads it (its data is in Pebble's files under dir)"),
	noop("rdb-del-sync-files", "no", yesNoValue, "deletes the RDB files Redis writes for replication when persistence is off; Shingle writes none (repl-diskless-sync yes)"),
	noop("rdb-save-incremental-fsync", "yes", yesNoValue, noFork),
	directive{name: "dir", protected: true,
		get: func(c *Config) string { return c.Dir },
		set: func(c *Config, v string) error { c.Dir = v; return nil }}.redis("",
		"where Pebble keeps Shingle's data ("+programOwned+": it opens the store there, creating the directory, where Redis would refuse a missing one); Shingle's default is \".\", Redis's the working directory"),
	boolDirective("appendonly", func(c *Config) *bool { return &c.AppendOnly }, noEffect).redis("no",
		"Shingle logs every write (its own write-ahead log, under dir/oplog) whatever this says, synced as appendfsync says: yes and no are both accepted and shown; Shingle's default shows yes"),
	unknown("appendfilename", "appendonly.aof", noAOF),
	unknown("appenddirname", "appendonlydir", noAOF),
	directive{name: "appendfsync", immutable: true,
		get: func(c *Config) string { return c.AppendFsync },
		set: func(c *Config, v string) error {
			l, err := enumValue("everysec", "always", "no")([]string{v})
			if err == nil {
				c.AppendFsync = l
			}
			return err
		}}.redis("everysec", "the store's durability ("+programOwned+" when it opens the store), so at startup only: CONFIG SET appendfsync answers \"can't set immutable config\""),
	noop("no-appendfsync-on-rewrite", "no", yesNoValue, noFork),
	noop("auto-aof-rewrite-percentage", "100", integerValue(0, maxInt32), "chooses when Redis rewrites its AOF; Shingle's log is Pebble's, which Pebble recycles after each flush on its own schedule; no reply depends on it"),
	noop("auto-aof-rewrite-min-size", "67108864", memoryValue(0, maxInt64), "chooses when Redis rewrites its AOF; Shingle's log is Pebble's, which Pebble recycles after each flush on its own schedule; no reply depends on it"),
	fixed("aof-load-truncated", "yes", yesNoValue, []string{"yes"}, "Pebble recovers from a log whose last record was cut short by a crash, and starts, as Redis does with yes"),
	noop("aof-use-rdb-preamble", "yes", yesNoValue, "the format of Redis's AOF files, which Shingle does not write"),
	noop("aof-timestamp-enabled", "no", yesNoValue, "annotations in Redis's AOF files, which Shingle does not write"),
	noop("aof-disable-auto-gc", "no", yesNoValue, "whether Redis deletes its old AOF files, which Shingle does not write"),
	noop("aof-rewrite-incremental-fsync", "yes", yesNoValue, noFork),

	// Replication.
	directive{name: "replicaof", aliases: []string{"slaveof"}, immutable: true, multiArg: true, // REPLICAOF changes it at run time
		get: func(c *Config) string { return c.ReplicaOf },
		set: func(c *Config, v string) error {
			f := strings.Fields(v)
			if len(f) != 2 {
				return errWrongArgs
			}
			if strings.EqualFold(f[0], "no") && strings.EqualFold(f[1], "one") {
				c.ReplicaOf = ""
				return nil
			}
			if _, _, err := parseReplicaOf(v); err != nil {
				return fmt.Errorf("Invalid master port")
			}
			c.ReplicaOf = f[0] + " " + f[1]
			return nil
		}}.redis("", "REPLICAOF changes it at run time; port 0 is refused (Redis takes it)"),
	strDirective("masteruser", func(c *Config) *string { return &c.MasterUser }, noEffect).redis("", ""),
	strDirective("masterauth", func(c *Config) *string { return &c.MasterAuth }, noEffect).redis("", ""),
	boolDirective("replica-serve-stale-data", func(c *Config) *bool { return &c.ReplicaServeStaleData }, noEffect).alias("slave-serve-stale-data").redis("yes", ""),
	boolDirective("replica-read-only", func(c *Config) *bool { return &c.ReplicaReadOnly }, noEffect).alias("slave-read-only").redis("yes", ""),
	fixed("repl-diskless-sync", "yes", yesNoValue, []string{"yes"}, "Shingle streams every full sync from a Pebble snapshot through the replica's connection, never through an RDB file"),
	secondsDirective("repl-diskless-sync-delay", func(c *Config) *time.Duration { return &c.ReplDisklessSyncDelay }, 0, noEffect).redis("5",
		"Shingle's default is 0: a snapshot costs no fork here, so a replica is served at once"),
	intDirective("repl-diskless-sync-max-replicas", func(c *Config) *int { return &c.ReplDisklessSyncMaxReplicas }, 0, maxInt32, noEffect).redis("0", ""),
	directive{name: "repl-diskless-load",
		get: func(c *Config) string { return c.ReplDisklessLoad },
		set: func(c *Config, v string) error {
			l, err := enumValue("disabled", "on-empty-db", "swapdb")([]string{v})
			if err == nil {
				c.ReplDisklessLoad = l
			}
			return err
		}}.redis("disabled", "Shingle's default is swapdb: a replica loads a full sync beside its data set (in a staging store on the same disk, never an RDB file) and serves the old data until the new is complete, then switches at once; disabled means the same here (Redis writes the RDB to disk first and serves the old data meanwhile, then loads it, answering -LOADING); on-empty-db loads straight into an empty data set, answering -LOADING meanwhile, and beside any other. A change applies from the next full sync"),
	func() directive {
		d := secondsDirective("repl-ping-replica-period", func(c *Config) *time.Duration { return &c.ReplPingReplicaPeriod }, 1, noEffect)
		return d.alias("repl-ping-slave-period").startupOnly().redis("10", "at startup only: CONFIG SET answers \"can't set immutable config\"")
	}(),
	secondsDirective("repl-timeout", func(c *Config) *time.Duration { return &c.ReplTimeout }, 1, noEffect).redis("60", ""),
	fixed("repl-disable-tcp-nodelay", "no", yesNoValue, []string{"no"}, "Go sets TCP_NODELAY on every TCP connection, replication links included"),
	directive{name: "repl-backlog-size", immutable: true,
		get: func(c *Config) string { return strconv.FormatInt(c.ReplBacklogSize, 10) },
		set: func(c *Config, v string) error {
			n, err := parseMemorySize(v, 1, maxInt64)
			if err != nil {
				return err
			}
			if n > 1<<40 {
				return fmt.Errorf("Shingle keeps the backlog in memory and takes at most 1tb")
			}
			c.ReplBacklogSize = max(n, 16<<10) // Redis's minimum, which it applies silently
			return nil
		}}.redis("1048576", "at startup only (CONFIG SET answers \"can't set immutable config\"); at most 1tb"),
	fixed("repl-backlog-ttl", "3600", integerValue(0, maxInt64), []string{"0"}, "a Shingle primary keeps its backlog while it runs, replicas or not"),
	fixed("replica-priority", "100", integerValue(0, maxInt32), []string{"100"},
		"INFO replication always shows slave_priority:100 (what Sentinel reads)").alias("slave-priority").try("0", "10"),
	fixed("replica-announced", "yes", yesNoValue, []string{"yes"}, "INFO replication always shows replica_announced:1 (what Sentinel reads)"),
	intDirective("replica-announce-port", func(c *Config) *int { return &c.ReplicaAnnouncePort }, 0, 65535, noEffect).alias("slave-announce-port").redis("0", ""),
	strDirective("replica-announce-ip", func(c *Config) *string { return &c.ReplicaAnnounceIP }, noEffect).alias("slave-announce-ip").redis("", ""),
	directive{name: "repl-transport",
		get: func(c *Config) string { return c.ReplTransport },
		set: func(c *Config, v string) error {
			switch v = strings.ToLower(v); v {
			case tlsconn.TCP, tlsconn.QUIC:
				c.ReplTransport = v
				return nil
			}
			return fmt.Errorf("argument(s) must be one of the following: tcp, quic")
		}}.shingle("how a replica reaches its primary: tcp (TLS with tls-replication yes), the default, or quic, to the primary's quic-port"),
	intDirective("min-replicas-to-write", func(c *Config) *int { return &c.MinReplicasToWrite }, 0, maxInt32, noEffect).alias("min-slaves-to-write").redis("0", ""),
	secondsDirective("min-replicas-max-lag", func(c *Config) *time.Duration { return &c.MinReplicasMaxLag }, 0, noEffect).alias("min-slaves-max-lag").redis("10", ""),
	noop("replica-lazy-flush", "no", yesNoValue, lazyFree).alias("slave-lazy-flush"),
	noop("replica-ignore-maxmemory", "yes", yesNoValue, noEviction).alias("slave-ignore-maxmemory"),
	fixed("replica-ignore-disk-write-errors", "no", yesNoValue, []string{"no"},
		"a Shingle replica never goes on past a write it could not make: its link stops with the error (where Redis with no exits)"),
	fixed("propagation-error-behavior", "ignore", enumValue("ignore", "panic", "panic-on-replicas"), []string{"ignore"},
		"a Shingle replica logs a command from its primary that fails here and goes on; a command Shingle does not implement stops the link instead of being skipped").try("panic", "panic-on-replicas"),

	// Security.
	strDirective("requirepass", func(c *Config) *string { return &c.RequirePass }, noEffect).redis("", ""),
	directive{name: "user", fileOnly: true}.redis("", "ACL rules as Redis 7.0 words them; selectors and some rules are refused (see README)"),
	fixed("aclfile", "", stringValue, []string{""}, "Shingle has no ACL file (ACL LOAD, ACL SAVE): users come from user directives and ACL SETUSER").startupOnly(),
	fixed("acllog-max-len", "128", integerValue(0, maxInt64), []string{"0"}, "Shingle keeps no ACL log (ACL LOG is not implemented)"),
	fixed("acl-pubsub-default", "resetchannels", enumValue("allchannels", "resetchannels"), []string{"resetchannels"},
		"users created by ACL SETUSER start without channel permissions (resetchannels); Shingle has no pub/sub").try("allchannels"),
	unknown("rename-command", "", "not implemented: deny a command with ACL rules instead (user default on nopass ~* +@all -config)"),

	// Clients and memory.
	intDirective("maxclients", func(c *Config) *int { return &c.MaxClients }, 1, 1<<32-1, noEffect).redis("10000", ""),
	fixed("maxmemory", "0", unboundedMemoryValue, []string{"0"}, "Shingle keeps its data on disk, in Pebble, and never evicts keys or refuses writes for memory").try("100mb", "2gb"),
	noop("maxmemory-policy", "noeviction", enumValue("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"), noEviction),
	noop("maxmemory-samples", "5", integerValue(1, maxInt32), noEviction),
	noop("maxmemory-eviction-tenacity", "10", integerValue(0, 100), noEviction),
	fixed("maxmemory-clients", "0", memoryOrPercentValue, []string{"0"}, "Shingle never evicts clients for the memory they use"),
	noop("lfu-log-factor", "10", integerValue(0, maxInt32), "tunes the LFU counters of Redis's eviction and OBJECT FREQ, neither of which Shingle has"),
	noop("lfu-decay-time", "1", integerValue(0, maxInt32), "tunes the LFU counters of Redis's eviction and OBJECT FREQ, neither of which Shingle has"),
	noop("active-expire-effort", "1", integerValue(1, 10), "how much CPU Redis's active expiry may spend per cycle; expired keys are invisible to every read either way, in Redis and in Shingle"),
	outputLimitDirective.redis("normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
		"the replica class drops a replica whose pending stream passes its limits, as in Redis; the normal class must be 0 0 0 (Shingle stops reading from a client that does not read its replies and closes it after timeout); the pubsub class is kept, and Shingle has no pub/sub"),
	memoryDirective("client-query-buffer-limit", func(c *Config) *int64 { return &c.ClientQueryBufferLimit }, 1<<20).redis("1073741824", ""),
	memoryDirective("proto-max-bulk-len", func(c *Config) *int64 { return &c.ProtoMaxBulkLen }, 1<<20).redis("536870912", ""),
	noop("tracking-table-max-keys", "1000000", integerValue(0, maxInt64), "sizes the table of client-side caching (CLIENT TRACKING), which Shingle does not implement"),

	// Lazy freeing.
	noop("lazyfree-lazy-eviction", "no", yesNoValue, lazyFree),
	noop("lazyfree-lazy-expire", "no", yesNoValue, lazyFree),
	noop("lazyfree-lazy-server-del", "no", yesNoValue, lazyFree),
	noop("lazyfree-lazy-user-del", "no", yesNoValue, lazyFree),
	noop("lazyfree-lazy-user-flush", "no", yesNoValue, lazyFree),

	// Threads, process and kernel.
	noop("io-threads", "1", integerValue(1, 128),
		"how many threads Redis uses for socket I/O; Shingle serves every client on its own goroutine over every core, and no reply depends on it").startupOnly(),
	noop("io-threads-do-reads", "no", yesNoValue, "whether Redis's I/O threads also read; no reply depends on it").startupOnly(),
	fixed("oom-score-adj", "no", enumValue("no", "yes", "relative", "absolute"), []string{"no"},
		"Shingle leaves its oom_score_adj (the kernel's OOM-killer preference) as it was started with").try("yes", "relative", "absolute"),
	noop("oom-score-adj-values", "0 200 800", oomScoreValues, "read by Redis only when oom-score-adj is on, which Shingle refuses").multi(),
	fixed("disable-thp", "yes", yesNoValue, []string{"no"}, "Shingle leaves transparent huge pages as the system sets them for its process").startupOnly(),
	fixed("server_cpulist", "", stringValue, []string{""}, cpuAffinity).startupOnly(),
	fixed("bio_cpulist", "", stringValue, []string{""}, cpuAffinity).startupOnly(),
	fixed("aof_rewrite_cpulist", "", stringValue, []string{""}, cpuAffinity).startupOnly(),
	fixed("bgsave_cpulist", "", stringValue, []string{""}, cpuAffinity).startupOnly(),
	fixed("shutdown-timeout", "10", integerValue(0, maxInt32), []string{"0"},
		"on SIGINT or SIGTERM Shingle does not wait for lagging replicas to catch up before it exits, as Redis with 0").try("10"),
	shutdownDirective("shutdown-on-sigint"),
	shutdownDirective("shutdown-on-sigterm"),
	// The event loop.
	directive{name: "hz", immutable: true,
		get: func(c *Config) string { return strconv.Itoa(c.Hz) },
		set: func(c *Config, v string) error {
			n, err := parseInteger(v, 0, maxInt32)
			if err == nil {
				c.Hz = int(n)
			}
			return err
		}}.redis("10", atStartHz),
	noop("dynamic-hz", "yes", yesNoValue,
		"lets Redis raise hz while many clients are connected, so that its per-tick client checks keep up; Shingle has no per-tick client work (every client has its own goroutine and deadlines), and no reply depends on it"),
	noop("activerehashing", "yes", yesNoValue, "whether Redis rehashes its main hash tables in the background; no reply depends on it, and Shingle's keys are in Pebble"),
	noop("jemalloc-bg-thread", "yes", yesNoValue, "jemalloc's background purging thread; Shingle is a Go program, without jemalloc"),
	noop("busy-reply-threshold", "5000", integerValue(0, maxInt64),
		"how long a script or function may run before Redis answers -BUSY; Shingle runs neither (no EVAL, no FUNCTION)").alias("lua-time-limit"),
	noop("activedefrag", "no", yesNoValue, noDefrag),
	noop("active-defrag-ignore-bytes", "104857600", memoryValue(1, maxInt64), noDefrag),
	noop("active-defrag-threshold-lower", "10", integerValue(0, 1000), noDefrag),
	noop("active-defrag-threshold-upper", "100", integerValue(0, 1000), noDefrag),
	noop("active-defrag-cycle-min", "1", integerValue(1, 99), noDefrag),
	noop("active-defrag-cycle-max", "25", integerValue(1, 99), noDefrag),
	noop("active-defrag-max-scan-fields", "1000", integerValue(1, maxInt64), noDefrag),

	// Monitoring.
	int64Directive("slowlog-log-slower-than", func(c *Config) *int64 { return &c.SlowlogLogSlowerThan }, -1, maxInt64, noEffect).redis("10000",
		"a command's time runs from its start to its reply, waiting for the store's lock included; a transaction is one EXEC entry, and blocking commands are not logged"),
	int64Directive("slowlog-max-len", func(c *Config) *int64 { return &c.SlowlogMaxLen }, 0, maxInt64, noEffect).redis("128", ""),
	fixed("latency-monitor-threshold", "0", integerValue(0, maxInt64), []string{"0"}, "Shingle has no latency monitor (LATENCY is not implemented)").try("100"),
	fixed("latency-tracking", "yes", yesNoValue, []string{"no"}, "Shingle tracks no per-command latency percentiles (INFO has no latencystats section)").try("yes"),
	noop("latency-tracking-info-percentiles", "50 99 99.9", percentilesValue, "read by Redis only with latency-tracking yes, which Shingle refuses").multi(),
	fixed("notify-keyspace-events", "", notifyEventsValue, []string{""}, "Shingle sends no keyspace notifications (it has no pub/sub)").try("KEA", "Ex"),

	// Encodings: Redis's memory representation of small values.
	fixed("hash-max-listpack-entries", "512", integerValue(0, maxInt64), []string{"0"},
		"Shingle stores every hash alike: HSCAN pages through it by COUNT and HGETALL, HKEYS and HVALS return fields in no particular order, as Redis does for a hash table; a listpack hash would answer HSCAN in one page and keep insertion order").alias("hash-max-ziplist-entries").try("128", "512"),
	noop("hash-max-listpack-value", "64", memoryValue(0, maxInt64), "with hash-max-listpack-entries 0, the only value Shingle accepts, Redis makes every hash a hash table whatever this says").alias("hash-max-ziplist-value"),
	noop("list-max-listpack-size", "-2", integerValue(-1<<31, maxInt32), noListNodes).alias("list-max-ziplist-size"),
	noop("list-compress-depth", "0", integerValue(0, maxInt32), noListNodes),
	fixed("set-max-intset-entries", "512", integerValue(0, maxInt64), []string{"0"},
		"Shingle stores every set alike: SSCAN pages through it by COUNT and SMEMBERS returns members in no particular order, as Redis does for a hash table; an intset would answer SSCAN in one page, in numeric order").try("128", "512"),
	fixed("zset-max-listpack-entries", "128", integerValue(0, maxInt64), []string{"0"},
		"Shingle stores every sorted set alike, by member and by score: ZSCAN pages through it by COUNT and a score of -0 keeps its sign, as Redis does for a skiplist; a listpack sorted set would answer ZSCAN in one page and store -0 as 0").alias("zset-max-ziplist-entries").try("128", "64"),
	noop("zset-max-listpack-value", "64", memoryValue(0, maxInt64), "with zset-max-listpack-entries 0, the only value Shingle accepts, Redis makes every sorted set a skiplist whatever this says").alias("zset-max-ziplist-value"),
	memoryDirective("hll-sparse-max-bytes", func(c *Config) *int64 { return &c.HLLSparseMaxBytes }, 0).redis("3000",
		"HyperLogLogs are strings in Redis's own encoding, sparse or dense as this says: GET, DUMP and replication carry the same bytes as redis-server's"),
	noop("stream-node-max-bytes", "4096", memoryValue(0, maxInt64), fmt.Sprintf(noEncodings, "streams", "stream")),
	noop("stream-node-max-entries", "100", integerValue(0, maxInt64), fmt.Sprintf(noEncodings, "streams", "stream")),
	fixed("sanitize-dump-payload", "no", enumValue("no", "yes", "clients"), []string{"yes"},
		"Shingle checks every encoding of an RDB it loads (a full sync) in depth before using it, as Redis does with yes; it has no RESTORE").try("no", "clients"),

	// Cluster (cluster.go).
	boolDirective("cluster-enabled", func(c *Config) *bool { return &c.Cluster.Enabled }, noEffect).startupOnly().redis("no",
		"the configuration is a Raft log among the nodes, not gossip; see the cluster package"),
	strDirective("cluster-config-file", func(c *Config) *string { return &c.Cluster.ConfigFile }, noEffect).startupOnly().redis("nodes.conf",
		"names a directory, relative to dir, holding the node's id, its Raft log (raft.db) and snapshots, not a text file"),
	int64Directive("cluster-node-timeout", func(c *Config) *int64 { return &c.Cluster.NodeTimeoutMs }, 0, maxInt64, clusterEffect).redis("15000",
		"Raft's timers follow it (a tenth of it, between 50 ms and 1 s); 0 is taken as the default, 15000"),
	intDirective("cluster-port", func(c *Config) *int { return &c.Cluster.Port }, 0, 65535, noEffect).startupOnly().redis("0", ""),
	directive{name: "cluster-bus-transport",
		get: func(c *Config) string { return c.Cluster.BusTransport },
		set: func(c *Config, v string) error {
			switch v = strings.ToLower(v); v {
			case tlsconn.TCP, tlsconn.QUIC:
				c.Cluster.BusTransport = v
				return nil
			}
			return fmt.Errorf("argument(s) must be one of the following: tcp, quic")
		}}.startupOnly().shingle("the cluster bus's transport: tcp (TLS with tls-cluster yes, as Redis's bus), the default, or quic (UDP at the bus port, TLS 1.3 with the tls-* certificates and client certificates required; needs tls-cluster yes)"),
	intDirective("cluster-sync-replicas", func(c *Config) *int { return &c.Cluster.SyncReplicas }, 0, maxInt32, noEffect).shingle(
		"how many replicas must acknowledge a write before any client, its writer included, learns of it, on a primary (with or without cluster-enabled): reads and writes are then linearizable across failovers; writes are refused with NOREPLICAS while fewer replicas are online; 0, the default, off"),
	noop("cluster-replica-validity-factor", "10", integerValue(0, maxInt32), "Redis keeps a replica whose link was down too long from failing over; Shingle's leader picks the replica with the largest offset among those that report").alias("cluster-slave-validity-factor"),
	noop("cluster-migration-barrier", "1", integerValue(0, maxInt32), "read by Redis only for replica migration, which Shingle does not do (cluster-allow-replica-migration no)"),
	fixed("cluster-allow-replica-migration", "yes", yesNoValue, []string{"no"}, "Shingle never moves a replica to another primary by itself"),
	boolDirective("cluster-require-full-coverage", func(c *Config) *bool { return &c.Cluster.RequireFullCoverage }, noEffect).redis("yes", ""),
	boolDirective("cluster-replica-no-failover", func(c *Config) *bool { return &c.Cluster.ReplicaNoFailover }, clusterEffect).alias("cluster-slave-no-failover").redis("no", ""),
	boolDirective("cluster-allow-reads-when-down", func(c *Config) *bool { return &c.Cluster.AllowReadsWhenDown }, noEffect).redis("no", ""),
	noop("cluster-allow-pubsubshard-when-down", "yes", yesNoValue, "Shingle has no sharded pub/sub"),
	noop("cluster-link-sendbuf-limit", "0", memoryValue(0, maxInt64), "bounds Redis's gossip send buffers; Shingle's bus carries Raft's messages, which Raft paces itself"),
	strDirective("cluster-announce-hostname", func(c *Config) *string { return &c.Cluster.AnnounceHostname }, clusterEffect).redis("", ""),
	directive{name: "cluster-preferred-endpoint-type",
		get: func(c *Config) string { return c.Cluster.PreferredEndpointType },
		set: func(c *Config, v string) error {
			e, err := enumValue(cluster.EndpointIP, cluster.EndpointHostname, cluster.EndpointUnknown)([]string{v})
			if err == nil {
				c.Cluster.PreferredEndpointType = e
			}
			return err
		}}.redis("ip", ""),
	strDirective("cluster-announce-ip", func(c *Config) *string { return &c.Cluster.AnnounceIP }, clusterEffect).redis("", ""),
	intDirective("cluster-announce-port", func(c *Config) *int { return &c.Cluster.AnnouncePort }, 0, 65535, clusterEffect).redis("0", ""),
	intDirective("cluster-announce-tls-port", func(c *Config) *int { return &c.Cluster.AnnounceTLSPort }, 0, 65535, clusterEffect).redis("0", ""),
	intDirective("cluster-announce-bus-port", func(c *Config) *int { return &c.Cluster.AnnounceBusPort }, 0, 65535, clusterEffect).redis("0", ""),

	// Read by Redis's config.c outside its table: config file only.
	directive{name: "include", fileOnly: true}.redis("", "expanded by the config package while it reads the file (config.Parse), with Redis's rules"),
	unknown("loadmodule", "", "Shingle has no modules"),
	unknown("sentinel", "", "Shingle is not a Sentinel"),
	directive{name: "list-max-ziplist-entries", fileOnly: true}.redis("", "deprecated; Redis 7.0 reads it and ignores it, and so does Shingle"),
	directive{name: "list-max-ziplist-value", fileOnly: true}.redis("", "deprecated; Redis 7.0 reads it and ignores it, and so does Shingle"),
	directive{name: "lua-replicate-commands", fileOnly: true}.redis("", "deprecated; Redis 7.0 reads it and ignores it, and so does Shingle"),
}

// shutdownDirective is shutdown-on-sigint or shutdown-on-sigterm: any of
// Redis's values but save, which would write an RDB snapshot.
func shutdownDirective(name string) directive {
	d := fixed(name, "default", shutdownValue, []string{"default"}, "Shingle writes no RDB snapshot when it shuts down").multi().try("save")
	d.accepts = func(v string) bool { return !slices.Contains(strings.Fields(v), "save") }
	d.acceptedDoc = "default, or any of nosave, now and force (anything but save)"
	return d
}

// directiveIndex finds a directive by any of its names.
var directiveIndex = func() map[string]*directive {
	m := map[string]*directive{}
	for i := range directives {
		d := &directives[i]
		for _, n := range d.names() {
			if _, dup := m[n]; dup {
				panic("netmode: directive " + n + " is in the table twice")
			}
			m[n] = d
		}
	}
	return m
}()

func lookupDirective(name string) *directive { return directiveIndex[name] }

// configurable reports whether CONFIG GET and CONFIG SET know d.
func (d *directive) configurable() bool { return d.status != refused && !d.fileOnly }
