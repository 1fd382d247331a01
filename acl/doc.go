// Package acl owns Shingle's users: their rules (the subset of Redis 7's ACL
// rule syntax listed below), and the permission checks made with them —
// whether a user may log in, run a command, or touch a key. It also renders
// users the way ACL LIST and ACL GETUSER show them, with Redis 7's error
// messages for bad rules.
//
// # Usage
//
//	users := acl.NewRegistry() // the default user: on, nopass, everything
//	err := users.SetUser("alice", "on", ">secret", "~app:*", "-@all", "+@read")
//	users.Authenticate("alice", "secret")            // true
//	u := users.User("alice")                         // a snapshot
//	u.CanRun("get", []string{"@read", "@string"})    // true
//	u.CanAccessKey([]byte("app:1"))                  // true
//
// # What it must never do
//
// Do network I/O or know RESP: it takes and returns plain Go values, and
// the server turns them into replies. Import netmode or command: the
// server asks acl, never the other way round (a test over go list holds
// it for netmode; a command's categories come in as CanRun's argument).
// Keep a password in clear: only its SHA-256 is stored.
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
