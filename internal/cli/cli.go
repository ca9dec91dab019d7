// Package cli is the pixdesk command: its subcommands, their flags and
// environment, and the wiring of the store, the ConnectPSP client, the
// engine and the screens. main.go only calls Main.
package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
)

// Main runs pixdesk with args (without the program name) on the process's
// terminal and environment and returns the exit code: 0 done, 1 failed,
// 2 bad usage.
func Main(args []string) int {
	return run(args, system{getenv: os.Getenv, stdout: os.Stdout, stderr: os.Stderr})
}

// system is what a command takes from its process: the environment and
// the standard files. Tests give their own.
type system struct {
	getenv         func(string) string
	stdin          io.Reader // the keyboard; nil: the terminal Bubble Tea finds
	stdout, stderr io.Writer
}

// program is the Bubble Tea options that put a screen on sys's files.
func (sys system) program() []tea.ProgramOption {
	var opts []tea.ProgramOption
	if sys.stdin != nil {
		opts = append(opts, tea.WithInput(sys.stdin))
	}
	if sys.stdout != os.Stdout {
		opts = append(opts, tea.WithOutput(sys.stdout))
	}
	return opts
}

// run dispatches a subcommand and returns the process exit code: 0 done,
// 1 failed, 2 bad usage.
func run(args []string, sys system) int {
	cmd := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "sandbox":
		return runSandbox(args, sys)
	case "serve":
		return runServe(args, sys)
	case "lookup":
		return runConsole(args, true, sys)
	case "tx":
		return runTx(args, sys)
	case "close":
		return runClose(args, sys)
	case "store":
		return runStore(args, sys)
	case "operators":
		return runOperators(args, sys)
	case "audit":
		return runAudit(args, sys)
	case "display":
		return runDisplay(args, sys)
	case "qr-test":
		return runQRTest(args, sys)
	case "help":
		fmt.Fprint(sys.stdout, usage)
		return 0
	case "":
		return runConsole(args, false, sys)
	default:
		fmt.Fprintf(sys.stderr, "pixdesk: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

const usage = `pixdesk — PIX payments at the counter through ConnectPSP

usage:
  pixdesk [flags]            open the counter console (pixdesk -h lists the flags)
  pixdesk serve [flags]      headless: webhooks, polling for every counter, /healthz, /metrics
  pixdesk lookup [flags]     find a transaction, read its history, refresh or refund it
  pixdesk display [flags]    the customer's screen for one counter (--terminal, --shop-name)
  pixdesk sandbox [flags]    run the ConnectPSP sandbox standalone
  pixdesk tx list [filters]  list charges from the journal (--json, --csv)
  pixdesk tx show ID         one charge and its history (--json)
  pixdesk tx create …        create a charge from a script (pixdesk tx for the flags)
  pixdesk tx refused         webhook deliveries refused for a bad signature: count and sample
  pixdesk close [flags]      close a counter's day: reconcile with ConnectPSP, print and seal the report
  pixdesk store copy …       move a SQLite journal to PostgreSQL, verified (pixdesk store for the flags)
  pixdesk operators add|list|disable|reset NAME --role caixa|supervisor|suporte
                             who may sign in at a counter, with a PIN (pixdesk operators for more)
  pixdesk audit verify|list  check the audit trail's hash chain; list it (--json)
  pixdesk qr-test [flags]    find the QR style this terminal and your phone agree on, and save it
  pixdesk help               this text
`
