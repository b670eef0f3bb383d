package format

import (
	"reflect"
	"testing"
)

func TestFirstJSONKeys(t *testing.T) {
	tests := []struct {
		name, head string
		want       []string
		ok         bool
	}{
		{"ndjson", `{"a":1,"b":{"c":[1,{"x":2}],"d":"}"}}` + "\n" + `{"z":1}`, []string{"a", "b", "b.c", "b.d"}, true},
		{"array, BOM, pretty", "\xef\xbb\xbf [\n  {\n    \"EventID\": 4688,\n    \"Channel\": \"Security\"\n  }\n]", []string{"EventID", "Channel"}, true},
		{"evtx_dump pretty", "Record 1\n{\n  \"Event\": {\n    \"#attributes\": {}, \"System\": {\"EventID\": 1}\n  }\n}\nRecord 2\n{", []string{"Event", "Event.#attributes", "Event.System"}, true},
		{"evtx_dump CRLF", "Record 17\r\n{\"Event\":{}}", []string{"Event"}, true},
		{"cut short by the end of head", `{"winlog":{"channel":"Security","event_data":{"Comm`, []string{"winlog", "winlog.channel", "winlog.event_data"}, true},
		{"cut inside a key", `{"a":1,"bc`, []string{"a"}, true},
		{"escaped key", `{"a\u0041":1}`, []string{"aA"}, true},
		{"hit", `{"_index":"i","_id":"x","_source":{"@timestamp":"t","winlog":{"channel":"S"}}}`, []string{"@timestamp", "winlog", "winlog.channel"}, true},
		{"search response", `{"took":1,"hits":{"total":1,"hits":[{"_id":"1","_source":{"event":{"code":"1"}}}]}}`, []string{"event", "event.code"}, true},
		{"empty object", `{}`, nil, true},
		{"not an object", `"text"`, nil, false},
		{"XML", `<Event/>`, nil, false},
		{"missing colon", `{"a" 1}`, nil, false},
		{"missing comma", `{"a":1 "b":2}`, nil, false},
		{"bare word", `{"a":1,b:2}`, nil, false},
		{"Record line alone is not JSON", "Record 1\nhello", nil, false},
		{"Records is not a header", "Records 1\n{}", nil, false},
		{"empty", "", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := FirstJSONKeys([]byte(tc.head))
			if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("FirstJSONKeys(%q) = %q, %v; want %q, %v", tc.head, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestIsRecordHeader(t *testing.T) {
	for line, want := range map[string]bool{
		"Record 1": true, "Record 123456 \r": true, "Record ": false, "Record x": false,
		"record 1": false, " Record 1": false, `{"Record 1"}`: false,
	} {
		if got := IsRecordHeader([]byte(line)); got != want {
			t.Errorf("IsRecordHeader(%q) = %v, want %v", line, got, want)
		}
	}
}

func FuzzFirstJSONKeys(f *testing.F) {
	for _, s := range []string{`{"a":{"b":1}}`, "Record 1\n{\"Event\":{", `[{"_source":{"x":1}}]`, `{"hits":{"hits":[{`, `{"a":"\`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		keys, ok := FirstJSONKeys(head)
		if !ok && keys != nil {
			t.Fatalf("keys %q with ok false", keys)
		}
	})
}
