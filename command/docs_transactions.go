package command

// transactionsDocs are the COMMAND DOCS entries of the commands in Redis's transactions group.
var transactionsDocs = []*Doc{
	{Name: "discard", Group: "transactions", Since: "2.0.0",
		Summary:    "Drops the commands queued since MULTI and ends the transaction.",
		Complexity: "O(N) in the number of commands queued.",
	},
	{Name: "exec", Group: "transactions", Since: "1.2.0",
		Summary:    "Runs the commands queued since MULTI as one atomic transaction, unless a watched key changed since it was watched.",
		Complexity: "The sum of the costs of the commands queued, which run under the store's write lock.",
	},
	{Name: "multi", Group: "transactions", Since: "1.2.0",
		Summary:    "Starts a transaction: the connection's commands are queued until EXEC or DISCARD.",
		Complexity: "O(1)",
	},
	{Name: "unwatch", Group: "transactions", Since: "2.2.0",
		Summary:    "Forgets every key the connection watches.",
		Complexity: "O(1)",
	},
	{Name: "watch", Group: "transactions", Since: "2.2.0",
		Summary:    "Watches keys so that the connection's next EXEC fails when any of them changes first.",
		Complexity: "O(N) where N is the number of keys.",
		Args: []Arg{
			{Name: "key", Type: ArgKey, Flags: ArgMultiple},
		},
	},
}
