// Command huntsql hunts through archived event logs with SQL.
package main

import (
	"os"

	"huntsql/internal/cli"
)

func main() {
	os.Exit(cli.Main())
}
