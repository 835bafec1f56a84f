// Go, built with CGO_ENABLED=0 (static: no LD_PRELOAD, environment mode):
// os.Getenv. The runtime contract is in ../../README.
package main

import (
	"fmt"
	"os"
	"os/exec"
)

func main() {
	v := os.Getenv("RT_SECRET")
	if v == "" {
		fmt.Fprintln(os.Stderr, "rt: RT_SECRET missing")
		os.Exit(3)
	}
	fmt.Println(v) // os.Stdout is unbuffered
	if exec.Command("sleep", "1").Run() != nil {
		os.Exit(4)
	}
}
