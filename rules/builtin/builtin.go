// Package builtin holds the rules that ship inside the huntsql binary: data
// only, one TOML file per rule, named after the rule id.
package builtin

import "embed"

// FS holds the built-in rule files.
//
//go:embed *.toml
var FS embed.FS
