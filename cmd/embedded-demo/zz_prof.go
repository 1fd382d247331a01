package main

import (
	"os"
	"runtime/pprof"
	"strconv"
	"time"
)

func init() {
	out := os.Getenv("PROF_OUT")
	if out == "" {
		return
	}
	secs, _ := strconv.Atoi(os.Getenv("PROF_SECS"))
	delay, _ := strconv.Atoi(os.Getenv("PROF_DELAY"))
	go func() {
		time.Sleep(time.Duration(delay) * time.Second)
		f, _ := os.Create(out)
		pprof.StartCPUProfile(f)
		time.Sleep(time.Duration(secs) * time.Second)
		pprof.StopCPUProfile()
		f.Close()
	}()
}
