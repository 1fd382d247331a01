package acl

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

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
