package netmode

import (
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/redisnum"
	"github.com/shinglekv/shingle/store"
)

// LATENCY, MEMORY and LOLWUT: what Redis reports of its own workings,
// answered with Shingle's. Shingle has no latency monitor
// (latency-monitor-threshold and latency-tracking are fixed off), so
// LATENCY answers as Redis does with both off; MEMORY reports the Go
// runtime's figures and estimates a key's size as stored.

func introspectCommands() []*command.Command {
	cat := strings.Fields
	return []*command.Command{
		{Name: "latency", Arity: -2, Categories: cat("@slow"), Run: latencyCmd},
		{Name: "memory", Arity: -2, Categories: cat("@slow"), Run: memoryCmd},
		{Name: "lolwut", Arity: -1, Flags: command.FlagReadOnly | command.FlagFast, Categories: cat("@read @fast"), Run: lolwutCmd},
	}
}

var latencyHelp = []string{
	"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"DOCTOR",
	"    Return a human readable latency analysis report.",
	"GRAPH <event>",
	"    Return an ASCII latency graph for the <event> class.",
	"HISTORY <event>",
	"    Return time-latency samples for the <event> class.",
	"LATEST",
	"    Return the latest latency samples for all events.",
	"RESET [<event> ...]",
	"    Reset latency data of one or more <event> classes.",
	"    (default: reset all data for all event classes)",
	"HISTOGRAM [COMMAND ...]",
	"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
	"    If no commands are specified then all histograms are replied.",
	"HELP",
	"    Prints this help.",
}

func helpReply(lines []string) command.Reply {
	out := make([]command.Reply, len(lines))
	for i, l := range lines {
		out[i] = command.Status(l)
	}
	return command.Array(out...)
}

// LATENCY DOCTOR | GRAPH event | HISTORY event | LATEST | RESET [event ...]
// | HISTOGRAM [command ...] | HELP, with no samples ever taken.
func latencyCmd(ctx *command.Ctx, args [][]byte) command.Reply {
	sub := strings.ToLower(string(args[1]))
	switch {
	case sub == "help" && len(args) == 2:
		return helpReply(latencyHelp)
	case sub == "latest" && len(args) == 2, sub == "history" && len(args) == 3:
		return command.Array()
	case sub == "reset":
		return command.Int(0)
	case sub == "graph" && len(args) == 3:
		return command.ErrorReply("ERR No samples available for event '" + string(args[2]) + "'")
	case sub == "doctor" && len(args) == 2:
		return verbatim("Shingle keeps no latency samples: latency-monitor-threshold is fixed at 0 and latency-tracking at no. " +
			"SLOWLOG GET lists the commands that took longer than slowlog-log-slower-than microseconds.\n")
	case sub == "histogram":
		return command.Map()
	}
	return subcommandError("latency", args, []string{"help", "latest", "history", "graph", "doctor"})
}

var memoryHelp = []string{
	"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"DOCTOR",
	"    Return memory problems reports.",
	"MALLOC-STATS",
	"    Return internal statistics report from the memory allocator.",
	"PURGE",
	"    Attempt to purge dirty pages for reclamation by the allocator.",
	"STATS",
	"    Return information about the memory usage of the server.",
	"USAGE <key> [SAMPLES <count>]",
	"    Return memory in bytes used by <key> and its value. Nested values are",
	"    sampled up to <count> times (default: 5, 0 means sample all).",
	"HELP",
	"    Prints this help.",
}

// MEMORY USAGE key [SAMPLES count] | STATS | DOCTOR | MALLOC-STATS | PURGE
// | HELP. USAGE estimates the key's size as stored (its name, its record,
// its elements), which is what it costs Shingle, on disk and in the
// record cache.
func memoryCmd(ctx *command.Ctx, args [][]byte) command.Reply {
	sub := strings.ToLower(string(args[1]))
	switch {
	case sub == "help" && len(args) == 2:
		return helpReply(memoryHelp)
	case sub == "usage" && len(args) >= 3:
		samples := int64(5)
		for j := 3; j < len(args); j++ {
			if strings.EqualFold(string(args[j]), "samples") && j+1 < len(args) {
				n, ok := redisnum.ParseInt(args[j+1])
				switch {
				case !ok:
					return command.ErrorReply("ERR value is not an integer or out of range")
				case n < 0:
					return command.ErrorReply("ERR syntax error")
				}
				samples = n
				j++
				continue
			}
			return command.ErrorReply("ERR syntax error")
		}
		n, ok, err := ctx.Ops.Usage(args[2], samples)
		switch {
		case err != nil:
			return command.ErrReply(err)
		case !ok:
			return command.Null()
		}
		return command.Int(n)
	case sub == "stats" && len(args) == 2:
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		keys, err := ctx.Ops.DBSize()
		if err != nil {
			return command.ErrReply(err)
		}
		s := clientOf(ctx).s
		return command.Map(
			command.BulkString("total.allocated"), command.Int(int64(ms.HeapAlloc)),
			command.BulkString("allocator.allocated"), command.Int(int64(ms.HeapAlloc)),
			command.BulkString("allocator.active"), command.Int(int64(ms.HeapInuse)),
			command.BulkString("allocator.resident"), command.Int(int64(ms.Sys-ms.HeapReleased)),
			command.BulkString("clients.normal"), command.Int(s.nclients.Load()),
			command.BulkString("keys.count"), command.Int(keys),
		)
	case sub == "doctor" && len(args) == 2:
		return verbatim("Shingle keeps its data in Pebble, on disk: memory holds Pebble's block cache, " +
			"the record cache and the clients' buffers, whatever the number of keys. INFO memory and MEMORY STATS report the Go runtime's figures.\n")
	case sub == "malloc-stats" && len(args) == 2:
		return verbatim("Stats not supported for the current allocator")
	case sub == "purge" && len(args) == 2:
		debug.FreeOSMemory()
		return command.OK
	}
	return subcommandError("memory", args, []string{"help", "usage", "stats", "doctor", "malloc-stats", "purge"})
}

// LOLWUT [VERSION version]: the version, as Redis ends its art with its own.
func lolwutCmd(ctx *command.Ctx, args [][]byte) command.Reply {
	if len(args) >= 3 && strings.EqualFold(string(args[1]), "version") {
		if _, ok := redisnum.ParseInt(args[2]); !ok {
			return command.ErrorReply("ERR value is not an integer or out of range")
		}
	}
	return verbatim("Shingle ver. " + store.Version + "\n")
}
