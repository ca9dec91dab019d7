// Command pixdesk is a terminal console that takes PIX payments at a shop
// counter through the ConnectPSP API. Its subcommands and configuration
// live in internal/cli.
package main

import (
	"os"

	"github.com/pixdesk/pixdesk/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
