package loader

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/zeebo/xxh3"

	"huntsql/internal/engine"
	"huntsql/loader/rows"
	schema "huntsql/sql"
)

// Event-level de-duplication. Analysts load overlapping exports (the same
// events as a JSON array and as NDJSON, two time ranges that overlap), so an
// event the archive already holds is not archived again. An event's identity
// (huntsql.event_key) is, in order of preference:
//
//   - its Elasticsearch _id;
//   - its host, channel and record id (Windows events, from every route);
//   - its record text, with JSON's insignificant whitespace removed (so a
//     pretty and a compact rendering of one document are one event).
//
// Memory stays bounded at archive scale: identities are checked against the
// date partitions the load touches (read from their files on first use), not
// against a set of the whole archive.

var (
	colKey      = schema.MustIndex(schema.EventKey)
	colID       = schema.MustIndex("_id")
	colRecordID = schema.MustIndex("winlog.record_id")
	colChannel  = schema.MustIndex("winlog.channel")
	colOriginal = schema.MustIndex(schema.Original)
	colRecord   = schema.MustIndex(schema.Record)
)

type eventKey = xxh3.Uint128

// setKeys fills huntsql.event_key for rows [from, b.Len) of b.
func setKeys(b *rows.Batch, from int, scratch []byte) []byte {
	for r := from; r < b.Len; r++ {
		scratch = identity(b, r, scratch[:0])
		k := xxh3.Hash128(scratch)
		b.SetStringAt(colKey, r, keyText(k))
	}
	return scratch
}

func keyText(k eventKey) string {
	b := k.Bytes()
	return hex.EncodeToString(b[:])
}

// identity appends the text that identifies row r.
func identity(b *rows.Batch, r int, dst []byte) []byte {
	if id, ok := b.String(colID, r); ok && id != "" {
		return append(append(dst, "_id\x00"...), id...)
	}
	if rec, ok := b.Int64(colRecordID, r); ok {
		host, _ := b.String(colHost, r)
		channel, _ := b.String(colChannel, r)
		dst = append(dst, "record\x00"...)
		dst = append(append(dst, host...), 0)
		dst = append(append(dst, channel...), 0)
		return strconv.AppendInt(dst, rec, 10)
	}
	text, ok := b.String(colRecord, r)
	if !ok {
		text, _ = b.String(colOriginal, r)
	}
	dst = append(dst, "text\x00"...)
	return appendCanonical(dst, text)
}

// appendCanonical appends text, minus JSON's insignificant whitespace when the
// text is a JSON document: whitespace outside strings.
func appendCanonical(dst []byte, text string) []byte {
	t := strings.TrimLeft(text, " \t\r\n")
	if t == "" || (t[0] != '{' && t[0] != '[') {
		return append(dst, text...)
	}
	inString, escaped := false, false
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case inString:
			if escaped {
				escaped = false
			} else if c == '\\' {
				escaped = true
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

// dedup remembers, per date partition the load touches, the identities of the
// events archived there.
type dedup struct {
	l    *load
	days map[int64]map[eventKey]struct{}
}

func newDedup(l *load) *dedup { return &dedup{l: l, days: map[int64]map[eventKey]struct{}{}} }

// seen reports whether the event with key k on day d is already archived (or
// was accepted earlier in this load), and remembers it otherwise.
func (d *dedup) seen(ctx context.Context, day int64, k eventKey) (bool, error) {
	set, ok := d.days[day]
	if !ok {
		var err error
		if set, err = d.load(ctx, day); err != nil {
			return false, err
		}
		d.days[day] = set
	}
	if _, dup := set[k]; dup {
		return true, nil
	}
	set[k] = struct{}{}
	return false, nil
}

// load reads the identities of the events the archive holds on one day,
// leaving out the rows of inputs a forced reload replaces.
func (d *dedup) load(ctx context.Context, day int64) (map[eventKey]struct{}, error) {
	set := map[eventKey]struct{}{}
	date := dayDate(day)
	var paths []string
	for _, f := range d.l.m.Files {
		if f.Date == date {
			paths = append(paths, engine.Quote(d.l.a.Path(f.Path)))
		}
	}
	if len(paths) == 0 {
		return set, nil
	}
	eng, err := d.l.engine(ctx)
	if err != nil {
		return nil, fmt.Errorf("de-duplicate events of %s: %w (or use --keep-duplicates)", date, err)
	}
	var replaced []string
	for sha := range d.l.replaced {
		replaced = append(replaced, engine.Quote(sha))
	}
	where := ""
	if len(replaced) > 0 {
		where = fmt.Sprintf(` WHERE "huntsql.input_sha256" NOT IN (%s)`, strings.Join(replaced, ", "))
	}
	// Files written before huntsql kept event keys lack the column: their rows'
	// keys are rebuilt from the columns setKeys reads.
	var current, older []string
	has := map[string]bool{}
	rs, err := eng.Query(ctx, fmt.Sprintf(`SELECT DISTINCT file_name FROM parquet_schema([%s]) WHERE name = %s`,
		strings.Join(paths, ", "), engine.Quote(schema.EventKey)))
	if err != nil {
		return nil, fmt.Errorf("de-duplicate events of %s: read the archive's schema: %w", date, err)
	}
	for rs.Next() {
		var name string
		if err := rs.Scan(&name); err != nil {
			rs.Close()
			return nil, err
		}
		has[name] = true
	}
	rs.Close()
	for _, p := range paths {
		if has[p[1:len(p)-1]] {
			current = append(current, p)
		} else {
			older = append(older, p)
		}
	}
	if len(current) > 0 {
		err := d.scan(ctx, fmt.Sprintf(`SELECT "huntsql.event_key" FROM read_parquet([%s])%s`, strings.Join(current, ", "), where),
			func(scan func(...any) error) error {
				var key string
				if err := scan(&key); err != nil {
					return err
				}
				if k, ok := parseKey(key); ok {
					set[k] = struct{}{}
				}
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("de-duplicate events of %s: read the archive's event keys: %w", date, err)
		}
	}
	if len(older) > 0 {
		var scratch []byte
		err := d.scan(ctx, fmt.Sprintf(`SELECT "_id", "winlog.record_id", "host.name", "winlog.channel", coalesce("huntsql.record", "event.original")
			FROM read_parquet([%s])%s`, strings.Join(older, ", "), where),
			func(scan func(...any) error) error {
				var id, host, channel, text *string
				var rec *int64
				if err := scan(&id, &rec, &host, &channel, &text); err != nil {
					return err
				}
				b := rows.NewBatch(1)
				b.AddRow()
				for _, c := range []struct {
					col int
					v   *string
				}{{colID, id}, {colHost, host}, {colChannel, channel}, {colOriginal, text}} {
					if c.v != nil {
						b.SetString(c.col, *c.v)
					}
				}
				if rec != nil {
					b.SetInt(colRecordID, *rec)
				}
				scratch = identity(b, 0, scratch[:0])
				set[xxh3.Hash128(scratch)] = struct{}{}
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("de-duplicate events of %s: read the archive's older files: %w", date, err)
		}
	}
	return set, nil
}

// scan runs q and calls row for each result row.
func (d *dedup) scan(ctx context.Context, q string, row func(scan func(...any) error) error) error {
	eng, err := d.l.engine(ctx)
	if err != nil {
		return err
	}
	rs, err := eng.Query(ctx, q)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		if err := row(rs.Scan); err != nil {
			return err
		}
	}
	return rs.Err()
}

func parseKey(s string) (eventKey, bool) {
	var raw [16]byte
	if len(s) != 32 {
		return eventKey{}, false
	}
	if _, err := hex.Decode(raw[:], []byte(s)); err != nil {
		return eventKey{}, false
	}
	return eventKey{Hi: binary.BigEndian.Uint64(raw[:8]), Lo: binary.BigEndian.Uint64(raw[8:])}, true
}
