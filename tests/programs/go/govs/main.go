// govs: a cgo Go program for tests/integration/test_go.sh (see ../README).
//
//	govs read [-s SEC] NAME...
//	govs run [-set NAME=VALUE] [-unset NAME]... -- CMD ARGS...
//	govs start [-set NAME=VALUE] [-unset NAME]... -- CMD ARGS...
//	govs exec [-set NAME=VALUE] [-unset NAME]... -- CMD ARGS...
package main

// #include <stdlib.h>
import "C"

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func label(v string, set bool) string {
	switch {
	case !set:
		return "unset"
	case v == "":
		return "empty"
	case strings.HasPrefix(v, "other"):
		return v
	}
	sum := sha256.Sum256([]byte(v))
	want := hex.EncodeToString(sum[:])
	if f, err := os.Open(os.Getenv("GOVS_LABELS")); err == nil {
		defer f.Close()
		s := bufio.NewScanner(f)
		for s.Scan() {
			if k, lab, ok := strings.Cut(s.Text(), " "); ok && k == want {
				return lab
			}
		}
	}
	return "?" + strconv.Itoa(len(v))
}

func report(who string, names []string) {
	env, _ := os.ReadFile("/proc/self/environ")
	entries := bytes.Split(env, []byte{0})
	for _, n := range names {
		v, set := os.LookupEnv(n)
		fmt.Printf("%s %s v=%s\n", who, n, label(v, set))
	}
	leak, slots := 0, 0
	var secrets [][]byte
	if b, err := os.ReadFile(os.Getenv("GOVS_SECRETS")); err == nil {
		for _, l := range bytes.Split(b, []byte{'\n'}) {
			if len(l) > 0 {
				secrets = append(secrets, l)
			}
		}
	} else {
		leak = -1
	}
	for _, e := range entries {
		for _, s := range secrets {
			if bytes.Contains(e, s) {
				leak++
				break
			}
		}
		if string(e) == "VAULTSHIM_SLOT=" {
			slots++
		}
	}
	fmt.Printf("%s leak=%d slots=%d pid=%d\n", who, leak, slots, os.Getpid())
}

func main() {
	_ = C.size_t(0) // the import is the point: a cgo binary, with PT_INTERP
	if len(os.Args) < 2 {
		os.Exit(2)
	}
	a := os.Args[2:]
	switch os.Args[1] {
	case "read":
		sleep := 0.0
		if len(a) > 1 && a[0] == "-s" {
			sleep, _ = strconv.ParseFloat(a[1], 64)
			a = a[2:]
		}
		report("go", a)
		os.Stdout.Sync()
		time.Sleep(time.Duration(sleep * float64(time.Second)))
	case "run", "start", "exec":
		for len(a) > 0 && a[0] != "--" {
			switch {
			case a[0] == "-set" && len(a) > 1:
				n, v, _ := strings.Cut(a[1], "=")
				os.Setenv(n, v)
			case a[0] == "-unset" && len(a) > 1:
				os.Unsetenv(a[1])
			default:
				os.Exit(2)
			}
			a = a[2:]
		}
		if len(a) < 2 {
			os.Exit(2)
		}
		switch os.Args[1] {
		case "exec":
			// this process becomes CMD: Go's own execve system call, with
			// Go's copy of the environment (no hook, same pid)
			path, err := exec.LookPath(a[1])
			if err == nil {
				err = syscall.Exec(path, a[1:], os.Environ())
			}
			fmt.Fprintln(os.Stderr, "govs:", err)
			os.Exit(127)
		case "start":
			// CMD started, then this process exits at once (CMD is left
			// to be re-parented); GOVS_PARENT tells CMD its first parent
			os.Setenv("GOVS_PARENT", strconv.Itoa(os.Getpid()))
			cmd := exec.Command(a[1], a[2:]...)
			cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
			if err := cmd.Start(); err != nil {
				fmt.Fprintln(os.Stderr, "govs:", err)
				os.Exit(127)
			}
			os.Exit(0)
		}
		cmd := exec.Command(a[1], a[2:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			if x, ok := err.(*exec.ExitError); ok {
				if ws, ok := x.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					// (never a value: the state only)
					fmt.Fprintf(os.Stderr, "govs: %s: %v\n", a[1], x.ProcessState)
					os.Exit(128 + int(ws.Signal()))
				}
				os.Exit(x.ExitCode())
			}
			fmt.Fprintln(os.Stderr, "govs:", err)
			os.Exit(127)
		}
	default:
		os.Exit(2)
	}
}
