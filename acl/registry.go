package acl

import (
	"crypto/subtle"
	"errors"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
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
