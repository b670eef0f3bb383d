package scan

// literals finds which of many byte strings occur in a text, in one pass
// over it (Aho-Corasick, compiled to a DFA over the bytes the patterns use).
// Every occurrence is reported, overlapping ones included: a pattern hidden
// inside or across another is never missed, which is what makes it a safe
// prefilter.
type literals struct {
	class   [256]uint8 // byte → its class; class 0 is every byte no pattern has
	classes int
	next    []int32   // state*classes + class → next state*classes, ^(state*classes) when patterns end there
	out     [][]int32 // state → patterns ending here (own and via failure links)
}

// newLiterals compiles the patterns; pattern i is reported as i. Empty
// patterns are ignored (they would match every text).
func newLiterals(patterns []string) *literals {
	l := &literals{}
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			if l.class[p[i]] == 0 {
				l.classes++
				l.class[p[i]] = uint8(l.classes)
			}
		}
	}
	l.classes++ // class 0
	// The trie, with -1 for a missing edge.
	edge := func() []int32 {
		e := make([]int32, l.classes)
		for i := range e {
			e[i] = -1
		}
		return e
	}
	trie := [][]int32{edge()}
	l.out = [][]int32{nil}
	for id, p := range patterns {
		if p == "" {
			continue
		}
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := l.class[p[i]]
			if trie[s][c] < 0 {
				trie[s][c] = int32(len(trie))
				trie = append(trie, edge())
				l.out = append(l.out, nil)
			}
			s = trie[s][c]
		}
		l.out[s] = append(l.out[s], int32(id))
	}
	// Breadth first: each state's failure link and full transitions.
	fail := make([]int32, len(trie))
	l.next = make([]int32, len(trie)*l.classes)
	queue := make([]int32, 0, len(trie))
	order := make([]int32, 1, len(trie)) // the root, then breadth first
	for c := 0; c < l.classes; c++ {
		if t := trie[0][c]; t >= 0 {
			fail[t] = 0
			l.next[c] = t
			queue = append(queue, t)
		} else {
			l.next[c] = 0
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		order = append(order, s)
		if f := fail[s]; len(l.out[f]) > 0 {
			l.out[s] = append(l.out[s], l.out[f]...)
		}
		for c := 0; c < l.classes; c++ {
			if t := trie[s][c]; t >= 0 {
				fail[t] = l.next[int(fail[s])*l.classes+c]
				l.next[int(s)*l.classes+c] = t
				queue = append(queue, t)
			} else {
				l.next[int(s)*l.classes+c] = l.next[int(fail[s])*l.classes+c]
			}
		}
	}
	l.renumber(order)
	// A transition holds its state's row (the state times the classes:
	// one multiplication less per byte searched). Most states end no
	// pattern: the search reads out only where one does, flagged in the
	// transition itself.
	for i, t := range l.next {
		row := t * int32(l.classes)
		if len(l.out[t]) > 0 {
			row = ^row
		}
		l.next[i] = row
	}
	return l
}

// renumber numbers the states breadth first (order: the root, then the
// states in the order the breadth-first walk met them). A text keeps the
// search in shallow states most of the time: numbered first, their rows of
// the table are together in memory, and stay in the processor's caches.
func (l *literals) renumber(order []int32) {
	id := make([]int32, len(order))
	for n, s := range order {
		id[s] = int32(n)
	}
	next := make([]int32, len(l.next))
	out := make([][]int32, len(l.out))
	for n, s := range order {
		for c := 0; c < l.classes; c++ {
			next[n*l.classes+c] = id[l.next[int(s)*l.classes+c]]
		}
		out[n] = l.out[s]
	}
	l.next, l.out = next, out
}

// each calls found for every pattern occurring in text, once per occurrence.
func (l *literals) each(text string, found func(pattern int32)) {
	row := int32(0)
	for i := 0; i < len(text); i++ {
		row = l.next[int(row)+int(l.class[text[i]])]
		if row < 0 {
			row = ^row
			for _, p := range l.out[int(row)/l.classes] {
				found(p)
			}
		}
	}
}
