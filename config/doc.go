// Package config reads Redis configuration the way redis-server 7 reads it:
// redis.conf files with their include directives, the redis-server command
// line, and the value syntaxes shared by many directives (memory sizes,
// yes/no). It checks syntax only; which directives exist and what their
// arguments mean is the caller's business.
//
// # Usage
//
// Load the configuration a redis-server command line describes (config
// file, stdin, --name value options) and walk its directives in order; a
// later directive overrides an earlier one, as in Redis:
//
//	cl, err := config.ParseCommandLine(os.Args[1:])
//	if err != nil {
//		log.Fatal(err)
//	}
//	ds, err := cl.Load(os.Stdin)
//	if err != nil {
//		log.Fatal(err) // config: redis.conf:12: Unbalanced quotes in configuration line
//	}
//	for _, d := range ds {
//		if d.Name == "maxmemory" && len(d.Args) == 1 {
//			n, err := config.ParseMemory(d.Args[0]) // "2gb" is 2147483648
//			if err != nil {
//				log.Fatalf("%s:%d: %v", d.File, d.Line, err)
//			}
//			fmt.Println("maxmemory", n)
//		}
//	}
//
// ParseFile and Parse read one file or stream.
//
// # Syntax
//
// A line is trimmed of spaces, tabs, CR and LF; empty lines and lines
// starting with '#' are skipped; the rest is split into words with Redis's
// sdssplitargs rules: "double quotes" with \n \r \t \b \a \xHH escapes,
// 'single quotes' with only \', and a quote anywhere in a word opens a quoted
// part (ab"c d" is the one word "abc d"). The first word, lowercased, is the
// directive's name. A quote left open is an error ("Unbalanced quotes in
// configuration line").
//
// "include path" is replaced by the directives of the file at path. A
// relative path is resolved against the working directory Redis would have
// at that point: its own, until a dir directive changes it, because Redis
// applies dir (with chdir) while it is still reading the configuration. A
// path holding '*', '?' or '[' is a glob(3) pattern whose matches are read
// in order, and a pattern matching nothing is silently skipped, as in Redis
// 7. An include loop is an error here, where Redis crashes.
//
// Each Directive also carries its line as redis-server quotes it and the
// line number it gives it (Text, RedisLine), so that a program can report a
// refused line exactly as redis-server's FATAL CONFIG FILE ERROR block does.
//
// Redis reads config files with fgets and C strings, so a NUL byte drops the
// rest of its line and the newline after it, joining the line to the next;
// this package does the same, to read such a file as Redis does.
//
// # What it must never do
//
// Know which directives exist or what their arguments mean, beyond the
// value syntaxes shared by many (ParseMemory, ParseBool): that is the
// caller's table (netmode's Config.Set, Configure). Import a package of
// Shingle's outside internal/: the server reads its configuration with
// it, never the other way round (a test over go list holds it for
// netmode). Read a line differently from redis-server: the same file
// must give the same directives here, quirks included.
package config
