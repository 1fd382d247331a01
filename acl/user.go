package acl

import (
	"strings"

	"github.com/shinglekv/shingle/internal/glob"
)

// User is an immutable snapshot.
type User struct {
	name      string
	enabled   bool
	nopass    bool
	sanitize  sanitizeFlag
	passwords []string // sha256 hex, in the order added

	allKeys bool
	keys    [][]byte // patterns, in the order added; empty when allKeys

	allChannels bool // only shown: Shingle has no pub/sub

	allCommands bool      // the base the rules start from: +@all or -@all
	rules       []cmdRule // evaluated last-match-wins
}

type sanitizeFlag uint8

const (
	sanitizeUnset sanitizeFlag = iota
	sanitizePayload
	skipSanitizePayload
)

// Name returns the user's name.
func (u *User) Name() string { return u.name }

// NoPass reports whether any password authenticates the user (nopass).
func (u *User) NoPass() bool { return u.nopass }

// Enabled reports whether the user is on.
func (u *User) Enabled() bool { return u.enabled }

// CanRun reports whether the user may run the command named name (lower
// case; "parent|sub" for a subcommand, which rules for the parent cover)
// whose ACL categories are categories (e.g. []string{"@read", "@string",
// "@fast"}; the "@" is optional). Rules apply in order as in Redis: later
// rules override earlier ones for the commands they cover.
func (u *User) CanRun(name string, categories []string) bool {
	for i := len(u.rules) - 1; i >= 0; i-- {
		if u.rules[i].matches(name, categories) {
			return u.rules[i].allow
		}
	}
	return u.allCommands
}

// AllKeys reports whether the user may access every key (allkeys, ~*).
func (u *User) AllKeys() bool { return u.allKeys }

// CanAccessKey reports whether key matches one of the user's key patterns.
func (u *User) CanAccessKey(key []byte) bool {
	if u.allKeys {
		return true
	}
	for _, p := range u.keys {
		if glob.Match(p, key) {
			return true
		}
	}
	return false
}

// Field is one field of ACL GETUSER's reply: Value is a string or a
// []string.
type Field struct {
	Name  string
	Value any
}

// GetUser returns ACL GETUSER's fields in Redis 7's order and shape: flags
// ([]string), passwords ([]string of sha256 hex), commands (string), keys
// (string), channels (string, "" or "&*"), selectors (empty []string).
func (u *User) GetUser() []Field {
	return []Field{
		{"flags", u.flags()},
		{"passwords", append([]string{}, u.passwords...)},
		{"commands", u.commands()},
		{"keys", strings.Join(u.keyWords(), " ")},
		{"channels", u.channels(false)},
		{"selectors", []string{}},
	}
}

func (u *User) flags() []string {
	f := []string{"off"}
	if u.enabled {
		f[0] = "on"
	}
	if u.nopass {
		f = append(f, "nopass")
	}
	switch u.sanitize {
	case skipSanitizePayload:
		f = append(f, "skip-sanitize-payload")
	case sanitizePayload:
		f = append(f, "sanitize-payload")
	}
	return f
}

func (u *User) keyWords() []string {
	if u.allKeys {
		return []string{"~*"}
	}
	w := make([]string, len(u.keys))
	for i, p := range u.keys {
		w[i] = "~" + string(p)
	}
	return w
}

// channels is "&*" for allchannels; otherwise "" for GETUSER and
// "resetchannels" for ACL LIST.
func (u *User) channels(list bool) string {
	switch {
	case u.allChannels:
		return "&*"
	case list:
		return "resetchannels"
	}
	return ""
}

func (u *User) commands() string {
	var b strings.Builder
	if u.allCommands {
		b.WriteString("+@all")
	} else {
		b.WriteString("-@all")
	}
	for _, r := range u.rules {
		b.WriteByte(' ')
		b.WriteString(r.String())
	}
	return b.String()
}

// describe returns the user's ACL LIST words after the name.
func (u *User) describe() []string {
	w := u.flags()
	for _, p := range u.passwords {
		w = append(w, "#"+p)
	}
	w = append(w, u.keyWords()...)
	w = append(w, u.channels(true), u.commands())
	return w
}

func (u *User) clone() *User {
	c := *u
	c.passwords = append([]string(nil), u.passwords...)
	c.keys = append([][]byte(nil), u.keys...) // patterns are never mutated
	c.rules = append([]cmdRule(nil), u.rules...)
	return &c
}
