package command

// bitmapDocs are the COMMAND DOCS entries of the commands in Redis's bitmap group.
var bitmapDocs = []*Doc{
	{Name: "bitcount", Group: "bitmap", Since: "2.6.0",
		Summary:    "Counts the bits set to 1 in the string at a key, optionally within a range of bytes or bits.",
		Complexity: "O(N) where N is the number of bytes in the range counted.",
		Args: []Arg{
			{Name: "key", Type: ArgKey},
			{Name: "index", Type: ArgBlock, Flags: ArgOptional, Args: []Arg{
				{Name: "start", Type: ArgInteger},
				{Name: "end", Type: ArgInteger},
				{Name: "index_unit", Type: ArgOneOf, Since: "7.0.0", Flags: ArgOptional, Args: []Arg{
					{Name: "byte", Type: ArgPureToken, Token: "BYTE"},
					{Name: "bit", Type: ArgPureToken, Token: "BIT"},
				}},
			}},
		},
	},
	{Name: "bitfield", Group: "bitmap", Since: "3.2.0",
		Summary:    "Reads, writes and increments integer fields of any width up to 64 bits at bit offsets of the string at a key.",
		Complexity: "O(1) per operation after one read of the string, plus O(N) to rewrite the string of N bytes once when an operation writes.",
		Args: []Arg{
			{Name: "key", Type: ArgKey},
			{Name: "operation", Type: ArgOneOf, Flags: ArgOptional | ArgMultiple, Args: []Arg{
				{Name: "encoding_offset", Type: ArgBlock, Token: "GET", Args: []Arg{
					{Name: "encoding", Type: ArgString},
					{Name: "offset", Type: ArgInteger},
				}},
				{Name: "write", Type: ArgBlock, Args: []Arg{
					{Name: "wrap_sat_fail", Type: ArgOneOf, Token: "OVERFLOW", Flags: ArgOptional, Args: []Arg{
						{Name: "wrap", Type: ArgPureToken, Token: "WRAP"},
						{Name: "sat", Type: ArgPureToken, Token: "SAT"},
						{Name: "fail", Type: ArgPureToken, Token: "FAIL"},
					}},
					{Name: "write_operation", Type: ArgOneOf, Args: []Arg{
						{Name: "encoding_offset_value", Type: ArgBlock, Token: "SET", Args: []Arg{
							{Name: "encoding", Type: ArgString},
							{Name: "offset", Type: ArgInteger},
							{Name: "value", Type: ArgInteger},
						}},
						{Name: "encoding_offset_increment", Type: ArgBlock, Token: "INCRBY", Args: []Arg{
							{Name: "encoding", Type: ArgString},
							{Name: "offset", Type: ArgInteger},
							{Name: "increment", Type: ArgInteger},
						}},
					}},
				}},
			}},
		},
	},
	{Name: "bitfield_ro", Group: "bitmap", Since: "6.0.0",
		Summary:    "Reads integer fields of any width up to 64 bits at bit offsets of the string at a key.",
		Complexity: "O(1) per operation after one read of the string's record.",
		Args: []Arg{
			{Name: "key", Type: ArgKey},
			{Name: "encoding_offset", Type: ArgBlock, Token: "GET", Flags: ArgOptional | ArgMultiple | ArgMultipleToken, Args: []Arg{
				{Name: "encoding", Type: ArgString},
				{Name: "offset", Type: ArgInteger},
			}},
		},
	},
	{Name: "bitop", Group: "bitmap", Since: "2.6.0",
		Summary:    "Stores in a destination key the bitwise AND, OR, XOR or NOT of the strings at source keys, and returns its length.",
		Complexity: "O(N) where N is the total length of the source strings.",
		Args: []Arg{
			{Name: "operation", Type: ArgString},
			{Name: "destkey", Type: ArgKey},
			{Name: "key", Type: ArgKey, Flags: ArgMultiple},
		},
	},
	{Name: "bitpos", Group: "bitmap", Since: "2.8.7",
		Summary:    "Returns the position of the first bit set to 0 or 1 in the string at a key, optionally within a range of bytes or bits.",
		Complexity: "O(N) where N is the number of bytes searched.",
		Args: []Arg{
			{Name: "key", Type: ArgKey},
			{Name: "bit", Type: ArgInteger},
			{Name: "index", Type: ArgBlock, Flags: ArgOptional, Args: []Arg{
				{Name: "start", Type: ArgInteger},
				{Name: "end_index", Type: ArgBlock, Flags: ArgOptional, Args: []Arg{
					{Name: "end", Type: ArgInteger},
					{Name: "index_unit", Type: ArgOneOf, Since: "7.0.0", Flags: ArgOptional, Args: []Arg{
						{Name: "byte", Type: ArgPureToken, Token: "BYTE"},
						{Name: "bit", Type: ArgPureToken, Token: "BIT"},
					}},
				}},
			}},
		},
	},
	{Name: "getbit", Group: "bitmap", Since: "2.2.0",
		Summary:    "Returns the bit at an offset of the string at a key, 0 past its end.",
		Complexity: "O(1): one lookup of the key's record.",
		Args: []Arg{
			{Name: "key", Type: ArgKey},
			{Name: "offset", Type: ArgInteger},
		},
	},
	{Name: "setbit", Group: "bitmap", Since: "2.2.0",
		Summary:    "Sets or clears the bit at an offset of the string at a key and returns the bit it replaced.",
		Complexity: "O(N) where N is the length of the string, when the bit changes: its record is rewritten whole.",
		Args: []Arg{
			{Name: "key", Type: ArgKey},
			{Name: "offset", Type: ArgInteger},
			{Name: "value", Type: ArgInteger},
		},
	},
}
