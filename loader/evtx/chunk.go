package evtx

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"runtime"
	"slices"

	"huntsql/loader/format"
	"huntsql/loader/rows"
	"huntsql/loader/winevent"
)

// Normalizer decodes one chunk at a time into archive rows, through the
// shared Windows mapping. Not safe for concurrent use; the loader gives each
// worker its own.
type Normalizer struct {
	// Slack also recovers the records left in the slack space after a
	// chunk's last record (deleted or overwritten ones, as `evtxexport -m
	// recovered` does), skipping those whose record id the chunk still holds.
	// Off by default: the archive has no column yet to mark a recovered row.
	Slack bool

	seen []uint64 // record ids decoded in the chunk, when Slack is set
	c    chunk
	r    renderer
	ev   winevent.Event
	m    *winevent.Mapper
}

// NewNormalizer returns a Normalizer.
func NewNormalizer() *Normalizer { return &Normalizer{m: winevent.NewMapper()} }

// Record is where a decoded record is in its file.
type Record struct {
	Chunk  int64  // number of the chunk in the file
	ID     uint64 // record identifier from the record header
	Offset int64  // file offset of the record
	Slack  bool   // recovered from the chunk's slack space (see Normalizer.Slack)
}

// Normalize appends a row for every record of the chunk raw holds, and
// rejects what cannot be decoded.
func (n *Normalizer) Normalize(raw *rows.Raw, src *rows.Source, b *rows.Batch, reject func(format.Reject)) {
	if raw.Reject != "" {
		reject(format.RejectOf(raw, raw.Reject))
		return
	}
	n.Decode(raw.Data, raw.Offset, func(ev *winevent.Event, xml string, rec Record, data []byte) {
		route := winevent.Route{Original: xml, Offset: rec.Offset}
		if reason := n.m.Append(ev, route, src, b); reason != "" {
			reject(format.Reject{Offset: rec.Offset, Where: where(rec), Reason: reason, Data: data})
		}
	}, reject)
}

func where(rec Record) string { return fmt.Sprintf("chunk %d, record %d", rec.Chunk, rec.ID) }

// Decode decodes the chunk d found at file offset off: fn receives each
// record's Event and XML text (valid for as long as the caller keeps them:
// they point into arena memory that is never written again), with the
// record's bytes;
// reject receives each record or stretch of the chunk that cannot be decoded.
func (n *Normalizer) Decode(d []byte, off int64, fn func(ev *winevent.Event, xml string, rec Record, data []byte), reject func(format.Reject)) {
	idx := ChunkIndex(off)
	c, r := &n.c, &n.r
	c.reset(d)
	n.seen = n.seen[:0]
	*r = renderer{c: c, nodes: r.nodes[:0], values: r.values[:0], tmp: r.tmp[:0], item: r.item[:0], ev: &n.ev,
		out: r.out, vals: r.vals}

	damage := ""
	end := len(d)
	pos := chunkHeaderSize
	switch {
	case len(d) < chunkHeaderSize:
		reject(format.Reject{Offset: off, Where: fmt.Sprintf("chunk %d", idx), Reason: fmt.Sprintf("chunk cut off after %d bytes, inside its 512-byte header", len(d)), Data: d})
		return
	case !bytes.HasPrefix(d, chunkMagic):
		damage = fmt.Sprintf(" (chunk %d has a bad magic %q: records carved from it)", idx, d[:8])
	default:
		if free := int(le.Uint32(d[48:])); free >= chunkHeaderSize && free <= len(d) {
			end = free
		}
		h := crc32.ChecksumIEEE(d[:120])
		h = crc32.Update(h, crc32.IEEETable, d[128:chunkHeaderSize])
		switch {
		case h != le.Uint32(d[124:]):
			damage = fmt.Sprintf(" (chunk %d header checksum is bad: damaged chunk)", idx)
		case end <= len(d) && crc32.ChecksumIEEE(d[chunkHeaderSize:end]) != le.Uint32(d[52:]):
			damage = fmt.Sprintf(" (chunk %d records checksum is bad: damaged chunk)", idx)
		}
	}

	rejectAt := func(p, size int, id uint64, reason string) {
		w := fmt.Sprintf("chunk %d, chunk offset %d", idx, p)
		if id != 0 {
			w = fmt.Sprintf("chunk %d, record %d", idx, id)
		}
		data := d[p:min(len(d), p+max(size, 0))]
		rj := format.Reject{Offset: off + int64(p), Where: w, Reason: reason + damage, Data: data}
		if size > len(data) {
			rj.Size = int64(size)
		}
		reject(rj)
	}
	for pos < end {
		if !bytes.HasPrefix(d[pos:], recordMagic) {
			next := bytes.Index(d[pos:end], recordMagic)
			if next < 0 {
				next = end - pos
			}
			if !isZero(d[pos : pos+next]) {
				rejectAt(pos, next, 0, fmt.Sprintf("%d bytes hold no record (no record magic)", next))
			}
			pos += next
			continue
		}
		if pos+minRecordSize > len(d) {
			rejectAt(pos, len(d)-pos, 0, "record header cut off by the end of the file")
			break
		}
		size := int(le.Uint32(d[pos+4:]))
		id := le.Uint64(d[pos+8:])
		switch {
		case size < minRecordSize || size > chunkSize-chunkHeaderSize:
			rejectAt(pos, min(len(d)-pos, 64), id, fmt.Sprintf("record size %d is impossible", size))
		case pos+size > len(d):
			rejectAt(pos, size, id, fmt.Sprintf("record of %d bytes cut off by the end of the file", size))
		default:
			// A size copy that disagrees (a record whose end was never
			// written, as in dirty files) does not stop decoding: the binary
			// XML ends with its own EOF token.
			rec := Record{Chunk: idx, ID: id, Offset: off + int64(pos)}
			xml, err := n.record(pos, size)
			if copy := le.Uint32(d[pos+size-4:]); copy != uint32(size) && err != "" {
				// The size is doubtful too: resynchronize on the next magic.
				rejectAt(pos, size, id, fmt.Sprintf("record size %d does not match its copy at the record's end (%d), and %s", size, copy, err))
				break
			}
			if err != "" {
				rejectAt(pos, size, id, err)
			} else {
				if n.Slack {
					n.seen = append(n.seen, id)
				}
				fn(&n.ev, xml, rec, d[pos:pos+size])
			}
			pos += size
			continue
		}
		// A bad size: look for the next record.
		if pos+4 >= end {
			break
		}
		next := bytes.Index(d[pos+4:end], recordMagic)
		if next < 0 {
			break
		}
		pos += 4 + next
	}
	if n.Slack && end < len(d) {
		n.slack(d, end, idx, off, fn)
	}
}

// slack recovers the whole records in d[pos:], the space after the chunk's
// last record. Only records framed by a valid size and size copy, whose id
// the chunk does not hold, are decoded; what fails is left unreported, since
// slack space normally holds fragments.
func (n *Normalizer) slack(d []byte, pos int, idx, off int64, fn func(ev *winevent.Event, xml string, rec Record, data []byte)) {
	for pos+minRecordSize <= len(d) {
		i := bytes.Index(d[pos:], recordMagic)
		if i < 0 {
			return
		}
		pos += i
		if pos+minRecordSize > len(d) {
			return
		}
		size := int(le.Uint32(d[pos+4:]))
		id := le.Uint64(d[pos+8:])
		if size >= minRecordSize && pos+size <= len(d) && le.Uint32(d[pos+size-4:]) == uint32(size) && !slices.Contains(n.seen, id) {
			if xml, err := n.record(pos, size); err == "" {
				n.seen = append(n.seen, id)
				fn(&n.ev, xml, Record{Chunk: idx, ID: id, Offset: off + int64(pos), Slack: true}, d[pos:pos+size])
				pos += size
				continue
			}
		}
		pos++
	}
}

// Arena blocks: the XML of a few hundred records, and what values need apart
// from it (rare). A record starts a new block when less than arenaMinFree
// bytes are left (a longer one grows its block).
const (
	outBlock     = 256 << 10
	valsBlock    = 32 << 10
	arenaMinFree = 16 << 10
)

// record decodes the record at chunk offset pos into n.ev and its XML.
func (n *Normalizer) record(pos, size int) (xml string, reason string) {
	r := &n.r
	r.ev.Reset()
	r.depth, r.roots, r.data, r.work, r.depthTemplates = 0, 0, 0, 0, 0
	r.nodes, r.values = r.nodes[:0], r.values[:0]
	r.cap = capture{}
	// The arenas go on from chunk to chunk: text already handed out is
	// never written again, and a block too full for another record is left
	// to the rows that point into it (growing it would copy them all). A
	// block a long record grew serves that record only: kept, it would grow
	// again and again, each time copying every record before.
	if cap(r.out)-len(r.out) < arenaMinFree || cap(r.out) > outBlock {
		r.out = make([]byte, 0, outBlock)
	}
	if cap(r.vals)-len(r.vals) < arenaMinFree || cap(r.vals) > valsBlock {
		r.vals = make([]byte, 0, valsBlock)
	}
	r.recStart = len(r.out)
	valStart := len(r.vals)
	n.c.text = n.c.text[:0] // the last record's nodes are gone
	defer func() {
		if e := recover(); e != nil {
			r.out, r.vals = r.out[:r.recStart], r.vals[:valStart]
			switch e := e.(type) {
			case *decodeError:
				reason = e.msg
			case runtime.Error:
				reason = "internal error decoding the record: " + e.Error()
			default:
				panic(e)
			}
		}
	}()
	p := parser{c: &n.c, nodes: &r.nodes, values: &r.values, end: pos + size - 4, dep: false}
	first, _ := p.fragment(pos + recordHeader)
	r.list(r.nodes, first, nil, false)
	switch {
	case r.roots == 0:
		fail("record holds no XML element")
	case r.roots > 1:
		fail("record holds %d root elements", r.roots)
	case r.stack[1].role != roleEvent:
		fail("root element is <%s>, not <Event>", r.stack[1].local)
	}
	return r.str(r.out[r.recStart:]), ""
}
