// Package sigma compiles Sigma rules (SigmaHQ's specification v2.1) to
// huntsql rules: DuckDB SQL over the archive's events view, with the rule's
// metadata (id, title, level, status, ATT&CK tags, authors, references, false
// positives) carried into rules.Rule.
//
// Field names are Sigma's taxonomy; where each logsource's events live and
// which expression gives each field there is data: the embedded mapping.yml,
// which a user extends with their own file. A rule compiles to one branch per
// source of its logsource (Windows process_creation: Sysmon 1 and Security
// 4688). A branch that needs a field its source cannot supply is dropped and
// reported, never weakened.
//
// Beside its SQL, each compiled rule keeps a structured form (Compiled: the
// view it reads, its condition per source, the event codes it can match, the
// columns of a detection, an optional correlation) so that a runner can batch
// many rules into one scan.
//
// Semantics worth knowing (docs/sigma.md has the whole list):
//   - Matching is case-insensitive with DuckDB's Unicode-aware lower() on
//     both sides, through equality, starts_with, ends_with and contains; LIKE
//     only for wildcards inside a value, with its own % and _ escaped.
//   - Each search is coalesced to false, so "selection and not filter" keeps
//     events that lack the filter's field.
//   - |re is an unanchored RE2 search; constructs RE2 lacks are refused.
package sigma
