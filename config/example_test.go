package config_test

import (
	"fmt"
	"strings"

	"github.com/shinglekv/shingle/config"
)

func ExampleParse() {
	conf := `# Network
bind 127.0.0.1 ::1
Port 6379
requirepass "correct horse\x21"
save ""
`
	ds, err := config.Parse(strings.NewReader(conf), "redis.conf")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range ds {
		fmt.Printf("%s:%d %s %q\n", d.File, d.Line, d.Name, d.Args)
	}

	_, err = config.Parse(strings.NewReader("port 1\ndir \"/data\n"), "redis.conf")
	fmt.Println(err)
	// Output:
	// redis.conf:2 bind ["127.0.0.1" "::1"]
	// redis.conf:3 port ["6379"]
	// redis.conf:4 requirepass ["correct horse!"]
	// redis.conf:5 save [""]
	// config: redis.conf:2: Unbalanced quotes in configuration line
}

func ExampleParseCommandLine() {
	cl, err := config.ParseCommandLine([]string{"--port", "-1", "--save", "--requirepass", "--secret"})
	if err != nil {
		fmt.Println(err)
		return
	}
	ds, err := cl.Load(nil) // no config file, no stdin: only the options
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range ds {
		fmt.Printf("%s %q\n", d.Name, d.Args)
	}
	// Output:
	// port ["-1"]
	// save [""]
	// requirepass ["--secret"]
}

func ExampleParseMemory() {
	for _, s := range []string{"100", "1k", "1kb", "512mb", "2GB", "-1", "1.5gb"} {
		n, err := config.ParseMemory(s)
		fmt.Println(s, n, err)
	}
	// Output:
	// 100 100 <nil>
	// 1k 1000 <nil>
	// 1kb 1024 <nil>
	// 512mb 536870912 <nil>
	// 2GB 2147483648 <nil>
	// -1 0 argument must be a memory value
	// 1.5gb 0 argument must be a memory value
}

func ExampleQuote() {
	for _, s := range []string{"/var/lib/redis", "", "two words", `say "hi"`, "caf\xc3\xa9"} {
		fmt.Println(config.Quote(s))
	}
	fmt.Println(config.Directive{Name: "rename-command", Args: []string{"FLUSHALL", ""}})
	// Output:
	// /var/lib/redis
	// ""
	// "two words"
	// "say \"hi\""
	// café
	// rename-command FLUSHALL ""
}
