package command

import (
	"slices"
	"strings"
)

// The COMMAND DOCS table: one entry per command Shingle serves, and per
// subcommand of its container commands (CONFIG, CLIENT, CLUSTER, ...) that
// it serves, kept in docs_<group>.go by Redis's command group.
//
// What an entry says falls in two kinds. The facts are Redis's: the
// version that brought the command (Since), its group, its deprecation
// (DocFlags, DeprecatedSince, ReplacedBy) and its argument tree, which is
// the command's interface; they are taken from redis-server 7.0's own
// COMMAND DOCS, and TestDocsDifferential holds them equal to it. Summary
// and Complexity are Shingle's: what its command does and what it costs
// on Shingle's store, which is not what it costs in Redis (LINDEX is one
// point read, DEL of any collection one range deletion, SINTER reads every
// set whole). Redis's history, key_spec_index and argument summaries are
// left out: Shingle's COMMAND INFO has no key specs to point into.
//
// A few subcommands Shingle serves are not Redis 7.0's: CLIENT SETINFO
// and CLUSTER MYSHARDID come from Redis 7.2 and carry its facts; CLUSTER
// MIGRATESLOTS, GETSLOTMIGRATIONS and CANCELSLOTMIGRATIONS follow Valkey
// 9's interface, and CLUSTER SYNCSLOTS is Shingle's own, between nodes
// (DocSysCmd). Those four have no Since: no Redis version brought them.

// Doc is the COMMAND DOCS entry of a command or a subcommand. The table's
// entries are shared: callers must not modify them.
type Doc struct {
	// Name is the command's name in lower case, "get", or for a
	// subcommand its container's and its own joined by "|",
	// "config|get", as COMMAND DOCS keys them.
	Name string
	// Summary says in one sentence what Shingle's command does.
	Summary string
	// Since is the Redis version that brought the command; empty for one
	// that Redis does not have.
	Since string
	// Group is Redis's command group: "string", "sorted-set", "server" ...
	Group string
	// Complexity is what the command costs in Shingle.
	Complexity string
	// DocFlags marks a deprecated command or a system command.
	DocFlags DocFlag
	// DeprecatedSince and ReplacedBy are set for a deprecated command:
	// the Redis version that deprecated it and what replaces it.
	DeprecatedSince, ReplacedBy string
	// Args is the command's argument tree, the command name (and the
	// subcommand's) left out.
	Args []Arg
	// Subcommands are the entries of a container's subcommands that
	// Shingle serves, sorted by name.
	Subcommands []*Doc
}

// DocFlag is a flag of a COMMAND DOCS entry.
type DocFlag uint8

// The doc flags, in Redis's order.
const (
	DocDeprecated DocFlag = 1 << iota // replaced by another command (ReplacedBy)
	DocSysCmd                         // sent by servers to each other, not by clients
)

var docFlagNames = []string{"deprecated", "syscmd"}

// Arg is one argument of a command, as COMMAND DOCS describes it.
type Arg struct {
	// Name names the argument: "key", "seconds", "condition" ...
	Name string
	// Type is what the argument is; a oneof or a block has Args.
	Type ArgType
	// Token is the word that comes before the argument's value ("EX"), or
	// that is the whole argument for a pure token, whose token COMMAND DOCS
	// always gives, even empty (MIGRATE's "" in place of a key).
	Token string
	// Since is the Redis version that brought the argument, when later
	// than the command.
	Since string
	// DeprecatedSince is the Redis version that deprecated the argument.
	DeprecatedSince string
	// Flags say whether the argument may be left out or repeated.
	Flags ArgFlag
	// Args are the choices of a oneof, or the parts of a block, in order.
	Args []Arg
}

// ArgType is the type of an argument, named as COMMAND DOCS names it.
type ArgType string

// The argument types of Redis 7.0.
const (
	ArgString    ArgType = "string"
	ArgInteger   ArgType = "integer"
	ArgDouble    ArgType = "double"
	ArgKey       ArgType = "key"
	ArgPattern   ArgType = "pattern"
	ArgUnixTime  ArgType = "unix-time"
	ArgPureToken ArgType = "pure-token" // the Token alone, no value
	ArgOneOf     ArgType = "oneof"      // exactly one of Args
	ArgBlock     ArgType = "block"      // Args in sequence
)

// ArgFlag is a flag of an argument.
type ArgFlag uint8

// The argument flags, in Redis's order.
const (
	ArgOptional      ArgFlag = 1 << iota // may be left out
	ArgMultiple                          // may be repeated
	ArgMultipleToken                     // repeated with its Token each time
)

var argFlagNames = []string{"optional", "multiple", "multiple_token"}

// docIndex holds every entry, commands and subcommands, by Name.
var docIndex = indexDocs(stringDocs, bitmapDocs, genericDocs, hashDocs, listDocs, setDocs,
	sortedSetDocs, geoDocs, hyperLogLogDocs, connectionDocs, serverDocs, clusterDocs, transactionsDocs)

func indexDocs(groups ...[]*Doc) map[string]*Doc {
	m := map[string]*Doc{}
	var add func(d *Doc)
	add = func(d *Doc) {
		m[d.Name] = d
		for _, s := range d.Subcommands {
			add(s)
		}
	}
	for _, g := range groups {
		for _, d := range g {
			add(d)
		}
	}
	return m
}

// LookupDoc returns the COMMAND DOCS entry of the command or subcommand
// named name, in any case ("GET", "config|get"), or nil when Shingle has
// none. It is safe for concurrent use.
func LookupDoc(name string) *Doc { return docIndex[strings.ToLower(name)] }

// Docs returns the entries of every command Shingle serves, sorted by
// name, subcommands inside their containers; the cluster's commands
// among them, which only a cluster node's table holds.
func Docs() []*Doc {
	var out []*Doc
	for name, d := range docIndex {
		if !strings.Contains(name, "|") {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b *Doc) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Reply is the entry as COMMAND DOCS answers it, in Redis 7.0's shape: a
// map of summary, since, group, complexity, and when they apply doc_flags,
// deprecated_since, replaced_by, arguments and subcommands, in that order
// (a flat array of keys and values under RESP2).
func (d *Doc) Reply() Reply {
	var kv []Reply
	field := func(name string, v Reply) { kv = append(kv, BulkString(name), v) }
	if d.Summary != "" {
		field("summary", BulkString(d.Summary))
	}
	if d.Since != "" {
		field("since", BulkString(d.Since))
	}
	field("group", BulkString(d.Group))
	if d.Complexity != "" {
		field("complexity", BulkString(d.Complexity))
	}
	if d.DocFlags != 0 {
		field("doc_flags", flagSet(uint(d.DocFlags), docFlagNames))
	}
	if d.DeprecatedSince != "" {
		field("deprecated_since", BulkString(d.DeprecatedSince))
	}
	if d.ReplacedBy != "" {
		field("replaced_by", BulkString(d.ReplacedBy))
	}
	if len(d.Args) > 0 {
		field("arguments", argsReply(d.Args))
	}
	if len(d.Subcommands) > 0 {
		subs := make([]Reply, 0, 2*len(d.Subcommands))
		for _, s := range d.Subcommands {
			subs = append(subs, BulkString(s.Name), s.Reply())
		}
		field("subcommands", Map(subs...))
	}
	return Map(kv...)
}

// argsReply is an argument list as COMMAND DOCS gives it: a map per
// argument of name, type, and when they apply token, since,
// deprecated_since, flags and, for a oneof or a block, arguments.
func argsReply(args []Arg) Reply {
	out := make([]Reply, len(args))
	for i, a := range args {
		kv := []Reply{BulkString("name"), BulkString(a.Name), BulkString("type"), BulkString(string(a.Type))}
		field := func(name string, v Reply) { kv = append(kv, BulkString(name), v) }
		if a.Token != "" || a.Type == ArgPureToken {
			field("token", BulkString(a.Token))
		}
		if a.Since != "" {
			field("since", BulkString(a.Since))
		}
		if a.DeprecatedSince != "" {
			field("deprecated_since", BulkString(a.DeprecatedSince))
		}
		if a.Flags != 0 {
			field("flags", flagSet(uint(a.Flags), argFlagNames))
		}
		if a.Type == ArgOneOf || a.Type == ArgBlock {
			field("arguments", argsReply(a.Args))
		}
		out[i] = Map(kv...)
	}
	return Array(out...)
}

// flagSet is the set of the names of the bits set in f, as status
// replies, in names' order.
func flagSet(f uint, names []string) Reply {
	var elems []Reply
	for i, n := range names {
		if f&(1<<i) != 0 {
			elems = append(elems, Status(n))
		}
	}
	return Reply{Kind: KindSet, Elems: elems}
}
