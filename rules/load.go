package rules

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"huntsql/rules/builtin"
)

// Set is the rules in force: the built-in ones, replaced or extended by user
// folders. Rules are sorted by id.
type Set struct {
	Rules []*Rule
	// Notes tell the user about overrides ("rule X from F replaces the built-in one").
	Notes []string
	// Broken lists the rule files that could not be used (each an *Error or
	// a join of them, with file and line): one broken file never stops the
	// others, but the command must report them and fail with exit code 4.
	Broken []error
}

// Load reads the built-in rules and then each user folder (recursively, *.toml),
// in order. A user rule with the id of an earlier rule replaces it, with a note;
// two rules with one id in the same folder are an error. A file that does not
// parse goes to Set.Broken; a folder that cannot be read is an error.
func Load(dirs []string) (*Set, error) {
	byID := map[string]*Rule{}
	set := &Set{}
	var errs []error
	add := func(r *Rule, group string, seen map[string]string) {
		if prev, dup := seen[r.ID]; dup {
			set.Broken = append(set.Broken, &Error{File: r.Source, Msg: fmt.Sprintf("rule id %q is also used by %s", r.ID, prev)})
			return
		}
		seen[r.ID] = r.Source
		if old, ok := byID[r.ID]; ok {
			set.Notes = append(set.Notes, fmt.Sprintf("rule %s from %s replaces the one from %s", r.ID, r.Source, old.Source))
		}
		byID[r.ID] = r
	}
	seen := map[string]string{}
	entries, err := fs.Glob(builtin.FS, "*.toml")
	if err != nil {
		return nil, err
	}
	for _, name := range entries {
		data, err := fs.ReadFile(builtin.FS, name)
		if err != nil {
			return nil, err
		}
		r, err := Parse("builtin:"+name, data)
		if err != nil {
			errs = append(errs, err) // a bug in huntsql itself
			continue
		}
		r.Source = "builtin:" + name
		add(r, "builtin", seen)
	}
	for _, dir := range dirs {
		files, err := ruleFiles(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		seen := map[string]string{}
		for _, path := range files {
			data, err := os.ReadFile(path)
			if err != nil {
				set.Broken = append(set.Broken, &Error{File: path, Msg: fmt.Sprintf("cannot read the rule file: %v", err)})
				continue
			}
			r, err := Parse(path, data)
			if err != nil {
				set.Broken = append(set.Broken, err)
				continue
			}
			r.Source = path
			add(r, dir, seen)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, r := range byID {
		set.Rules = append(set.Rules, r)
	}
	slices.SortFunc(set.Rules, func(a, b *Rule) int { return strings.Compare(a.ID, b.ID) })
	return set, nil
}

// ruleFiles lists the *.toml files under dir, in name order.
func ruleFiles(dir string) ([]string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("rules folder %s: %w", dir, err)
	}
	if !st.IsDir() {
		if strings.HasSuffix(dir, ".toml") {
			return []string{dir}, nil
		}
		return nil, fmt.Errorf("rules folder %s: not a folder or a .toml file", dir)
	}
	var out []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".toml") {
			out = append(out, p)
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}

// Select returns the rules whose id is in ids (all when ids is empty); an
// unknown id is an error.
func (s *Set) Select(ids []string) ([]*Rule, error) {
	if len(ids) == 0 {
		return s.Rules, nil
	}
	var out []*Rule
	for _, id := range ids {
		i := slices.IndexFunc(s.Rules, func(r *Rule) bool { return r.ID == id })
		if i < 0 {
			return nil, fmt.Errorf("no rule with id %q (huntsql rules list shows them)", id)
		}
		out = append(out, s.Rules[i])
	}
	return out, nil
}
