// Package acl owns Shingle's users: their rules (the subset of Redis 7's ACL
// rule syntax listed below), and the permission checks made with them —
// whether a user may log in, run a command, or touch a key. It also renders
// users the way ACL LIST and ACL GETUSER show them, with Redis 7's error
// messages for bad rules.
//
// It must never do network I/O nor know RESP: it takes and returns plain Go
// values, and the server turns them into replies.
//
// # Rules
//
// SetUser accepts these rules, as ACL SETUSER and the "user" directive do
// (keywords are case-insensitive, as in Redis):
//
//	on, off                      enable or disable the user
//	>password, <password         add or remove a password (stored as sha256 hex only)
//	#<sha256hex>, !<sha256hex>   add or remove an already hashed password
//	nopass, resetpass            any password works / forget all passwords
//	~pattern, allkeys, resetkeys key patterns (allkeys is ~*)
//	+@all, allcommands           all commands
//	-@all, nocommands            no commands
//	+@category, -@category       allow or deny a category (see Categories)
//	+command, -command           allow or deny a command (lower-cased)
//	sanitize-payload, skip-sanitize-payload
//	                             flags recorded and shown as Redis shows
//	                             them (Shingle itself does not act on them)
//	reset                        resetpass resetkeys resetchannels off
//	                             sanitize-payload -@all, as in Redis
//	""                           the empty rule does nothing, as in Redis
//
// Shingle has no pub/sub and no selectors, so allchannels, &* and
// resetchannels are accepted and only remembered so that ACL LIST shows "&*"
// or "resetchannels" as Redis does (and its lines can be fed back to
// SetUser); clearselectors is accepted as the no-op it is. Every other rule —
// &channel, %R~ / %W~ / %RW~ key patterns, selectors "(...)", and subcommand
// or first-argument rules such as +client|id — is refused with Redis's
// "Syntax error" message rather than silently ignored.
//
// Command rules are kept as an ordered list evaluated last-match-wins from
// a base of "all" (+@all) or "none" (-@all), which is what Redis's bitmaps
// amount to. Redis 7.0 prints them by re-deriving a minimal description from
// its command table; without that table this package prints the rules in
// the order given instead, after the simplifications that need no table: a
// later rule for the same command or category replaces an earlier one,
// +@all and -@all drop everything before them, and a rule that cannot
// change any decision (such as +@read after +@all) is dropped. That matches
// Redis for common rule sets ("-@all +@read", "+@all -set", "-@all +get");
// rule sets where Redis folds commands into categories (e.g. "-@all +get
// +@read", which Redis shows as "-@all +@read") print differently but
// grant the same permissions.
package acl

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shinglekv/shingle/internal/glob"
)

// categories are Redis 7's ACL categories, in ACL CAT's order.
var categories = []string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast",
	"slow", "blocking", "dangerous", "connection", "transaction", "scripting",
}

// Categories returns the ACL category names Redis 7 has (without "@"), for
// ACL CAT, in Redis's order.
func Categories() []string {
	return append([]string(nil), categories...)
}

// IsCategory reports whether name (without "@") is an ACL category.
func IsCategory(name string) bool {
	for _, c := range categories {
		if c == name {
			return true
		}
	}
	return false
}

// Redis's error texts (without the "ERR " prefix the server adds).
const (
	msgSyntax        = "Syntax error"
	msgUnknown       = "Unknown command or category name in ACL"
	msgNoSuchPass    = "The password you are trying to remove from the user does not exist"
	msgBadHash       = "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
	msgAfterAllKeys  = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
	msgBadUsername   = "Usernames can't contain spaces or null characters"
	msgDeleteDefault = "The 'default' user cannot be removed"
)

// defaultUser is the name of the user every registry has.
const defaultUser = "default"

// Registry holds the users. Safe for concurrent use.
type Registry struct {
	mu      sync.RWMutex
	users   map[string]*User
	checker func(name string) bool
	version atomic.Uint64 // bumped by every change
}

// Version changes whenever a user is set or deleted: a caller holding a
// User from User(name) may keep using it while Version is unchanged.
func (r *Registry) Version() uint64 { return r.version.Load() }

// NewRegistry returns a registry holding only the "default" user, as Redis
// starts: on, nopass, ~* (allkeys), +@all.
func NewRegistry() *Registry {
	return &Registry{users: map[string]*User{
		defaultUser: {
			name:        defaultUser,
			enabled:     true,
			nopass:      true,
			allKeys:     true,
			allChannels: true,
			allCommands: true,
		},
	}}
}

// SetCommandChecker makes SetUser refuse +command and -command rules for a
// command that known reports false for (known is given the lower-cased
// name), with Redis's "Unknown command or category name in ACL", as Redis
// checks against its command table. With no checker (the default, or nil)
// any command name without spaces is accepted. Rules already set are not
// re-checked.
func (r *Registry) SetCommandChecker(known func(name string) bool) {
	r.mu.Lock()
	r.checker = known
	r.mu.Unlock()
}

// SetUser applies rules to user name, creating it first if missing (a new
// user starts as Redis's: off, no passwords, no keys, no commands). Atomic:
// on any error nothing changes. Returns an error whose text is Redis's
// message (without the "ERR " prefix).
func (r *Registry) SetUser(name string, rules ...string) error {
	if hasSpaces(name) {
		return errors.New(msgBadUsername)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var u *User
	if old := r.users[name]; old != nil {
		u = old.clone()
	} else {
		u = &User{name: name}
	}
	for _, rule := range rules {
		if reason := u.apply(rule, r.checker); reason != "" {
			return errors.New("Error in ACL SETUSER modifier '" + rule + "': " + reason)
		}
	}
	r.users[name] = u
	r.version.Add(1)
	return nil
}

// DelUser deletes the named users and returns how many existed. Deleting
// "default" fails with Redis's error text ("The 'default' user cannot be
// removed") and deletes nothing.
func (r *Registry) DelUser(names ...string) (int, error) {
	for _, n := range names {
		if n == defaultUser {
			return 0, errors.New(msgDeleteDefault)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	deleted := 0
	for _, n := range names {
		if _, ok := r.users[n]; ok {
			delete(r.users, n)
			r.version.Add(1)
			deleted++
		}
	}
	return deleted, nil
}

// User returns a snapshot of the user, or nil.
func (r *Registry) User(name string) *User {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.users[name]
}

// Users returns the user names, sorted.
func (r *Registry) Users() []string {
	r.mu.RLock()
	names := make([]string, 0, len(r.users))
	for n := range r.users {
		names = append(names, n)
	}
	r.mu.RUnlock()
	sort.Strings(names)
	return names
}

// List returns ACL LIST's lines, one per user sorted by name, in Redis 7's
// format, e.g. "user default on nopass ~* &* +@all". Each line's words after
// the name, fed to SetUser for a new user, give the same line.
func (r *Registry) List() []string {
	r.mu.RLock()
	users := make([]*User, 0, len(r.users))
	for _, u := range r.users {
		users = append(users, u)
	}
	r.mu.RUnlock()
	sort.Slice(users, func(i, j int) bool { return users[i].name < users[j].name })
	lines := make([]string, len(users))
	for i, u := range users {
		lines[i] = "user " + u.name + " " + strings.Join(u.describe(), " ")
	}
	return lines
}

// Authenticate reports whether name may log in with password: the user
// exists, is on, and is nopass or has that password.
func (r *Registry) Authenticate(name, password string) bool {
	u := r.User(name)
	if u == nil || !u.enabled {
		return false
	}
	if u.nopass {
		return true
	}
	h := []byte(hashPassword(password))
	ok := false
	for _, p := range u.passwords {
		if subtle.ConstantTimeCompare(h, []byte(p)) == 1 {
			ok = true
		}
	}
	return ok
}

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

// cmdRule is one +command, -command, +@category or -@category rule.
type cmdRule struct {
	allow    bool
	category bool   // name is a category, without "@"
	name     string // lower case
}

func (c cmdRule) String() string {
	s := "-"
	if c.allow {
		s = "+"
	}
	if c.category {
		s += "@"
	}
	return s + c.name
}

// matches reports whether the rule covers the command. A rule for a
// command covers its subcommands ("client" covers "client|id").
func (c cmdRule) matches(name string, cats []string) bool {
	if c.category {
		for _, k := range cats {
			if strings.EqualFold(strings.TrimPrefix(k, "@"), c.name) {
				return true
			}
		}
		return false
	}
	n := len(c.name)
	return len(name) >= n && strings.EqualFold(name[:n], c.name) && (len(name) == n || name[n] == '|')
}

// mayOverlap reports whether two rules might cover a common command. Only
// two different commands are known not to: a category's members are not
// known here.
func (c cmdRule) mayOverlap(d cmdRule) bool {
	if !c.category && !d.category {
		return c.name == d.name
	}
	return true
}

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

// apply applies one rule to u, which the caller owns, and returns "" or the
// reason it is refused.
func (u *User) apply(op string, known func(string) bool) string {
	if op == "" {
		return ""
	}
	switch {
	case strings.EqualFold(op, "on"):
		u.enabled = true
	case strings.EqualFold(op, "off"):
		u.enabled = false
	case strings.EqualFold(op, "nopass"):
		u.nopass, u.passwords = true, nil
	case strings.EqualFold(op, "resetpass"):
		u.nopass, u.passwords = false, nil
	case strings.EqualFold(op, "allkeys"), op == "~*":
		u.allKeys, u.keys = true, nil
	case strings.EqualFold(op, "resetkeys"):
		u.allKeys, u.keys = false, nil
	case strings.EqualFold(op, "allchannels"), op == "&*":
		u.allChannels = true
	case strings.EqualFold(op, "resetchannels"):
		u.allChannels = false
	case strings.EqualFold(op, "allcommands"), strings.EqualFold(op, "+@all"):
		u.allCommands, u.rules = true, nil
	case strings.EqualFold(op, "nocommands"), strings.EqualFold(op, "-@all"):
		u.allCommands, u.rules = false, nil
	case strings.EqualFold(op, "sanitize-payload"):
		u.sanitize = sanitizePayload
	case strings.EqualFold(op, "skip-sanitize-payload"):
		u.sanitize = skipSanitizePayload
	case strings.EqualFold(op, "clearselectors"):
		// Shingle has no selectors: there is nothing to clear.
	case strings.EqualFold(op, "reset"):
		u.nopass, u.passwords = false, nil
		u.allKeys, u.keys = false, nil
		u.allChannels = false
		u.enabled = false
		u.sanitize = sanitizePayload
		u.allCommands, u.rules = false, nil
	case op[0] == '>':
		u.addPassword(hashPassword(op[1:]))
	case op[0] == '#':
		if !isHash(op[1:]) {
			return msgBadHash
		}
		u.addPassword(op[1:])
	case op[0] == '<':
		if !u.removePassword(hashPassword(op[1:])) {
			return msgNoSuchPass
		}
	case op[0] == '!':
		if !isHash(op[1:]) {
			return msgBadHash
		}
		if !u.removePassword(op[1:]) {
			return msgNoSuchPass
		}
	case op[0] == '~':
		if u.allKeys {
			return msgAfterAllKeys
		}
		if hasSpaces(op[1:]) {
			return msgSyntax
		}
		for _, p := range u.keys {
			if string(p) == op[1:] {
				return ""
			}
		}
		u.keys = append(u.keys, []byte(op[1:]))
	case op[0] == '+' || op[0] == '-':
		rule := cmdRule{allow: op[0] == '+'}
		if strings.HasPrefix(op[1:], "@") {
			rule.category, rule.name = true, strings.ToLower(op[2:])
			if !IsCategory(rule.name) {
				return msgUnknown
			}
		} else {
			rule.name = strings.ToLower(op[1:])
			if strings.IndexByte(rule.name, '|') >= 0 {
				return msgSyntax // subcommand and first-argument rules are not supported
			}
			if rule.name == "" || hasSpaces(rule.name) || (known != nil && !known(rule.name)) {
				return msgUnknown
			}
		}
		u.addRule(rule)
	default:
		return msgSyntax
	}
	return ""
}

func (u *User) addPassword(h string) {
	u.nopass = false
	for _, p := range u.passwords {
		if p == h {
			return
		}
	}
	u.passwords = append(u.passwords, h)
}

func (u *User) removePassword(h string) bool {
	for i, p := range u.passwords {
		if p == h {
			u.passwords = append(u.passwords[:i:i], u.passwords[i+1:]...)
			return true
		}
	}
	return false
}

// addRule appends rule after dropping the earlier rule for the same
// command or category (which it overrides entirely), then drops the rules
// that no longer change any decision.
func (u *User) addRule(rule cmdRule) {
	rules := make([]cmdRule, 0, len(u.rules)+1)
	for _, r := range u.rules {
		if r.category != rule.category || r.name != rule.name {
			rules = append(rules, r)
		}
	}
	rules = append(rules, rule)
	u.rules = simplify(u.allCommands, rules)
}

// simplify drops each rule that cannot change a decision given the rules
// before it: one that grants what the base grants (or denies what it
// denies) while no earlier rule of the other sign may cover the same
// commands. The result is its own fixed point, so ACL LIST's lines
// round-trip.
func simplify(base bool, rules []cmdRule) []cmdRule {
	out := rules[:0]
	for _, r := range rules {
		if r.allow == base && !anyOpposite(base, out, r) {
			continue
		}
		out = append(out, r)
	}
	return out
}

func anyOpposite(base bool, prefix []cmdRule, r cmdRule) bool {
	for _, p := range prefix {
		if p.allow != base && p.mayOverlap(r) {
			return true
		}
	}
	return false
}

func hashPassword(p string) string {
	h := sha256.Sum256([]byte(p))
	return hex.EncodeToString(h[:])
}

// isHash reports whether s is a sha256 digest in lowercase hex, as Redis
// requires of #<hash> and !<hash>.
func isHash(s string) bool {
	if len(s) != sha256.Size*2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// hasSpaces is Redis's ACLStringHasSpaces: any C isspace byte or NUL.
func hasSpaces(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\v', '\f', '\r', 0:
			return true
		}
	}
	return false
}
