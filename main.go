// Command pixdesk is a terminal console that takes PIX payments at a shop
// counter through the ConnectPSP API.
package main

import (
	"fmt"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run dispatches a subcommand and returns the process exit code: 0 done,
// 1 failed, 2 bad usage.
func run(args []string) int {
	fmt.Fprint(os.Stderr, usage)
	return 2
}

const usage = `pixdesk — PIX payments at the counter through ConnectPSP

usage:
  pixdesk            open the counter console
  pixdesk sandbox    run the ConnectPSP sandbox standalone
`
