package command

// hyperLogLogDocs are the COMMAND DOCS entries of the commands in Redis's hyperloglog group.
var hyperLogLogDocs = []*Doc{
	{Name: "pfadd", Group: "hyperloglog", Since: "2.8.9",
		Summary:    "Adds elements to the HyperLogLog at a key, creating it, and reports whether its registers changed.",
		Complexity: "O(N) where N is the number of elements, plus one read and one write of the HyperLogLog's string (12 KB at most).",
		Args: []Arg{
			{Name: "key", Type: ArgKey},
			{Name: "element", Type: ArgString, Flags: ArgOptional | ArgMultiple},
		},
	},
	{Name: "pfcount", Group: "hyperloglog", Since: "2.8.9",
		Summary:    "Estimates how many distinct elements were added to a HyperLogLog, or to the union of several.",
		Complexity: "O(1) for one key whose cached estimate is fresh; otherwise O(K) where K is the number of keys, each HyperLogLog's 16,384 registers read.",
		Args: []Arg{
			{Name: "key", Type: ArgKey, Flags: ArgMultiple},
		},
	},
	{Name: "pfdebug", Group: "hyperloglog", Since: "2.8.9",
		DocFlags:   DocSysCmd,
		Summary:    "Inspects the registers and encoding of the HyperLogLog at a key, or converts it to the dense encoding, for debugging.",
		Complexity: "O(N) where N is the size of the HyperLogLog's string.",
		Args: []Arg{
			{Name: "subcommand", Type: ArgString},
			{Name: "key", Type: ArgKey},
		},
	},
	{Name: "pfmerge", Group: "hyperloglog", Since: "2.8.9",
		Summary:    "Merges HyperLogLogs into the one at a destination key, creating it.",
		Complexity: "O(K) where K is the number of keys, each HyperLogLog's 16,384 registers read.",
		Args: []Arg{
			{Name: "destkey", Type: ArgKey},
			{Name: "sourcekey", Type: ArgKey, Flags: ArgMultiple},
		},
	},
	{Name: "pfselftest", Group: "hyperloglog", Since: "2.8.9",
		DocFlags:   DocSysCmd,
		Summary:    "Checks the HyperLogLog implementation by adding 20,000 elements one by one and all at once and comparing the estimates.",
		Complexity: "O(1): a fixed 20,000 elements, twice.",
	},
}
