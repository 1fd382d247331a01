package netmode

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/shinglekv/shingle/acl"
	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/tlsconn"
)

// Users and access control: the acl package holds the users and their
// rules; this file connects them to clients. A client is authenticated as
// a user by AUTH or HELLO AUTH, by a client certificate (with
// tls-auth-clients-user), or at connection as "default" when that user
// needs no password. Every command is checked against the user's rules
// before it runs or is queued, and again when EXEC runs it, as Redis 7
// checks it. A user turned off keeps its open connections (as in Redis);
// a deleted user loses them.

// newUsers builds the users of cfg: the "default" user, the user
// directives in order (each starting from reset, as Redis loads them), and
// requirepass as the default user's password (Redis's compatibility rule).
// Rules naming a command check it against table.
func newUsers(cfg *Config, table *command.Table) (*acl.Registry, error) {
	r := acl.NewRegistry()
	r.SetCommandChecker(func(name string) bool { return table.Lookup([]byte(name)) != nil })
	seen := map[string]bool{}
	for _, u := range cfg.Users {
		if len(u) == 0 {
			return nil, errors.New("netmode: user directive without a name")
		}
		if seen[u[0]] {
			return nil, fmt.Errorf("netmode: user %s: duplicate user directive", u[0])
		}
		seen[u[0]] = true
		if err := r.SetUser(u[0], append([]string{"reset"}, u[1:]...)...); err != nil {
			return nil, fmt.Errorf("netmode: user %s: %w", u[0], err)
		}
	}
	if cfg.RequirePass != "" {
		if err := setRequirePass(r, cfg.RequirePass); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// setRequirePass makes pass the default user's only password ("" for
// none: nopass), as requirepass does in Redis.
func setRequirePass(r *acl.Registry, pass string) error {
	if pass == "" {
		return r.SetUser("default", "nopass")
	}
	return r.SetUser("default", "resetpass", ">"+pass)
}

// authenticateByCert logs the client in as the user its certificate
// names, when tls-auth-clients-user asks for it, and binds the connection
// to that user (see userSwitchRefused). A certificate naming no enabled
// user is refused: it reports false, and the connection is to be closed.
// Every CA trusted for client certificates can issue one naming any user:
// the CA list is the mapping's trust boundary.
func (c *client) authenticateByCert(cfg *Config, sec *tlsconn.Security) bool {
	c.certUser = ""
	if sec == nil || strings.EqualFold(cfg.TLSAuthClientsUser, "off") {
		return true
	}
	// The subject CN, or the first URI SAN, of the verified certificate.
	name := sec.Identity(cfg.TLSAuthClientsUser)
	if name == "" {
		return sec.PeerCertificate == nil // no certificate: as without the directive
	}
	if u := c.s.users.User(name); u == nil || !u.Enabled() {
		c.s.stats.ACLDeniedCert.Add(1)
		return false
	}
	c.setAuthed(name)
	c.certUser = name
	return true
}

// userSwitchRefused refuses AUTH or HELLO AUTH naming user on a connection
// authenticated by its certificate as another user, unless
// tls-auth-clients-user-switch allows it: the certificate is who the
// client is, and without this check a client mapped to a user with few
// rights could become the default user, which out of the box has no
// password and every right. The refusal counts as acl_access_denied_auth.
// AUTH naming the certificate's own user goes on to the password check:
// with a valid password it succeeds and changes nothing.
//
// The reply is NOPERM, Redis's prefix for what an authenticated user may
// not do, rather than WRONGPASS, which would tell the client its password
// was wrong when it may not be; it names the certificate's user so that
// whoever reads it knows which identity holds.
func (c *client) userSwitchRefused(user []byte) (command.Reply, bool) {
	if c.certUser == "" || string(user) == c.certUser || c.s.cfg.Load().TLSAuthClientsUserSwitch {
		return command.Reply{}, false
	}
	c.s.stats.ACLDeniedAuth.Add(1)
	name := strings.NewReplacer("\r", " ", "\n", " ").Replace(c.certUser)
	return command.ErrorReply("NOPERM this connection is authenticated by its client certificate as '" + name +
		"'; AUTH cannot change its user (tls-auth-clients-user-switch is no)"), true
}

// warnOpenDefault warns, at startup, when certificates map to users while
// the default user is on without a password: a client that presents no
// certificate (or comes to a plain port) is then the default user, with
// its rules, +@all out of the box.
func (s *Server) warnOpenDefault(cfg *Config) {
	if strings.EqualFold(cfg.TLSAuthClientsUser, "off") || !s.defaultAuthed() {
		return
	}
	cfg.Logger.Warn("netmode: tls-auth-clients-user maps client certificates to users, but the default user is on "+
		"without a password: a client without a certificate, or on a plain port, is the default user with its rules "+
		"(+@all out of the box); set requirepass, or 'user default off', or give the default user a password",
		"tls-auth-clients-user", cfg.TLSAuthClientsUser, "tls-auth-clients-user-switch", yesNo(cfg.TLSAuthClientsUserSwitch))
}

// subCategories are the ACL categories of the subcommands whose
// categories differ from their container's, as Redis 7 files them.
var subCategories = func() map[string][]string {
	admin := []string{"@admin", "@slow", "@dangerous"}
	adminConn := []string{"@admin", "@slow", "@dangerous", "@connection"}
	return map[string][]string{
		"client|kill": adminConn, "client|list": adminConn, "client|no-evict": adminConn,
		"acl|setuser": admin, "acl|deluser": admin, "acl|getuser": admin, "acl|list": admin, "acl|users": admin,
		"acl|whoami": {"@slow"}, "acl|cat": {"@slow"},
	}
}()

// fullName is the name ACL rules, NOPERM and CLIENT LIST use for cmd:
// "client|kill" for a container's subcommand, the name otherwise.
func fullName(cmd *command.Command, args [][]byte) string {
	if containers[cmd.Name] && len(args) > 1 {
		return cmd.Name + "|" + strings.ToLower(string(args[1]))
	}
	return cmd.Name
}

// permitted checks cmd with args against the client's user. It returns
// why not, in Redis's words ("no permissions to run the 'set' command"),
// and counts the denial.
func (c *client) permitted(cmd *command.Command, args [][]byte) (string, bool) {
	u := c.aclUser()
	name := fullName(cmd, args)
	if u == nil { // deleted: its connections are being closed
		return "no permissions to run the '" + name + "' command", false
	}
	cats := cmd.Categories
	if sc, ok := subCategories[name]; ok {
		cats = sc
	}
	if !u.CanRun(name, cats) {
		c.s.stats.ACLDeniedCmd.Add(1)
		return "no permissions to run the '" + name + "' command", false
	}
	if u.AllKeys() {
		return "", true
	}
	for _, k := range cmd.Keys(args) {
		if !u.CanAccessKey(k) {
			c.s.stats.ACLDeniedKey.Add(1)
			return "no permissions to access one of the keys used as arguments", false
		}
	}
	return "", true
}

// aclUser returns the client's user, looked up again only when the users
// changed since the last command; nil once the user is deleted.
func (c *client) aclUser() *acl.User {
	if v := c.s.users.Version(); v != c.aclVersion || c.aclCached == nil || c.aclCached.Name() != c.user {
		c.aclCached, c.aclVersion = c.s.users.User(c.user), v
	}
	return c.aclCached
}

// killUsers closes the connections authenticated as any of names (ACL
// DELUSER), as Redis does; self, if among them, after its reply.
func (s *Server) killUsers(self *client, names []string) {
	for _, c := range s.clientsByID() {
		c.mu.Lock()
		user := c.user
		c.mu.Unlock()
		if slices.Contains(names, user) {
			c.killFrom(self)
		}
	}
}

// aclCmd answers ACL SETUSER|DELUSER|GETUSER|LIST|USERS|WHOAMI|CAT.
func aclCmd(ctx *command.Ctx, args [][]byte) command.Reply {
	c := clientOf(ctx)
	users := c.s.users
	sub := strings.ToLower(string(args[1]))
	n := len(args)
	wrongArgs := command.ErrorReply("ERR unknown subcommand or wrong number of arguments for '" + string(args[1]) + "'. Try ACL HELP.")
	switch {
	case sub == "setuser" && n >= 3:
		rules := make([]string, 0, n-3)
		for _, a := range args[3:] {
			rules = append(rules, string(a))
		}
		if err := users.SetUser(string(args[2]), rules...); err != nil {
			return command.ErrorReply("ERR " + err.Error())
		}
		return command.OK
	case sub == "deluser" && n >= 3:
		names := make([]string, 0, n-2)
		for _, a := range args[2:] {
			names = append(names, string(a))
		}
		deleted, err := users.DelUser(names...)
		if err != nil {
			return command.ErrorReply("ERR " + err.Error())
		}
		c.s.killUsers(c, names)
		return command.Int(int64(deleted))
	case sub == "getuser" && n == 3:
		u := users.User(string(args[2]))
		if u == nil {
			return command.Reply{Kind: command.KindNull}
		}
		var out []command.Reply
		for _, f := range u.GetUser() {
			out = append(out, command.BulkString(f.Name), fieldReply(f.Value))
		}
		return command.Map(out...)
	case sub == "list" && n == 2:
		return stringsReply(users.List())
	case sub == "users" && n == 2:
		return stringsReply(users.Users())
	case sub == "whoami" && n == 2:
		return command.BulkString(c.user)
	case sub == "cat" && n == 2:
		return stringsReply(acl.Categories())
	case sub == "cat" && n == 3:
		cat := "@" + strings.ToLower(string(args[2]))
		if !acl.IsCategory(cat[1:]) {
			return command.ErrorReply("ERR Unknown category '" + string(args[2]) + "'")
		}
		var names []string
		for _, cmd := range c.s.table.Commands() {
			for _, k := range cmd.Categories {
				if k == cat {
					names = append(names, cmd.Name)
					break
				}
			}
		}
		return stringsReply(names)
	}
	arity, known := aclSubArity[sub]
	switch {
	case !known:
		return subcommandError("acl", args, nil)
	case !command.ArityOK(arity, n):
		return command.WrongArgs("acl|" + sub)
	}
	return wrongArgs // ACL CAT with more than one category, as Redis answers it
}

// aclSubArity is Redis's arity of each ACL subcommand Shingle serves
// (counting ACL itself): a call outside it is refused before the
// subcommand runs.
var aclSubArity = map[string]int{"setuser": -3, "deluser": -3, "getuser": 3, "list": 2, "users": 2, "whoami": 2, "cat": -2}

func fieldReply(v any) command.Reply {
	switch v := v.(type) {
	case string:
		return command.BulkString(v)
	case []string:
		return stringsReply(v)
	}
	return command.Reply{Kind: command.KindNull}
}

func stringsReply(ss []string) command.Reply {
	out := make([]command.Reply, len(ss))
	for i, s := range ss {
		out[i] = command.BulkString(s)
	}
	return command.Array(out...)
}
