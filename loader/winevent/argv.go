package winevent

// CommandLineToArgv splits a Windows command line into arguments the way
// shell32's CommandLineToArgvW does (and so winlogbeat, which calls it):
//
//   - the program name ends at the closing quote, or at the first blank, with
//     no escapes;
//   - then 2n backslashes before a quote give n backslashes and the quote opens
//     or closes quoting; 2n+1 give n backslashes and a literal quote;
//   - backslashes not before a quote are literal;
//   - a quote right after a closing quote gives a literal quote (so "" inside
//     quotes is a quote, and quoting ends), counted as shell32 counts them.
func CommandLineToArgv(cmd string) []string {
	var args []string
	i := 0
	var arg []byte
	if i < len(cmd) && cmd[i] == '"' {
		i++
		for i < len(cmd) && cmd[i] != '"' {
			arg = append(arg, cmd[i])
			i++
		}
		if i < len(cmd) {
			i++
		}
	} else {
		for i < len(cmd) && cmd[i] != ' ' && cmd[i] != '\t' {
			arg = append(arg, cmd[i])
			i++
		}
	}
	args = append(args, string(arg))
	arg = arg[:0]
	for i < len(cmd) && (cmd[i] == ' ' || cmd[i] == '\t') {
		i++
	}
	if i == len(cmd) {
		return args
	}
	qcount, bcount := 0, 0
	for i < len(cmd) {
		c := cmd[i]
		switch {
		case (c == ' ' || c == '\t') && qcount == 0:
			args = append(args, string(arg))
			arg = arg[:0]
			for i < len(cmd) && (cmd[i] == ' ' || cmd[i] == '\t') {
				i++
			}
			bcount = 0
			if i == len(cmd) {
				return args
			}
			continue
		case c == '\\':
			arg = append(arg, c)
			bcount++
			i++
			continue
		case c == '"':
			if bcount%2 == 0 {
				arg = arg[:len(arg)-bcount/2] // half the backslashes; the quote toggles
				qcount++
			} else {
				arg = append(arg[:len(arg)-bcount/2-1], '"') // half, and a literal quote
			}
			i++
			bcount = 0
			for i < len(cmd) && cmd[i] == '"' {
				qcount++
				if qcount == 3 {
					arg = append(arg, '"')
					qcount = 0
				}
				i++
			}
			if qcount == 2 {
				qcount = 0
			}
			continue
		}
		arg = append(arg, c)
		bcount = 0
		i++
	}
	return append(args, string(arg))
}
