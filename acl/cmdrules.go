package acl

import "strings"

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
