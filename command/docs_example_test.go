package command_test

import (
	"fmt"

	"github.com/shinglekv/shingle/command"
)

// ExampleLookupDoc walks the argument tree of SET, as redis-cli does for
// its hints: what COMMAND DOCS SET answers.
func ExampleLookupDoc() {
	d := command.LookupDoc("SET")
	fmt.Println(d.Name, d.Group, d.Since)
	var walk func(args []command.Arg, depth int)
	walk = func(args []command.Arg, depth int) {
		for _, a := range args {
			fmt.Printf("%*s%s %s %q optional=%v\n", 2*depth, "", a.Name, a.Type, a.Token, a.Flags&command.ArgOptional != 0)
			walk(a.Args, depth+1)
		}
	}
	walk(d.Args, 1)
	fmt.Println(command.LookupDoc("config|get").Name)
	// Output:
	// set string 1.0.0
	//   key key "" optional=false
	//   value string "" optional=false
	//   condition oneof "" optional=true
	//     nx pure-token "NX" optional=false
	//     xx pure-token "XX" optional=false
	//   get pure-token "GET" optional=true
	//   expiration oneof "" optional=true
	//     seconds integer "EX" optional=false
	//     milliseconds integer "PX" optional=false
	//     unix-time-seconds unix-time "EXAT" optional=false
	//     unix-time-milliseconds unix-time "PXAT" optional=false
	//     keepttl pure-token "KEEPTTL" optional=false
	// config|get
}
