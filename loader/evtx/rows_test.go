package evtx

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"testing"

	"huntsql/loader/format"
	"huntsql/loader/rows"
	"huntsql/loader/winxml"
	schema "huntsql/sql"
)

// TestSameRowAsXMLRoute: each record of the Security, Sysmon and ATT&CK
// fixtures gives the same archive row from .evtx as its rendered XML gives
// through the XML route: every string, integer and time column (provenance
// aside), so rules see the same event either way.
func TestSameRowAsXMLRoute(t *testing.T) {
	skip := map[string]bool{schema.SourceOffset: true, schema.SourceLine: true}
	files, _ := filepath.Glob("../../fixtures/evtx/mitre/*.evtx")
	files = append(files, "../../fixtures/evtx/damaged/sysmon.evtx", "../../fixtures/evtx/damaged/security.evtx")
	compared := 0
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		sp := NewSplitter(bufio.NewReader(f))
		n := NewNormalizer()
		xr := winxml.NewNormalizer()
		src := &rows.Source{File: path, LoadID: "l"}
		fromEVTX, fromXML := rows.NewBatch(64), rows.NewBatch(64)
		for {
			raw, err := sp.Next()
			if err == io.EOF {
				break
			}
			n.Normalize(&raw, src, fromEVTX, func(format.Reject) {})
		}
		f.Close()
		orig := schema.MustIndex(schema.Original)
		for i := range fromEVTX.Len {
			x, _ := fromEVTX.String(orig, i)
			if reason := xr.Normalize(&rows.Raw{Data: []byte(x)}, src, fromXML); reason != "" {
				t.Fatalf("%s row %d: the XML route rejects the rendering: %s", path, i, reason)
			}
		}
		if fromEVTX.Len != fromXML.Len || fromEVTX.Len == 0 {
			t.Fatalf("%s: %d rows from .evtx, %d from XML", path, fromEVTX.Len, fromXML.Len)
		}
		for ci, fld := range schema.Fields {
			if skip[fld.Name] {
				continue
			}
			for i := range fromEVTX.Len {
				switch fld.Kind {
				case schema.String:
					a, okA := fromEVTX.String(ci, i)
					b, okB := fromXML.String(ci, i)
					if a != b || okA != okB {
						t.Errorf("%s row %d %s: .evtx %q, XML %q", filepath.Base(path), i, fld.Name, a, b)
					}
				case schema.Int, schema.Time:
					a, okA := fromEVTX.Int64(ci, i)
					b, okB := fromXML.Int64(ci, i)
					if a != b || okA != okB {
						t.Errorf("%s row %d %s: .evtx %d, XML %d", filepath.Base(path), i, fld.Name, a, b)
					}
				default:
					if fromEVTX.Has(ci, i) != fromXML.Has(ci, i) {
						t.Errorf("%s row %d %s: set in one route only", filepath.Base(path), i, fld.Name)
					}
				}
			}
		}
		compared += fromEVTX.Len
	}
	t.Logf("%d rows compared", compared)
}
