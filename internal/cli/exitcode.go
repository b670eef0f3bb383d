package cli

import (
	"errors"
	"fmt"
	"strings"

	"huntsql/internal/cli/cmdutil"
)

// Exit codes: the one table. Documented in `huntsql --help` and docs/exit-codes.md.
const (
	ExitOK      = 0 // success
	ExitFailure = 1 // the command failed; nothing was committed
	ExitUsage   = 2 // bad flags or arguments
	ExitPartial = 3 // done, but some records or inputs were rejected, or events unmapped (load)
	ExitRules   = 4 // some rules failed (run, rules lint, rules test); the others ran
	ExitFound   = 5 // detections found, with --fail-on-detections (run)
)

// ExitCodeTable is the table as users read it.
var ExitCodeTable = strings.TrimSpace(`
Exit codes:
  0  success
  1  failure: the command did not complete (nothing is committed)
  2  usage error: bad flags or arguments
  3  completed with rejects: some records or inputs could not be loaded
     (they are listed on stderr and kept under ARCHIVE/_rejects/), or some
     events were archived without a host or kind, so rules cannot see them
  4  some rules failed (an SQL error, a failed rule test); the others ran
  5  detections found, when run is given --fail-on-detections`)

// exitCode maps an error returned by a command to the process exit code.
func exitCode(err error) int {
	var partial *cmdutil.PartialError
	var usage *cmdutil.UsageError
	var rulesFailed *cmdutil.RulesFailedError
	var found *cmdutil.DetectionsFoundError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &partial):
		return ExitPartial
	case errors.As(err, &rulesFailed):
		return ExitRules
	case errors.As(err, &found):
		return ExitFound
	case errors.As(err, &usage):
		return ExitUsage
	}
	return ExitFailure
}

// errorText is how an error is printed on stderr.
func errorText(err error) string {
	var partial *cmdutil.PartialError
	var found *cmdutil.DetectionsFoundError
	if err == nil || errors.As(err, &partial) || errors.As(err, &found) {
		return "" // success, or the command already printed its summary
	}
	return fmt.Sprintf("huntsql: %v", err)
}
