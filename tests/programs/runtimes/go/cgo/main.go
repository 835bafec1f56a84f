// Go with cgo (dynamically linked, with PT_INTERP: the preload is loaded,
// but the Go runtime copies the environment from the process stack at
// start): os.Getenv. The runtime contract is in ../../README.
package main

// #include <stdlib.h>
import "C"

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
	fmt.Println(v)
	if exec.Command("sleep", "1").Run() != nil {
		os.Exit(4)
	}
	_ = C.size_t(0) // the import is the point: a cgo binary
}
