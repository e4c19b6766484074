package policy

import (
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The schema helpers read the configuration's shape from the koanf tags of
// Config, so key names, env overrides, suggestions and the order of
// problems never need a hand-written list.

// schemaField is one key of a configuration section.
type schemaField struct {
	name string
	typ  reflect.Type
}

var durationType = reflect.TypeFor[time.Duration]()

// keyName returns the YAML key of a struct field: its koanf tag, or the
// field name with a lowercase first letter for types without tags.
func keyName(f reflect.StructField) string {
	tag, _, _ := strings.Cut(f.Tag.Get("koanf"), ",")
	if tag != "" {
		return tag
	}
	r := []rune(f.Name)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}

// schemaFields lists the keys of struct type t in declaration order, with
// squashed structs flattened into their parent.
func schemaFields(t reflect.Type) []schemaField {
	var fields []schemaField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("koanf")
		if !f.IsExported() || tag == "-" {
			continue
		}
		if strings.HasSuffix(tag, ",squash") {
			fields = append(fields, schemaFields(f.Type)...)
			continue
		}
		fields = append(fields, schemaField{name: keyName(f), typ: f.Type})
	}
	return fields
}

// pathSegment is one step of a path like "policies[1].sinks[0].path": a
// key, or a list index when isIndex is set.
type pathSegment struct {
	key     string
	index   int
	isIndex bool
}

// splitPath splits a problem path into keys and list indexes.
func splitPath(path string) []pathSegment {
	var segs []pathSegment
	for part := range strings.SplitSeq(path, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key != "" {
			segs = append(segs, pathSegment{key: key})
		}
		for rest != "" {
			num, after, _ := strings.Cut(rest, "]")
			n, _ := strconv.Atoi(num)
			segs = append(segs, pathSegment{index: n, isIndex: true})
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return segs
}

// typeAt returns the type found at the given segments below Config, or
// nil when the path leaves the schema.
func typeAt(segs []pathSegment) reflect.Type {
	t := reflect.TypeFor[Config]()
	for _, s := range segs {
		t = step(t, s)
		if t == nil {
			return nil
		}
	}
	return t
}

// step follows one segment from type t and returns the type reached, or
// nil when t has no such key or index.
func step(t reflect.Type, s pathSegment) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case s.isIndex && t.Kind() == reflect.Slice:
		return t.Elem()
	case !s.isIndex && t.Kind() == reflect.Map:
		return t.Elem()
	case !s.isIndex && t.Kind() == reflect.Struct:
		for _, f := range schemaFields(t) {
			if f.name == s.key {
				return f.typ
			}
		}
	}
	return nil
}

// rank orders one segment among its siblings: struct keys by declaration
// order, list items by index, and unknown keys after every known one.
func rank(t reflect.Type, s pathSegment) int {
	if s.isIndex {
		return s.index
	}
	if t != nil && t.Kind() == reflect.Struct {
		for i, f := range schemaFields(t) {
			if f.name == s.key {
				return i
			}
		}
	}
	return 1 << 30
}

// comparePaths orders two problem paths as their values appear in the
// configuration, so problems are listed from the top of the file down.
func comparePaths(a, b string) int {
	sa, sb := splitPath(a), splitPath(b)
	ta, tb := reflect.TypeFor[Config](), reflect.TypeFor[Config]()
	for i := 0; i < len(sa) && i < len(sb); i++ {
		ra, rb := rank(ta, sa[i]), rank(tb, sb[i])
		if ra != rb {
			return ra - rb
		}
		if sa[i].key != sb[i].key {
			return strings.Compare(sa[i].key, sb[i].key)
		}
		if ta != nil {
			ta = step(ta, sa[i])
		}
		if tb != nil {
			tb = step(tb, sb[i])
		}
	}
	return len(sa) - len(sb)
}
