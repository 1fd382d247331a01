package netmode

import (
	"strconv"
	"strings"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/redisnum"
	"github.com/shinglekv/shingle/store"
	"github.com/shinglekv/shingle/tlsconn"
)

// Version is the Redis version whose commands and replies Shingle follows.
// HELLO and INFO report it as the server version, so that clients that
// choose features by version choose Redis 7.0's.
const Version = "7.0.15"

// ShingleVersion is Shingle's own version, in INFO server: the store's,
// which it also records in the data directory.
const ShingleVersion = store.Version

func serverCommands() []*command.Command {
	conn := command.FlagNoScript | command.FlagLoading | command.FlagStale | command.FlagFast
	cat := func(s string) []string { return strings.Fields(s) }
	return []*command.Command{
		{Name: "ping", Arity: -1, Flags: command.FlagFast, Categories: cat("@fast @connection"), Run: ping},
		{Name: "echo", Arity: 2, Flags: command.FlagFast | command.FlagLoading | command.FlagStale, Categories: cat("@fast @connection"), Run: echo},
		{Name: "hello", Arity: -1, Flags: conn | command.FlagNoAuth | command.FlagAllowBusy, Categories: cat("@fast @connection"), Run: hello},
		{Name: "auth", Arity: -2, Flags: conn | command.FlagNoAuth | command.FlagAllowBusy, Categories: cat("@fast @connection"), Run: auth},
		{Name: "select", Arity: 2, Flags: command.FlagLoading | command.FlagStale | command.FlagFast, Categories: cat("@keyspace @fast"), Run: selectCmd},
		{Name: "quit", Arity: -1, Flags: conn | command.FlagNoAuth | command.FlagAllowBusy, Categories: cat("@fast @connection"), Run: quit},
		{Name: "reset", Arity: 1, Flags: conn | command.FlagNoAuth | command.FlagAllowBusy, Categories: cat("@fast @connection"), Run: reset},
		{Name: "client", Arity: -2, Flags: command.FlagNoScript | command.FlagLoading | command.FlagStale, Categories: cat("@slow @connection"), Run: clientCmd},
		{Name: "multi", Arity: 1, Flags: command.FlagNoScript | command.FlagLoading | command.FlagStale | command.FlagFast | command.FlagAllowBusy, Categories: cat("@fast @transaction"), Run: multiCmd},
		{Name: "exec", Arity: 1, Flags: command.FlagNoScript | command.FlagLoading | command.FlagStale, Categories: cat("@slow @transaction"), Run: execCmd},
		{Name: "discard", Arity: 1, Flags: command.FlagNoScript | command.FlagLoading | command.FlagStale | command.FlagFast | command.FlagAllowBusy, Categories: cat("@fast @transaction"), Run: discardCmd},
		{Name: "watch", Arity: -2, Flags: command.FlagNoScript | command.FlagLoading | command.FlagStale | command.FlagFast | command.FlagAllowBusy, FirstKey: 1, LastKey: -1, Step: 1, Categories: cat("@fast @transaction"), Run: watchCmd},
		{Name: "unwatch", Arity: 1, Flags: command.FlagNoScript | command.FlagLoading | command.FlagStale | command.FlagFast | command.FlagAllowBusy, Categories: cat("@fast @transaction"), Run: unwatchCmd},
		{Name: "command", Arity: -1, Flags: command.FlagLoading | command.FlagStale, Categories: cat("@slow @connection"), Run: commandCmd},
		{Name: "config", Arity: -2, Flags: command.FlagAdmin | command.FlagNoScript | command.FlagLoading | command.FlagStale, Categories: cat("@admin @slow @dangerous"), Run: configCmd},
		{Name: "info", Arity: -1, Flags: command.FlagLoading | command.FlagStale, Categories: cat("@slow @dangerous"), Run: infoCmd},
		{Name: "psync", Arity: -3, Flags: command.FlagAdmin | command.FlagNoScript | command.FlagNoMulti | command.FlagNoAsyncLoading, Categories: cat("@admin @slow @dangerous"), Run: psync},
		{Name: "sync", Arity: 1, Flags: command.FlagAdmin | command.FlagNoScript | command.FlagNoMulti | command.FlagNoAsyncLoading, Categories: cat("@admin @slow @dangerous"), Run: psync},
		{Name: "wait", Arity: 3, Flags: command.FlagNoScript, Categories: cat("@slow @connection"), Run: waitCmd},
		{Name: "role", Arity: 1, Flags: command.FlagNoScript | command.FlagLoading | command.FlagStale | command.FlagFast, Categories: cat("@admin @fast @dangerous"), Run: roleCmd},
		{Name: "replicaof", Arity: 3, Flags: command.FlagAdmin | command.FlagNoScript | command.FlagStale | command.FlagNoMulti | command.FlagLoading, Categories: cat("@admin @slow @dangerous"), Run: replicaofCmd},
		{Name: "slaveof", Arity: 3, Flags: command.FlagAdmin | command.FlagNoScript | command.FlagStale | command.FlagNoMulti | command.FlagLoading, Categories: cat("@admin @slow @dangerous"), Run: replicaofCmd},
		{Name: "failover", Arity: -1, Flags: command.FlagAdmin | command.FlagNoScript | command.FlagStale, Categories: cat("@admin @slow @dangerous"), Run: failoverCmd},
		{Name: "replconf", Arity: -1, Flags: command.FlagAdmin | command.FlagNoScript | command.FlagLoading | command.FlagStale | command.FlagAllowBusy, Categories: cat("@admin @slow @dangerous"), Run: replconf},
		migrateCommand,
		{Name: "slowlog", Arity: -2, Categories: cat("@slow"), Run: slowlogCmd},
		{Name: "monitor", Arity: 1, Flags: command.FlagAdmin | command.FlagNoScript | command.FlagLoading | command.FlagStale, Categories: cat("@admin @slow @dangerous"), Run: monitorCmd},
		{Name: "acl", Arity: -2, Flags: command.FlagAdmin | command.FlagNoScript | command.FlagLoading | command.FlagStale, Categories: cat("@admin @slow @dangerous"), Run: aclCmd},
	}
}

func ping(ctx *command.Ctx, args [][]byte) command.Reply {
	if len(args) > 2 {
		return command.WrongArgs("ping")
	}
	if len(args) == 2 {
		return command.Bulk(args[1])
	}
	return command.Status("PONG")
}

func echo(_ *command.Ctx, args [][]byte) command.Reply { return command.Bulk(args[1]) }

var errWrongPass = command.ErrorReply("WRONGPASS invalid username-password pair or user is disabled.")

// checkAuth checks a user and password, counting a failure.
func (c *client) checkAuth(user, pass []byte) bool {
	if !c.s.users.Authenticate(string(user), string(pass)) {
		c.s.stats.ACLDeniedAuth.Add(1)
		return false
	}
	return true
}

// defaultAuthed reports whether a new connection starts authenticated as
// the default user: when that user is on and needs no password.
func (s *Server) defaultAuthed() bool { return s.users.Authenticate("default", "") }

func (c *client) setAuthed(user string) {
	c.mu.Lock()
	c.authed, c.user = true, user
	c.mu.Unlock()
}

func auth(ctx *command.Ctx, args [][]byte) command.Reply {
	c := clientOf(ctx)
	var user, pass []byte
	switch len(args) {
	case 2:
		user, pass = []byte("default"), args[1]
	case 3:
		user, pass = args[1], args[2]
	default:
		return command.ErrorReply("ERR syntax error")
	}
	if r, refused := c.userSwitchRefused(user); refused {
		return r
	}
	if len(args) == 2 && c.s.defaultAuthed() {
		return command.ErrorReply("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
	}
	if !c.checkAuth(user, pass) {
		return errWrongPass
	}
	c.setAuthed(string(user))
	return command.OK
}

// hello follows Redis 7's HELLO: switch protocol, optionally authenticate
// and name the connection, and describe the server.
func hello(ctx *command.Ctx, args [][]byte) command.Reply {
	c := clientOf(ctx)
	proto := ctx.Proto
	if len(args) >= 2 {
		// Redis's integers: "+3" and "03" are not protocol versions.
		v, ok := redisnum.ParseInt(args[1])
		if !ok {
			return command.ErrorReply("ERR Protocol version is not an integer or out of range")
		}
		if v < 2 || v > 3 {
			return command.ErrorReply("NOPROTO unsupported protocol version")
		}
		proto = int(v)
	}
	var name []byte
	var setName bool
	for i := 2; i < len(args); i++ {
		more := len(args) - i - 1
		switch {
		case strings.EqualFold(string(args[i]), "auth") && more >= 2:
			if r, refused := c.userSwitchRefused(args[i+1]); refused {
				return r
			}
			if !c.checkAuth(args[i+1], args[i+2]) {
				return errWrongPass
			}
			c.setAuthed(string(args[i+1]))
			i += 2
		case strings.EqualFold(string(args[i]), "setname") && more >= 1:
			name, setName = args[i+1], true
			i++
		default:
			return command.ErrorReply("ERR Syntax error in HELLO option '" + string(args[i]) + "'")
		}
	}
	if !c.authed {
		return command.ErrorReply("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
	}
	if setName {
		if r, ok := validName(name); !ok {
			return r
		}
		c.mu.Lock()
		c.name = string(name)
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.proto = proto
	c.mu.Unlock()
	ctx.Proto, c.ctx.Proto = proto, proto
	return command.Map(
		command.BulkString("server"), command.BulkString("shingle"),
		command.BulkString("version"), command.BulkString(Version),
		command.BulkString("proto"), command.Int(int64(proto)),
		command.BulkString("id"), command.Int(int64(c.id)),
		command.BulkString("mode"), command.BulkString("standalone"),
		command.BulkString("role"), command.BulkString(c.s.role()),
		command.BulkString("modules"), command.Array(),
	)
}

// validName checks a connection name as Redis does.
func validName(name []byte) (command.Reply, bool) {
	if !printable(name) {
		return command.ErrorReply("ERR Client names cannot contain spaces, newlines or special characters."), false
	}
	return command.Reply{}, true
}

// printable reports whether b is printable ASCII without spaces, what Redis
// allows in client names and library names and versions.
func printable(b []byte) bool {
	for _, ch := range b {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

// selectCmd checks the index as Redis's getIntFromObjectOrReply does, with
// its two error texts, before refusing every database but 0.
func selectCmd(_ *command.Ctx, args [][]byte) command.Reply {
	n, ok := redisnum.ParseInt(args[1])
	if !ok {
		return command.ErrorReply("ERR value is not an integer or out of range")
	}
	if n != int64(int32(n)) {
		return command.ErrorReply("ERR value is out of range, value must between -2147483648 and 2147483647")
	}
	if n != 0 {
		return command.ErrorReply("ERR DB index is out of range")
	}
	return command.OK
}

func quit(ctx *command.Ctx, _ [][]byte) command.Reply {
	c := clientOf(ctx)
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	return command.OK
}

// reset returns the connection to its state just after connecting.
func reset(ctx *command.Ctx, _ [][]byte) command.Reply {
	c := clientOf(ctx)
	c.unwatch()
	c.mu.Lock()
	c.multi = nil
	c.name = ""
	c.proto = 2
	c.noEvict = false
	c.authed = c.s.defaultAuthed()
	c.user = "default"
	c.mu.Unlock()
	// A client known by its certificate stays that user, as at connect.
	if !c.authenticateByCert(c.s.cfg.Load(), c.conn.Security()) {
		c.mu.Lock()
		c.closing = true
		c.mu.Unlock()
	}
	ctx.Proto, c.ctx.Proto = 2, 2
	return command.Status("RESET")
}

// clientInfo renders one line of CLIENT LIST / CLIENT INFO: Redis 7.2's
// fields, then Shingle's transport fields.
func (c *client) clientInfo() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := nowNano()
	multi := -1
	flags := "N"
	if c.multi != nil {
		multi = len(c.multi.queued)
		flags = "x"
	}
	if c.conn.Transport() == tlsconn.Unix {
		flags += "U"
	}
	if c.noEvict {
		flags += "e"
	}
	var b strings.Builder
	field := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	itoa := func(n int64) string { return strconv.FormatInt(n, 10) }
	field("id", itoa(int64(c.id)))
	field("addr", c.addr())
	field("laddr", addrString(c.conn.LocalAddr()))
	field("fd", "-1")
	field("name", c.name)
	field("age", itoa((now-c.created.UnixNano())/1e9))
	field("idle", itoa((now-c.lastActive.Load())/1e9))
	field("flags", flags)
	field("db", "0")
	field("sub", "0")
	field("psub", "0")
	field("ssub", "0")
	field("multi", itoa(int64(multi)))
	field("qbuf", "0")
	field("qbuf-free", "0")
	field("argv-mem", "0")
	field("multi-mem", "0")
	field("rbs", "0")
	field("rbp", "0")
	field("obl", "0")
	field("oll", "0")
	field("omem", "0")
	field("tot-mem", "0")
	field("events", "r")
	field("cmd", c.lastCmd)
	field("user", c.user)
	field("redir", "-1")
	field("resp", itoa(int64(c.proto)))
	field("lib-name", c.libName)
	field("lib-ver", c.libVer)
	field("transport", c.conn.Transport())
	if sec := c.conn.Security(); sec != nil {
		field("tls-version", tlsconn.VersionName(sec.Version))
		field("tls-cipher", sec.CipherSuiteName())
		field("tls-resumed", itoa(b2i(sec.Resumed)))
		if sec.PeerCertificate != nil {
			field("tls-client-cn", quoteField(sec.Identity("CN")))
		}
	}
	return b.String()
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// quoteField keeps a value that could contain spaces on one field.
func quoteField(s string) string {
	if strings.ContainsAny(s, " =\r\n") {
		return strconv.Quote(s)
	}
	return s
}

func clientCmd(ctx *command.Ctx, args [][]byte) command.Reply {
	c := clientOf(ctx)
	sub := strings.ToLower(string(args[1]))
	n := len(args)
	switch {
	case sub == "id" && n == 2:
		return command.Int(int64(c.id))
	case sub == "getname" && n == 2:
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.name == "" {
			return command.Null()
		}
		return command.BulkString(c.name)
	case sub == "setname" && n == 3:
		if r, ok := validName(args[2]); !ok {
			return r
		}
		c.mu.Lock()
		c.name = string(args[2])
		c.mu.Unlock()
		return command.OK
	case sub == "info" && n == 2:
		return verbatim(c.clientInfo() + "\n")
	case sub == "list":
		return c.s.clientList(args[2:])
	case sub == "kill":
		return c.s.clientKill(c, args[2:])
	case sub == "setinfo" && n == 4:
		attr := strings.ToLower(string(args[2]))
		if attr != "lib-name" && attr != "lib-ver" {
			return command.ErrorReply("ERR Unrecognized option '" + string(args[2]) + "'")
		}
		if !printable(args[3]) {
			return command.ErrorReply("ERR " + attr + " cannot contain spaces, newlines or special characters.")
		}
		c.mu.Lock()
		if attr == "lib-name" {
			c.libName = string(args[3])
		} else {
			c.libVer = string(args[3])
		}
		c.mu.Unlock()
		return command.OK
	case sub == "no-evict" && n == 3:
		on := strings.EqualFold(string(args[2]), "on")
		if !on && !strings.EqualFold(string(args[2]), "off") {
			return command.ErrorReply("ERR syntax error")
		}
		c.mu.Lock()
		c.noEvict = on
		c.mu.Unlock()
		return command.OK
	}
	return subcommandError("client", args, clientSubs)
}

// clientSubs are CLIENT's subcommands, for telling an unknown one from a
// known one with the wrong arguments.
var clientSubs = []string{"id", "getname", "setname", "info", "list", "kill", "setinfo", "no-evict"}

// subcommandError is Redis's reply to a container command that did not
// match: a known subcommand with the wrong number of arguments, or an
// unknown one.
func subcommandError(cmd string, args [][]byte, known []string) command.Reply {
	sub := strings.ToLower(string(args[1]))
	for _, k := range known {
		if k == sub {
			return command.WrongArgs(cmd + "|" + sub)
		}
	}
	name := args[1][:min(len(args[1]), 128)]
	return command.ErrorReply("ERR unknown subcommand '" + string(name) + "'. Try " + strings.ToUpper(cmd) + " HELP.")
}

// verbatim is a multi-line text reply: a verbatim string to RESP3 clients,
// a bulk string to RESP2 ones, as Redis answers INFO and CLIENT LIST.
func verbatim(s string) command.Reply {
	return command.Reply{Kind: command.KindVerbatim, Str: []byte(s)}
}

// clientList answers CLIENT LIST [TYPE type] [ID id ...].
func (s *Server) clientList(args [][]byte) command.Reply {
	var ids map[uint64]bool
	for i := 0; i < len(args); i++ {
		opt := strings.ToLower(string(args[i]))
		switch {
		case opt == "type" && i+1 < len(args):
			t := strings.ToLower(string(args[i+1]))
			switch t {
			case "normal":
			case "master", "replica", "slave", "pubsub":
				return verbatim("")
			default:
				return command.ErrorReply("ERR Unknown client type '" + string(args[i+1]) + "'")
			}
			i++
		case opt == "id" && i+1 < len(args):
			// Any integer is an id, as in Redis; one below 1 names no
			// client.
			ids = map[uint64]bool{}
			for i++; i < len(args); i++ {
				id, ok := redisnum.ParseInt(args[i])
				if !ok {
					return command.ErrorReply("ERR Invalid client ID")
				}
				if id > 0 {
					ids[uint64(id)] = true
				}
			}
		default:
			return command.ErrorReply("ERR syntax error")
		}
	}
	var b strings.Builder
	for _, c := range s.clientsByID() {
		if ids == nil || ids[c.id] {
			b.WriteString(c.clientInfo())
			b.WriteByte('\n')
		}
	}
	return verbatim(b.String())
}

// clientKill answers both forms of CLIENT KILL: the old "addr" form, which
// answers OK or an error, and the filter form, which answers a count.
func (s *Server) clientKill(self *client, args [][]byte) command.Reply {
	if len(args) == 1 {
		for _, c := range s.clientsByID() {
			if c.addr() == string(args[0]) {
				c.killFrom(self)
				return command.OK
			}
		}
		return command.ErrorReply("ERR No such client")
	}
	if len(args) == 0 || len(args)%2 != 0 {
		return command.ErrorReply("ERR syntax error")
	}
	var id uint64
	var addr, laddr, user, typ string
	skipMe := true
	for i := 0; i < len(args); i += 2 {
		v := string(args[i+1])
		switch strings.ToLower(string(args[i])) {
		case "id":
			n, ok := redisnum.ParseInt(args[i+1])
			if !ok || n <= 0 {
				return command.ErrorReply("ERR client-id should be greater than 0")
			}
			id = uint64(n)
		case "addr":
			addr = v
		case "laddr":
			laddr = v
		case "user":
			user = v
		case "type":
			typ = strings.ToLower(v)
			if typ != "normal" && typ != "master" && typ != "replica" && typ != "slave" && typ != "pubsub" {
				return command.ErrorReply("ERR Unknown client type '" + v + "'")
			}
		case "skipme":
			switch strings.ToLower(v) {
			case "yes":
				skipMe = true
			case "no":
				skipMe = false
			default:
				return command.ErrorReply("ERR syntax error")
			}
		default:
			return command.ErrorReply("ERR syntax error")
		}
	}
	killed := 0
	for _, c := range s.clientsByID() {
		c.mu.Lock()
		cuser := c.user
		c.mu.Unlock()
		switch {
		case id != 0 && c.id != id,
			addr != "" && c.addr() != addr,
			laddr != "" && addrString(c.conn.LocalAddr()) != laddr,
			user != "" && cuser != user,
			typ != "" && typ != "normal",
			skipMe && c == self:
			continue
		}
		c.killFrom(self)
		killed++
	}
	return command.Int(int64(killed))
}

// addr is the client's address as CLIENT LIST shows it. A unix socket
// client has no address of its own: Redis shows the socket's path.
func (c *client) addr() string {
	if c.conn.Transport() == tlsconn.Unix {
		return addrString(c.conn.LocalAddr())
	}
	return addrString(c.conn.RemoteAddr())
}

// killFrom closes c on behalf of self: after its reply when c is self.
func (c *client) killFrom(self *client) {
	if c == self {
		c.mu.Lock()
		c.closing = true
		c.mu.Unlock()
		return
	}
	c.kill()
}
