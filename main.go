// Command pixdesk is a terminal console that takes PIX payments at a shop
// counter through the ConnectPSP API.
package main

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run dispatches a subcommand and returns the process exit code: 0 done,
// 1 failed, 2 bad usage.
func run(args []string) int {
	cmd := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "sandbox":
		return runSandbox(args, os.Stdout, os.Stderr)
	case "help":
		fmt.Fprint(os.Stdout, usage)
		return 0
	default:
		fmt.Fprintf(os.Stderr, "pixdesk: unknown command %q\n\n%s", cmd, usage)
		return 2
	case "":
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
}

const usage = `pixdesk — PIX payments at the counter through ConnectPSP

usage:
  pixdesk            open the counter console
  pixdesk sandbox    run the ConnectPSP sandbox standalone
`
