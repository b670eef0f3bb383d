package evtx

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"huntsql/loader/winevent"
	"huntsql/loader/winxml"
)

// fixtures lists the .evtx files under fixtures/evtx.
func fixtures(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../../fixtures/evtx/*/*.evtx")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures under fixtures/evtx: %v", err)
	}
	return files
}

// TestSameEventAsXMLRoute: the Event filled straight from binary XML equals
// the one the XML route parses from the rendered text, for every record of
// every fixture. The reader thus needs no XML re-parse, and a .evtx record
// and its XML rendering map to the same row.
func TestSameEventAsXMLRoute(t *testing.T) {
	xr := winxml.NewNormalizer()
	var ev winevent.Event
	total := 0
	for _, path := range fixtures(t) {
		recs, _, _ := decodeFile(t, path)
		bad := 0
		for _, r := range recs {
			total++
			if err := xr.Parse(r.XML, &ev); err != nil {
				t.Errorf("%s record %d: rendered XML does not parse: %v\n%s", filepath.Base(path), r.Rec.ID, err, r.XML)
				bad++
			} else if !sameEvent(&ev, &r.Ev) {
				t.Errorf("%s record %d: events differ\n direct: %+v\n xml:    %+v\n%s", filepath.Base(path), r.Rec.ID, r.Ev, ev, r.XML)
				bad++
			}
			if bad > 3 {
				break
			}
		}
	}
	t.Logf("%d records compared", total)
}

func sameEvent(a, b *winevent.Event) bool {
	x, y := *a, *b
	x.Data, y.Data = nil, nil
	x.Rendered, y.Rendered = nil, nil
	if !reflect.DeepEqual(x, y) || len(a.Data) != len(b.Data) || len(a.Rendered) != len(b.Rendered) {
		return false
	}
	for i := range a.Data {
		if a.Data[i] != b.Data[i] {
			return false
		}
	}
	for k, v := range a.Rendered {
		if b.Rendered[k] != v {
			return false
		}
	}
	return true
}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}

var _ = strings.Contains
