// Package investigate holds the analyst's pivots over the archive: the events
// on a host around a moment, and the process tree under a process.
package investigate

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"huntsql/internal/engine"
	"huntsql/internal/results"
)

// hostMatch is the condition for --host H, with H given twice as arguments:
// host names compare case-insensitively (Windows writes them as it likes),
// and a short name matches its FQDN (FIN-WS07 matches fin-ws07.corp.example).
const hostMatch = `(lower("host.name") = lower(?) OR starts_with(lower("host.name"), lower(?) || '.'))`

// Around returns the events on host within ±around of at, oldest first.
func Around(ctx context.Context, eng *engine.Engine, host string, at time.Time, around time.Duration) (*results.Set, error) {
	rows, err := eng.Query(ctx, `
SELECT "@timestamp", "host.name", "event.code", "event.action", "process.pid", "process.name",
       "process.parent.name", "user.name", "process.command_line"
FROM events
WHERE `+hostMatch+`
  AND "@timestamp" BETWEEN ?::TIMESTAMP AND ?::TIMESTAMP
ORDER BY "@timestamp", "huntsql.source_file", "huntsql.source_offset"`,
		host, host, at.Add(-around).UTC().Format(tsLayout), at.Add(around).UTC().Format(tsLayout))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return results.Read(rows)
}

const tsLayout = "2006-01-02 15:04:05.999999"

// Node is one process in a tree.
type Node struct {
	Time        time.Time
	Name        string
	CommandLine string
	PID         int64
	EntityID    string
	Children    []*Node
}

// maxDepth bounds a tree: process ancestry rarely goes deeper; loops in bad
// data must not run forever.
const maxDepth = 32

type start struct {
	node   *Node
	parent string // parent entity id, or parent pid as text
}

// TreeByEntity returns the process tree under an ECS process.entity_id, from
// process start events.
func TreeByEntity(ctx context.Context, eng *engine.Engine, entity string) (*Node, error) {
	root := &Node{EntityID: entity}
	if err := fill(ctx, eng, root, `"process.entity_id" = ?`, entity); err != nil {
		return nil, err
	}
	if err := fromChildren(ctx, eng, root, `"process.parent.entity_id" = ?`, entity); err != nil {
		return nil, err
	}
	level := []*Node{root}
	for depth := 0; len(level) > 0 && depth < maxDepth; depth++ {
		byID := map[string]*Node{}
		ids := make([]any, 0, len(level))
		marks := make([]string, 0, len(level))
		for _, n := range level {
			byID[n.EntityID] = n
			ids = append(ids, n.EntityID)
			marks = append(marks, "?")
		}
		kids, err := starts(ctx, eng, `"process.parent.entity_id" IN (`+strings.Join(marks, ", ")+`)`, `"process.parent.entity_id"`, ids...)
		if err != nil {
			return nil, err
		}
		level = level[:0]
		for _, k := range kids {
			if p := byID[k.parent]; p != nil && k.node.EntityID != "" {
				p.Children = append(p.Children, k.node)
				level = append(level, k.node)
			}
		}
	}
	return root, nil
}

// TreeByPID returns the process tree under a process id on a host within a
// time range (Windows reuses ids, so the range matters), from process starts:
// 4688's ProcessId is the parent's id.
func TreeByPID(ctx context.Context, eng *engine.Engine, host string, pid int64, from, to time.Time) (*Node, error) {
	window := hostMatch + ` AND "@timestamp" BETWEEN ?::TIMESTAMP AND ?::TIMESTAMP`
	args := []any{host, host, from.UTC().Format(tsLayout), to.UTC().Format(tsLayout)}
	root := &Node{PID: pid}
	if err := fill(ctx, eng, root, window+` AND "process.pid" = ?`, append(args, pid)...); err != nil {
		return nil, err
	}
	if err := fromChildren(ctx, eng, root, window+` AND "process.parent.pid" = ?`, append(args, pid)...); err != nil {
		return nil, err
	}
	level := []*Node{root}
	seen := map[int64]bool{pid: true}
	for depth := 0; len(level) > 0 && depth < maxDepth; depth++ {
		byPID := map[string]*Node{}
		pids := make([]string, 0, len(level))
		for _, n := range level {
			byPID[fmt.Sprint(n.PID)] = n
			pids = append(pids, fmt.Sprint(n.PID))
		}
		kids, err := starts(ctx, eng, window+` AND "process.parent.pid" IN (`+strings.Join(pids, ", ")+`)`, `CAST("process.parent.pid" AS VARCHAR)`, args...)
		if err != nil {
			return nil, err
		}
		level = level[:0]
		for _, k := range kids {
			p := byPID[k.parent]
			if p == nil || seen[k.node.PID] || k.node.Time.Before(p.Time) {
				continue
			}
			seen[k.node.PID] = true
			p.Children = append(p.Children, k.node)
			level = append(level, k.node)
		}
	}
	return root, nil
}

// starts returns the process start events matching where, with the parent key.
func starts(ctx context.Context, eng *engine.Engine, where, parentKey string, args ...any) ([]start, error) {
	rows, err := eng.Query(ctx, `
SELECT "@timestamp", coalesce("process.name", ''), coalesce("process.command_line", ''),
       coalesce("process.pid", 0), coalesce("process.entity_id", ''), `+parentKey+`
FROM events
WHERE list_contains("event.type", 'start') AND `+where+`
ORDER BY "@timestamp", "huntsql.source_file", "huntsql.source_offset"`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []start
	for rows.Next() {
		n := &Node{}
		var parent *string
		if err := rows.Scan(&n.Time, &n.Name, &n.CommandLine, &n.PID, &n.EntityID, &parent); err != nil {
			return nil, err
		}
		if parent != nil {
			out = append(out, start{node: n, parent: *parent})
		}
	}
	return out, rows.Err()
}

// fill sets the root's details from its own start event, when the archive has it.
func fill(ctx context.Context, eng *engine.Engine, root *Node, where string, args ...any) error {
	got, err := starts(ctx, eng, where, `''`, args...)
	if err != nil {
		return err
	}
	if len(got) > 0 {
		g := got[0].node
		root.Time, root.Name, root.CommandLine = g.Time, g.Name, g.CommandLine
		if g.PID != 0 {
			root.PID = g.PID
		}
		if g.EntityID != "" {
			root.EntityID = g.EntityID
		}
	}
	return nil
}

// fromChildren names a root whose own start is not archived after what its
// children's events say of their parent.
func fromChildren(ctx context.Context, eng *engine.Engine, root *Node, where string, args ...any) error {
	if root.Name != "" {
		return nil
	}
	var name, cmd *string
	err := eng.Conn().QueryRowContext(ctx, `SELECT any_value("process.parent.name"), any_value("process.parent.command_line")
FROM events WHERE `+where, args...).Scan(&name, &cmd)
	if err != nil {
		return err
	}
	if name != nil {
		root.Name = *name + " (start not in the archive)"
	}
	if cmd != nil {
		root.CommandLine = *cmd
	}
	return nil
}

// Write prints the tree, one process per line.
func (n *Node) Write(w io.Writer) error {
	var b strings.Builder
	b.WriteString(n.label())
	b.WriteByte('\n')
	n.writeChildren(&b, "")
	_, err := io.WriteString(w, b.String())
	return err
}

func (n *Node) writeChildren(b *strings.Builder, indent string) {
	for i, c := range n.Children {
		branch, next := "├── ", "│   "
		if i == len(n.Children)-1 {
			branch, next = "└── ", "    "
		}
		b.WriteString(indent + branch + c.label() + "\n")
		c.writeChildren(b, indent+next)
	}
}

func (n *Node) label() string {
	var parts []string
	if !n.Time.IsZero() {
		parts = append(parts, results.Timestamp(n.Time))
	}
	name := n.Name
	if name == "" {
		name = "(start not in the archive)"
	}
	parts = append(parts, name)
	if n.PID != 0 {
		parts = append(parts, fmt.Sprintf("pid %d", n.PID))
	}
	if n.CommandLine != "" {
		parts = append(parts, n.CommandLine)
	}
	if n.EntityID != "" {
		parts = append(parts, "["+n.EntityID+"]")
	}
	return strings.Join(parts, "  ")
}
