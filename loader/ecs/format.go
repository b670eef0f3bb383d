package ecs

import (
	"bufio"

	"huntsql/loader/format"
	"huntsql/loader/rows"
)

// Format is ECS JSON: NDJSON, JSON arrays, concatenated or pretty documents,
// Elasticsearch hits and search responses. Any JSON is worth trying as ECS, so
// it is the fallback of the JSON formats: more specific ones (winlogbeat,
// evtx_dump, flat Windows JSON) claim their documents with more confidence.
var Format = &format.Format{
	Name: "ecs-json",
	Doc:  "ECS JSON (NDJSON, a JSON array of documents, Elasticsearch hits or search responses)",
	Sniff: func(head []byte) format.Confidence {
		for _, c := range head {
			switch c {
			case ' ', '\t', '\r', '\n':
				continue
			case '{', '[':
				return format.Fallback
			}
			return format.No
		}
		return format.No
	},
	NewSplitter: func(r *bufio.Reader, opts format.Options) format.Splitter {
		return NewSplitter(r, opts.MaxRecord)
	},
	NewNormalizer: func(format.Options) format.Normalizer {
		n := NewNormalizer()
		return format.Single(func(raw *rows.Raw, src *rows.Source, b *rows.Batch) string { return n.Normalize(raw, src, b) })
	},
}
