package winevent

import (
	"reflect"
	"testing"
)

func TestCommandLineToArgv(t *testing.T) {
	tests := []struct {
		cmd  string
		want []string
	}{
		{`C:\a\b.exe x y`, []string{`C:\a\b.exe`, "x", "y"}},
		{`"C:\Program Files\x.exe" -a "b c"`, []string{`C:\Program Files\x.exe`, "-a", "b c"}},
		{`x.exe "a\"b"`, []string{"x.exe", `a"b`}},
		{`x.exe a\\\"b`, []string{"x.exe", `a\"b`}},
		{`x.exe a\\"b c"`, []string{"x.exe", `a\b c`}},
		{`x.exe a\\b\ c`, []string{"x.exe", `a\\b\`, "c"}},
		{`x.exe "a""b"`, []string{"x.exe", `a"b`}},
		{`x.exe "a""b c"`, []string{"x.exe", `a"b`, "c"}},
		{`x.exe ""`, []string{"x.exe", ""}},
		{"x.exe a \t ", []string{"x.exe", "a"}},
		{`"C:\x.exe"arg`, []string{`C:\x.exe`, "arg"}},
		{`C:\dir\ arg`, []string{`C:\dir\`, "arg"}},
		{`"C:\a b\x.exe`, []string{`C:\a b\x.exe`}},
		{"", []string{""}},
	}
	for _, tc := range tests {
		if got := CommandLineToArgv(tc.cmd); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("CommandLineToArgv(%q) = %q, want %q", tc.cmd, got, tc.want)
		}
	}
}
