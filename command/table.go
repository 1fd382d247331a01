package command

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shinglekv/shingle/store"
)

// Flag describes a command, as COMMAND INFO reports it.
type Flag uint32

// Command flags, named as Redis names them.
const (
	FlagWrite Flag = 1 << iota
	FlagReadOnly
	FlagDenyOOM
	FlagAdmin
	FlagPubSub
	FlagNoScript
	FlagBlocking
	FlagLoading
	FlagStale
	FlagSkipMonitor
	FlagFast
	FlagNoAuth
	FlagMayReplicate
	FlagNoMulti
	FlagAllowBusy
	FlagAsking // runs in a slot being imported without ASKING (RESTORE-ASKING)
	// FlagNoAsyncLoading: refused (-LOADING) while a full sync loads
	// beside the data set (repl-diskless-load swapdb).
	FlagNoAsyncLoading
)

var flagNames = []string{
	"write", "readonly", "denyoom", "admin", "pubsub", "noscript", "blocking",
	"loading", "stale", "skip_monitor", "fast", "no_auth", "may_replicate",
	"no_multi", "allow_busy", "asking", "no_async_loading",
}

// Names returns the flag names, in Redis's order.
func (f Flag) Names() []string {
	var out []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// Ctx is what a command runs against.
type Ctx struct {
	// Ops runs the command: the DB's own (each command atomic on its own)
	// or a transaction's.
	Ops *store.Ops
	// DB is the database, for what only it can answer (DBSIZE, DEBUG DIGEST).
	DB *store.DB
	// Proto is the client's RESP version, 2 or 3. The Kind of a reply is
	// the same under both; a few commands change their reply's structure
	// with it, as Redis does.
	Proto int
	// Block, set by a server for a client that may wait, waits until one
	// of keys changes or timeout (0: none) passes, calling try after each
	// change: it returns try's reply once try reports done, or false when
	// the wait ends without one (the timeout, the connection closing).
	// Unset (an embedded call, inside EXEC, a replica's stream), blocking
	// commands answer at once, as on a timeout, as Redis does in MULTI.
	Block func(keys [][]byte, timeout time.Duration, try func() (Reply, bool)) (Reply, bool)
	// Cluster is set on a cluster node, where SORT refuses BY and GET
	// patterns, as Redis does (they name keys of any slot).
	Cluster bool
	// HLLSparseMaxBytes is hll-sparse-max-bytes, the size past which a
	// HyperLogLog turns dense (0: store.DefaultHLLSparseMaxBytes; negative:
	// 0, every HyperLogLog dense).
	HLLSparseMaxBytes int64
	// Client is the connection the command came on, for the connection and
	// server commands the network server adds to the table; nil for an
	// embedded call.
	Client any
}

// Command is one entry of the table.
type Command struct {
	// Name is the command name in lower case, as COMMAND reports it.
	Name string
	// Arity is Redis's: N means exactly N arguments counting the name, -N
	// means at least N.
	Arity int
	Flags Flag
	// FirstKey, LastKey and Step give the positions of the keys among the
	// arguments (LastKey -1: up to the last argument), as COMMAND INFO does.
	FirstKey, LastKey, Step int
	// MovableKeys, when set, finds the keys of a command whose keys move
	// with its options (MIGRATE's KEYS), as Redis's getkeys_proc does.
	MovableKeys func(args [][]byte) [][]byte
	// Categories are the ACL categories, "@read", "@string", ...
	Categories []string
	// Run executes the command; args[0] is the command name. Run may assume
	// the arity holds.
	Run func(c *Ctx, args [][]byte) Reply
}

// Keys returns the key arguments of args, by FirstKey, LastKey and Step,
// or by MovableKeys.
func (cmd *Command) Keys(args [][]byte) [][]byte {
	if cmd.MovableKeys != nil {
		return cmd.MovableKeys(args)
	}
	if cmd.FirstKey <= 0 || cmd.FirstKey >= len(args) {
		return nil
	}
	last := cmd.LastKey
	if last < 0 {
		last = len(args) + last
	}
	last = min(last, len(args)-1)
	var keys [][]byte
	for i := cmd.FirstKey; i <= last; i += max(cmd.Step, 1) {
		keys = append(keys, args[i])
	}
	return keys
}

// Table maps command names to commands. It is safe for concurrent use once
// built; Add is not safe to call concurrently with lookups.
type Table struct {
	cmds map[string]*Command
}

// NewTable returns a table holding every data command the store implements.
// The network server adds its connection and server commands to it.
func NewTable() *Table {
	t := &Table{cmds: map[string]*Command{}}
	t.Add(stringCommands...)
	t.Add(keyspaceCommands...)
	t.Add(expireCommands...)
	t.Add(hashCommands...)
	t.Add(bitCommands...)
	t.Add(setCommands...)
	t.Add(listCommands...)
	t.Add(zsetCommands...)
	t.Add(hllCommands...)
	t.Add(geoCommands...)
	t.Add(sortCommands...)
	t.Add(blockingCommands...)
	t.Add(dumpCommands...)
	return t
}

// Add adds commands, replacing any of the same name.
func (t *Table) Add(cmds ...*Command) {
	for _, c := range cmds {
		t.cmds[c.Name] = c
	}
}

// Lookup returns the command named name (in any case), or nil.
func (t *Table) Lookup(name []byte) *Command {
	var buf [32]byte
	if len(name) > len(buf) {
		return t.cmds[strings.ToLower(string(name))]
	}
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return t.cmds[string(buf[:len(name)])]
}

// Commands returns every command, sorted by name.
func (t *Table) Commands() []*Command {
	out := make([]*Command, 0, len(t.cmds))
	for _, c := range t.cmds {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *Command) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Exec runs one command and returns its reply: the unknown-command and
// wrong-arity errors are Redis's, word for word.
func (t *Table) Exec(c *Ctx, args [][]byte) Reply {
	if len(args) == 0 {
		return ErrorReply("ERR empty command")
	}
	cmd := t.Lookup(args[0])
	if cmd == nil {
		return UnknownCommand(args)
	}
	if !ArityOK(cmd.Arity, len(args)) {
		return WrongArgs(cmd.Name)
	}
	return cmd.Run(c, args)
}

// ArityOK reports whether n arguments satisfy a Redis arity.
func ArityOK(arity, n int) bool {
	return arity > 0 && n == arity || arity < 0 && n >= -arity
}

// UnknownCommand is Redis's reply to a command it does not know.
func UnknownCommand(args [][]byte) Reply {
	var b strings.Builder
	for _, a := range args[1:] {
		room := 128 - b.Len()
		if room <= 0 {
			break
		}
		b.WriteString("'")
		b.Write(a[:min(len(a), room)])
		b.WriteString("' ")
	}
	name := args[0][:min(len(args[0]), 128)]
	msg := "ERR unknown command '" + string(name) + "', with args beginning with: " + b.String()
	return ErrorReply(strings.NewReplacer("\r", " ", "\n", " ").Replace(msg))
}

// WrongArgs is Redis's reply to a command called with the wrong number of
// arguments.
func WrongArgs(name string) Reply {
	return ErrorReply("ERR wrong number of arguments for '" + name + "' command")
}

var defaultTable = sync.OnceValue(NewTable)

// Do runs one command against db, as a client would send it, and returns the
// reply with RESP2 structure: command.Do(db, "SET", "k", "v") is +OK. It is
// the embedder's door to every command, including those without a typed
// method.
func Do(db *store.DB, args ...string) Reply {
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	return defaultTable().Exec(&Ctx{Ops: &db.Ops, DB: db, Proto: 2}, b)
}

// DoTx runs commands as one transaction, as MULTI/EXEC would: they commit
// together and each gets its reply, errors included.
func DoTx(db *store.DB, cmds ...[]string) ([]Reply, error) {
	replies := make([]Reply, 0, len(cmds))
	err := db.Update(func(tx *store.Tx) error {
		replies = replies[:0]
		c := &Ctx{Ops: &tx.Ops, DB: db, Proto: 2}
		for _, args := range cmds {
			b := make([][]byte, len(args))
			for i, a := range args {
				b[i] = []byte(a)
			}
			replies = append(replies, defaultTable().Exec(c, b))
		}
		return nil
	})
	return replies, err
}
