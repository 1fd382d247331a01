package netmode

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/redisnum"
)

// The slow log, as Redis 7.0 keeps it (slowlog.c): each command that ran
// for slowlog-log-slower-than microseconds or more (-1: none) is kept,
// newest first, up to slowlog-max-len entries, with its arguments (at most
// 32, each cut at 128 bytes, and passwords redacted), its client's address
// and name. The time is the command's, from the end of the one before it
// or the read that brought it to its reply: it includes parsing it and
// waiting for the store's lock. Unlike Redis, the commands of
// a transaction are timed together, as one EXEC entry, and the blocking
// commands (BLPOP and its kin) are left out, as their time is mostly
// spent waiting.

const (
	slowlogMaxArgs   = 32
	slowlogMaxString = 128
)

type slowlog struct {
	mu      sync.Mutex
	nextID  int64
	entries []slowlogEntry // oldest first
}

type slowlogEntry struct {
	id, unix, micros int64
	args             []string
	addr, name       string
}

// slowlogNote logs the command c just ran, if the configuration asks for
// it. Its time runs from c.cmdStart, and the next command's from now.
func (s *Server) slowlogNote(c *client, cmd *command.Command, args [][]byte) {
	cfg := s.cfg.Load()
	if cfg.SlowlogLogSlowerThan < 0 {
		c.cmdStart = time.Time{} // unknown once the log is turned on again
		return
	}
	start := c.cmdStart
	c.cmdStart = time.Now()
	d := c.cmdStart.Sub(start)
	if start.IsZero() || d.Microseconds() < cfg.SlowlogLogSlowerThan {
		return
	}
	if cmd.Flags&command.FlagBlocking != 0 {
		return // its time is mostly waiting
	}
	e := slowlogEntry{unix: time.Now().Unix(), micros: d.Microseconds(), addr: c.addr()}
	c.mu.Lock()
	e.name = c.name
	c.mu.Unlock()
	redacted := redactions(cmd.Name, args)
	n := min(len(args), slowlogMaxArgs)
	for i := range n {
		a := args[i]
		switch {
		case i == slowlogMaxArgs-1 && len(args) > slowlogMaxArgs:
			e.args = append(e.args, fmt.Sprintf("... (%d more arguments)", len(args)-slowlogMaxArgs+1))
		case redacted[i]:
			e.args = append(e.args, "(redacted)")
		case len(a) > slowlogMaxString:
			e.args = append(e.args, fmt.Sprintf("%s... (%d more bytes)", a[:slowlogMaxString], len(a)-slowlogMaxString))
		default:
			e.args = append(e.args, string(a))
		}
	}
	l := &s.slowlog
	l.mu.Lock()
	defer l.mu.Unlock()
	e.id = l.nextID
	l.nextID++
	l.entries = append(l.entries, e)
	if over := len(l.entries) - int(cfg.SlowlogMaxLen); over > 0 {
		l.entries = append(l.entries[:0:0], l.entries[over:]...)
	}
}

// redactions reports which arguments carry a secret, as Redis redacts
// them: AUTH's, HELLO's AUTH, MIGRATE's AUTH and AUTH2, CONFIG SET of a
// password, ACL SETUSER's password rules.
func redactions(name string, args [][]byte) map[int]bool {
	r := map[int]bool{}
	switch name {
	case "auth":
		for i := 1; i < len(args); i++ {
			r[i] = true
		}
	case "hello", "migrate":
		for i := 1; i < len(args); i++ {
			switch {
			case bytes.EqualFold(args[i], []byte("auth")) && name == "hello":
				r[i+1], r[i+2] = true, true
			case bytes.EqualFold(args[i], []byte("auth")):
				r[i+1] = true
			case bytes.EqualFold(args[i], []byte("auth2")):
				r[i+1], r[i+2] = true, true
			}
		}
	case "config":
		if len(args) > 1 && bytes.EqualFold(args[1], []byte("set")) {
			for i := 2; i+1 < len(args); i += 2 {
				if strings.Contains(strings.ToLower(string(args[i])), "pass") || strings.EqualFold(string(args[i]), "masterauth") {
					r[i+1] = true
				}
			}
		}
	case "acl":
		if len(args) > 1 && bytes.EqualFold(args[1], []byte("setuser")) {
			for i := 3; i < len(args); i++ {
				if len(args[i]) > 0 && strings.ContainsRune("><#!", rune(args[i][0])) {
					r[i] = true
				}
			}
		}
	}
	return r
}

var slowlogHelp = []string{
	"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"GET [<count>]",
	"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
	"    Entries are made of:",
	"    id, timestamp, time in microseconds, arguments array, client IP and port,",
	"    client name",
	"LEN",
	"    Return the length of the slowlog.",
	"RESET",
	"    Reset the slowlog.",
	"HELP",
	"    Prints this help.",
}

// SLOWLOG GET [count] | LEN | RESET | HELP
func slowlogCmd(ctx *command.Ctx, args [][]byte) command.Reply {
	s := clientOf(ctx).s
	l := &s.slowlog
	sub := strings.ToLower(string(args[1]))
	switch {
	case sub == "help" && len(args) == 2:
		out := make([]command.Reply, len(slowlogHelp))
		for i, line := range slowlogHelp {
			out[i] = command.Status(line)
		}
		return command.Array(out...)
	case sub == "len" && len(args) == 2:
		l.mu.Lock()
		defer l.mu.Unlock()
		return command.Int(int64(len(l.entries)))
	case sub == "reset" && len(args) == 2:
		l.mu.Lock()
		l.entries = nil
		l.mu.Unlock()
		return command.OK
	case sub == "get" && (len(args) == 2 || len(args) == 3):
		count := int64(10)
		if len(args) == 3 {
			n, ok := redisnum.ParseInt(args[2])
			if !ok || n < -1 {
				return command.ErrorReply("ERR count should be greater than or equal to -1")
			}
			count = n
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if count == -1 || count > int64(len(l.entries)) {
			count = int64(len(l.entries))
		}
		out := make([]command.Reply, 0, count)
		for i := len(l.entries) - 1; i >= len(l.entries)-int(count); i-- {
			e := l.entries[i]
			argv := make([]command.Reply, len(e.args))
			for j, a := range e.args {
				argv[j] = command.BulkString(a)
			}
			out = append(out, command.Array(command.Int(e.id), command.Int(e.unix), command.Int(e.micros),
				command.Array(argv...), command.BulkString(e.addr), command.BulkString(e.name)))
		}
		return command.Array(out...)
	}
	return subcommandError("slowlog", args, []string{"help", "len", "reset", "get"})
}
