package acl

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
