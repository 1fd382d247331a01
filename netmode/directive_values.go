package netmode

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/shinglekv/shingle/config"
	"github.com/shinglekv/shingle/internal/redisnum"
)

// A valueParser checks a directive's arguments as Redis 7.0 checks them,
// with its error messages, and returns the value as CONFIG GET shows it.
// It is given exactly one argument unless the directive takes several.
type valueParser func(args []string) (string, error)

const maxInt64 = 1<<63 - 1

// errWrongArgs is Redis's error for a directive given the wrong number of
// arguments.
var errWrongArgs = errors.New("wrong number of arguments")

// yesNoValue parses a yes/no directive.
func yesNoValue(args []string) (string, error) {
	b, err := config.ParseBool(args[0])
	if err != nil {
		return "", err
	}
	return yesNo(b), nil
}

// stringValue takes any one argument as it is.
func stringValue(args []string) (string, error) { return args[0], nil }

// enumValue parses one of names, in any case; CONFIG GET shows the name.
func enumValue(names ...string) valueParser {
	return func(args []string) (string, error) {
		for _, n := range names {
			if strings.EqualFold(args[0], n) {
				return n, nil
			}
		}
		return "", enumError(names)
	}
}

func enumError(names []string) error {
	return fmt.Errorf("argument(s) must be one of the following: %s", strings.Join(names, ", "))
}

// parseInteger parses v with Redis's string2ll rules and checks it against
// [lo, hi], with Redis's messages.
func parseInteger(v string, lo, hi int64) (int64, error) {
	n, ok := redisnum.ParseInt([]byte(v))
	if !ok {
		return 0, errors.New("argument couldn't be parsed into an integer")
	}
	if n < lo || n > hi {
		return 0, rangeError(lo, hi)
	}
	return n, nil
}

func rangeError(lo, hi int64) error {
	return fmt.Errorf("argument must be between %d and %d inclusive", lo, hi)
}

// integerValue parses an integer in [lo, hi].
func integerValue(lo, hi int64) valueParser {
	return func(args []string) (string, error) {
		n, err := parseInteger(args[0], lo, hi)
		if err != nil {
			return "", err
		}
		return strconv.FormatInt(n, 10), nil
	}
}

// parseMemorySize parses a memory value ("64mb") in [lo, hi] bytes. A
// well-formed value too large for an int64 (Redis clamps it to 2^64-1) is
// out of range, as in Redis.
func parseMemorySize(v string, lo, hi int64) (int64, error) {
	n, err := config.ParseMemory(v)
	if err != nil {
		if memoryOverflows(v) {
			return 0, rangeError(lo, hi)
		}
		return 0, err
	}
	if n < lo || n > hi {
		return 0, rangeError(lo, hi)
	}
	return n, nil
}

// memoryValue parses a memory value in [lo, hi] bytes; CONFIG GET shows
// the bytes.
func memoryValue(lo, hi int64) valueParser {
	return func(args []string) (string, error) {
		n, err := parseMemorySize(args[0], lo, hi)
		if err != nil {
			return "", err
		}
		return config.FormatMemory(n), nil
	}
}

// memoryOverflows reports whether v is a well-formed memory value that
// config.ParseMemory refuses for being above math.MaxInt64.
func memoryOverflows(v string) bool {
	digits := strings.TrimRight(v, "kmgbKMGB")
	unit := v[len(digits):]
	if digits == "" || len(digits) >= 128 || strings.Trim(digits, "0123456789") != "" {
		return false
	}
	switch strings.ToLower(unit) {
	case "", "b", "k", "kb", "m", "mb", "g", "gb":
		return true
	}
	return false
}

// unboundedMemoryValue parses a memory value of Redis's unsigned long long
// directives (maxmemory ...), which take any value: one too large for an
// int64 is shown as Redis clamps it.
func unboundedMemoryValue(args []string) (string, error) {
	if _, err := config.ParseMemory(args[0]); err != nil && memoryOverflows(args[0]) {
		return "18446744073709551615", nil
	}
	return memoryValue(0, maxInt64)(args)
}

// memoryOrPercentValue parses maxmemory-clients: a memory value, or a
// percentage of maxmemory ("10%"), which CONFIG GET shows as such.
func memoryOrPercentValue(args []string) (string, error) {
	v := args[0]
	if p, ok := strings.CutSuffix(v, "%"); ok {
		if n, ok := redisnum.ParseInt([]byte(p)); ok && n >= 0 {
			return strconv.FormatInt(n, 10) + "%", nil
		}
	} else if n, err := config.ParseMemory(v); err == nil {
		return config.FormatMemory(n), nil
	} else if memoryOverflows(v) {
		return "18446744073709551615", nil
	}
	return "", errors.New("argument must be a memory or percent value")
}

// saveValue parses save: "" (no snapshots), or pairs of seconds (at least
// 1) and changes (at least 0).
func saveValue(args []string) (string, error) {
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	bad := errors.New("Invalid save parameters")
	if len(args)%2 != 0 {
		return "", bad
	}
	for i, a := range args {
		// Redis reads each with strtoll: digits after an optional sign.
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || (i%2 == 0 && n < 1) || (i%2 == 1 && n < 0) {
			return "", bad
		}
	}
	return strings.Join(args, " "), nil
}

// keyspaceEventAll are the classes notify-keyspace-events' 'A' stands for,
// in the order CONFIG GET writes them; the flags K, E, m and n follow.
const (
	keyspaceEventAll   = "g$lshzxetd"
	keyspaceEventFlags = "KEmn"
)

// notifyEventsValue parses notify-keyspace-events and returns the classes
// as Redis writes them back ("KEA" is "AKE").
func notifyEventsValue(args []string) (string, error) {
	set := map[byte]bool{}
	for i := 0; i < len(args[0]); i++ {
		ch := args[0][i]
		switch {
		case ch == 'A':
			for _, c := range []byte(keyspaceEventAll) {
				set[c] = true
			}
		case strings.IndexByte(keyspaceEventAll+keyspaceEventFlags, ch) >= 0:
			set[ch] = true
		default:
			return "", errors.New("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
		}
	}
	var b strings.Builder
	all := true
	for _, c := range []byte(keyspaceEventAll) {
		all = all && set[c]
	}
	for _, c := range []byte(keyspaceEventAll) {
		if set[c] && !all {
			b.WriteByte(c)
		}
	}
	if all {
		b.WriteByte('A')
	}
	for _, c := range []byte(keyspaceEventFlags) {
		if set[c] {
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// percentilesValue parses latency-tracking-info-percentiles: numbers from
// 0 to 100, possibly none.
func percentilesValue(args []string) (string, error) {
	if len(args) == 1 && args[0] == "" {
		return "", nil
	}
	out := make([]string, len(args))
	for i, a := range args {
		f, err := strconv.ParseFloat(a, 64)
		if err != nil || a == "" {
			return "", errors.New("Invalid latency-tracking-info-percentiles parameters")
		}
		if f < 0 || f > 100 {
			return "", errors.New("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
		}
		out[i] = strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strings.Join(out, " "), nil
}

// oomScoreValues parses oom-score-adj-values: three integers from -2000
// to 2000.
func oomScoreValues(args []string) (string, error) {
	if len(args) != 3 {
		return "", errWrongArgs
	}
	for _, a := range args {
		if n, err := strconv.Atoi(a); err != nil || n < -2000 || n > 2000 {
			return "", errors.New("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
		}
	}
	return strings.Join(args, " "), nil
}

// shutdownFlags are shutdown-on-sigint's and -sigterm's flags, in the
// order CONFIG GET writes them.
var shutdownFlags = []string{"save", "nosave", "now", "force"}

// shutdownValue parses shutdown-on-sigint and shutdown-on-sigterm:
// "default", or any of save, nosave, now and force (save and nosave not
// together).
func shutdownValue(args []string) (string, error) {
	set := map[string]bool{}
	for _, a := range args {
		a = strings.ToLower(a)
		if a != "default" && !containsString(shutdownFlags, a) {
			return "", enumError(append([]string{"default"}, shutdownFlags...))
		}
		set[a] = true
	}
	if set["save"] && set["nosave"] {
		return "", errors.New("shutdown options SAVE and NOSAVE can't be used simultaneously")
	}
	var out []string
	for _, f := range shutdownFlags {
		if set[f] {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return "default", nil
	}
	return strings.Join(out, " "), nil
}

// procTitleVars are the variables proc-title-template may use.
var procTitleVars = []string{"title", "listen-addr", "server-mode", "port", "tls-port", "unixsocket", "config-file"}

// procTitleValue checks proc-title-template as Redis does: its variables
// must be known and its braces closed ("{{" is a literal brace), and it
// must not expand to nothing when the title is empty.
func procTitleValue(args []string) (string, error) {
	bad := errors.New("template format is invalid or contains unknown variables")
	t := args[0]
	var expanded strings.Builder
	for i := 0; i < len(t); {
		open := strings.IndexByte(t[i:], '{')
		if open < 0 {
			expanded.WriteString(t[i:])
			break
		}
		expanded.WriteString(t[i : i+open])
		i += open + 1
		if i == len(t) {
			return "", bad
		}
		if t[i] == '{' {
			expanded.WriteByte('{')
			i++
			continue
		}
		end := strings.IndexByte(t[i:], '}')
		if end < 0 || !containsString(procTitleVars, t[i:i+end]) {
			return "", bad
		}
		switch t[i : i+end] {
		case "port", "tls-port", "listen-addr":
			expanded.WriteString("x") // never empty on a running server
		}
		i += end + 1
	}
	if strings.Trim(expanded.String(), " ") == "" {
		return "", bad
	}
	return t, nil
}

func containsString(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
