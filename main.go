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
	case "serve":
		return runServe(args, os.Getenv, os.Stderr)
	case "lookup":
		return runConsole(args, true, os.Getenv, os.Stderr)
	case "tx":
		return runTx(args, os.Getenv, os.Stdout, os.Stderr)
	case "help":
		fmt.Fprint(os.Stdout, usage)
		return 0
	default:
		fmt.Fprintf(os.Stderr, "pixdesk: unknown command %q\n\n%s", cmd, usage)
		return 2
	case "":
		return runConsole(args, false, os.Getenv, os.Stderr)
	}
}

const usage = `pixdesk — PIX payments at the counter through ConnectPSP

usage:
  pixdesk [flags]            open the counter console (pixdesk -h lists the flags)
  pixdesk serve [flags]      headless: webhooks, polling for every counter, /healthz, /metrics
  pixdesk lookup [flags]     find a transaction, read its history, refresh or refund it
  pixdesk sandbox [flags]    run the ConnectPSP sandbox standalone
  pixdesk tx list [filters]  list charges from the journal (--json, --csv)
  pixdesk tx show ID         one charge and its history (--json)
  pixdesk tx create …        create a charge from a script (pixdesk tx for the flags)
  pixdesk help               this text
`
