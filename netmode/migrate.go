package netmode

import (
	"bufio"
	"context"
	"errors"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/redisnum"
	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/store"
	"github.com/shinglekv/shingle/tlsconn"
)

// migrateCommand is MIGRATE: keys at position 3, or after KEYS.
var migrateCommand = &command.Command{Name: "migrate", Arity: -6,
	Flags: command.FlagWrite | command.FlagNoMulti, FirstKey: 3, LastKey: 3, Step: 1,
	Categories:  []string{"@keyspace", "@write", "@slow", "@dangerous"},
	MovableKeys: migrateKeys, Run: migrateCmd}

func migrateKeys(args [][]byte) [][]byte {
	for j := 6; j < len(args); j++ {
		switch {
		case isWord(args[j], "keys"):
			return args[j+1:]
		case isWord(args[j], "auth"):
			j++
		case isWord(args[j], "auth2"):
			j += 2
		}
	}
	if len(args) > 3 && len(args[3]) > 0 {
		return args[3:4]
	}
	return nil
}

// isWord reports whether b is the word w, in any case.
func isWord(b []byte, w string) bool { return strings.EqualFold(string(b), w) }

var (
	errMigrateConnect = command.ErrorReply("IOERR error or timeout connecting to the client")
	errMigrateRead    = command.ErrorReply("IOERR error or timeout reading to target instance")
	errMigrateWrite   = command.ErrorReply("IOERR error or timeout writing to target instance")
)

// migrateCmd serves MIGRATE host port key|"" destination-db timeout [COPY]
// [REPLACE] [AUTH password | AUTH2 username password] [KEYS key ...], with
// Redis 7.0's checks and replies: the keys go to the target as
// RESTORE-ASKING in cluster mode (RESTORE otherwise), after AUTH and
// SELECT, in one round trip; each key the target took is deleted here
// unless COPY. With tls-cluster yes the target is reached over TLS with
// this node's client certificate, as Redis does. Each MIGRATE opens its
// own connection (Redis keeps one for 10 seconds).
func migrateCmd(ctx *command.Ctx, args [][]byte) command.Reply {
	c := clientOf(ctx)
	var copyKeys, replace bool
	var user, pass []byte
	keys := args[3:4]
	for j := 6; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case isWord(args[j], "copy"):
			copyKeys = true
		case isWord(args[j], "replace"):
			replace = true
		case isWord(args[j], "auth") && more >= 1:
			j++
			pass = args[j]
		case isWord(args[j], "auth2") && more >= 2:
			user, pass = args[j+1], args[j+2]
			j += 2
		case isWord(args[j], "keys"):
			if len(args[3]) != 0 {
				return command.ErrorReply("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
			}
			keys = args[j+1:]
			j = len(args)
		default:
			return command.ErrorReply("ERR syntax error")
		}
	}
	timeout, ok1 := redisnum.ParseInt(args[5])
	_, ok2 := redisnum.ParseInt(args[4])
	if !ok1 || !ok2 {
		return command.ErrorReply("ERR value is not an integer or out of range")
	}
	if timeout <= 0 {
		timeout = 1000
	}
	type item struct {
		key []byte
		rec *store.Record
	}
	// As Redis, which blocks while it migrates: the store's write lock is
	// held from the first read of the keys to their deletion, so that no
	// write lands between a key's copy and its removal here.
	if err := c.sess.Hold(); err != nil {
		return command.ErrReply(err)
	}
	var items []item
	for _, k := range keys {
		r, err := ctx.Ops.Dump(k)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return command.ErrReply(err)
		}
		items = append(items, item{k, r})
	}
	if len(items) == 0 {
		return command.Status("NOKEY")
	}
	restore := []byte("RESTORE")
	if c.s.cluster != nil {
		restore = []byte("RESTORE-ASKING")
	}
	var req []byte
	if pass != nil {
		if user != nil {
			req = resp.AppendCommand(req, []byte("AUTH"), user, pass)
		} else {
			req = resp.AppendCommand(req, []byte("AUTH"), pass)
		}
	}
	req = resp.AppendCommand(req, []byte("SELECT"), args[4])
	now := ctx.Ops.Now().UnixMilli()
	for _, it := range items {
		ttl := int64(0)
		if it.rec.ExpireMs != 0 {
			ttl = max(it.rec.ExpireMs-now, 1)
		}
		cmd := [][]byte{restore, it.key, strconv.AppendInt(nil, ttl, 10), command.Payload(it.rec)}
		if replace {
			cmd = append(cmd, []byte("REPLACE"))
		}
		req = resp.AppendCommand(req, cmd...)
	}
	wait := time.Duration(min(timeout, math.MaxInt64/int64(time.Millisecond))) * time.Millisecond
	port := cAtoi(args[2])
	if port < 0 {
		// Redis passes atoi of the port to getaddrinfo, which refuses a
		// negative service before any connection.
		return errMigrateConnect
	}
	// The connection gets at least 100 ms: a refused one must be told
	// from a slow one (Redis learns of a refusal at once, however small
	// the timeout) even when this goroutine waits for a CPU.
	dctx, cancel := context.WithTimeout(c.s.closing, max(wait, 100*time.Millisecond))
	defer cancel()
	d, err := c.s.migrateDialer()
	if err != nil {
		return command.ErrReply(err)
	}
	conn, err := d.Dial(dctx, net.JoinHostPort(string(args[1]), strconv.Itoa(int(uint16(port)))))
	if err != nil {
		// Redis connects without blocking and learns of a refused or
		// impossible connection when it writes: only a timeout is
		// "connecting".
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
			return errMigrateConnect
		}
		return errMigrateWrite
	}
	defer conn.Close()
	// The timeout bounds each step, as Redis's per-I/O timeout.
	conn.SetWriteDeadline(time.Now().Add(wait))
	if _, err := conn.Write(req); err != nil {
		return errMigrateWrite
	}
	// As Redis: the first error the target answers is MIGRATE's reply;
	// a key whose RESTORE succeeded (after a good AUTH and SELECT) is
	// deleted here, whatever happened to the others.
	rd := bufio.NewReader(conn)
	var failed command.Reply
	read := func() (ok, good bool) {
		conn.SetReadDeadline(time.Now().Add(wait))
		r, err := resp.ReadReply(rd)
		if err != nil {
			return false, false
		}
		if r.Kind == resp.KindError {
			if failed.Kind == 0 {
				failed = command.ErrorReply("ERR Target instance replied with error: " + string(r.Str))
			}
			return true, false
		}
		return true, true
	}
	preamble := 1 // SELECT
	if pass != nil {
		preamble++ // AUTH
	}
	admitted := true
	for range preamble {
		ok, good := read()
		if !ok {
			return errMigrateRead
		}
		admitted = admitted && good
	}
	for _, it := range items {
		ok, good := read()
		if !ok {
			return errMigrateRead
		}
		if good && admitted && !copyKeys {
			if _, err := ctx.Ops.Del(it.key); err != nil {
				return command.ErrReply(err)
			}
		}
	}
	if failed.Kind != 0 {
		return failed
	}
	return command.OK
}

// cAtoi is C's atoi as Redis gets it from glibc, which MIGRATE's port goes
// through: leading space, a sign, digits up to the first other byte,
// strtol's clamping to 64 bits, then the low 32 bits.
func cAtoi(b []byte) int32 {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] >= '\t' && b[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	var n int64
	overflow := false
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		d := int64(b[i] - '0')
		if n > (math.MaxInt64-d)/10 {
			overflow = true
			continue
		}
		n = n*10 + d
	}
	switch {
	case overflow && neg:
		n = math.MinInt64
	case overflow:
		n = math.MaxInt64
	case neg:
		n = -n
	}
	return int32(n)
}

// migrateDialer reaches MIGRATE's target, and a slot migration's: TLS
// with the client pair when tls-cluster is yes, as Redis does, plain TCP
// otherwise.
func (s *Server) migrateDialer() (*tlsconn.Dialer, error) {
	cfg := s.cfg.Load()
	d := &tlsconn.Dialer{Transport: tlsconn.TCP}
	if cfg.TLS.Cluster {
		var err error
		if d, err = tlsconn.NewDialer(tlsconn.TLS, cfg.TLS, ""); err != nil {
			return nil, err
		}
	}
	d.NetDial = cfg.netDial
	return d, nil
}
