package policy

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/v2"

	"github.com/rotatord/rotatord/internal/mgmt"
)

// hookError is a decode failure whose message is already written for the
// operator.
type hookError struct{ msg string }

func (e *hookError) Error() string { return e.msg }

func hookErrorf(format string, args ...any) error {
	return &hookError{msg: fmt.Sprintf(format, args...)}
}

// decode fills cfg from the merged configuration and records every value
// that does not fit its field.
func decode(k *koanf.Koanf, cfg *Config, ps *problems) {
	if err := k.UnmarshalWithConf("", cfg, koanfConf()); err != nil {
		collectDecodeErrors(err, ps)
	}
}

func koanfConf() koanf.UnmarshalConf {
	return koanf.UnmarshalConf{
		Tag: "koanf",
		DecoderConfig: &mapstructure.DecoderConfig{
			DecodeHook:       mapstructure.ComposeDecodeHookFunc(durationHook, partitionPartHook),
			WeaklyTypedInput: true,
			MatchName:        func(key, field string) bool { return key == field || key == lowerFirst(field) },
			TagName:          "koanf",
		},
	}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// collectDecodeErrors turns mapstructure's joined errors into problems,
// each at the innermost path that failed.
func collectDecodeErrors(err error, ps *problems) {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			collectDecodeErrors(e, ps)
		}
		return
	}

	de, ok := err.(*mapstructure.DecodeError)
	if !ok {
		if inner := errors.Unwrap(err); inner != nil {
			collectDecodeErrors(inner, ps)
		} else {
			ps.add("", "%s", err.Error())
		}
		return
	}

	inner := de.Unwrap()
	var nested *mapstructure.DecodeError
	if _, ok := inner.(interface{ Unwrap() []error }); ok || errors.As(inner, &nested) {
		collectDecodeErrors(inner, ps)
		return
	}
	ps.add(de.Name(), "%s", describeDecodeError(inner))
}

// describeDecodeError words a value that could not be converted.
func describeDecodeError(err error) string {
	var he *hookError
	var ute *mapstructure.UnconvertibleTypeError
	var pe *mapstructure.ParseError
	switch {
	case errors.As(err, &he):
		return he.msg
	case errors.As(err, &ute):
		return fmt.Sprintf("expected %s, got %s", kindName(ute.Expected.Type()), kindName(reflect.TypeOf(ute.Value)))
	case errors.As(err, &pe):
		return fmt.Sprintf("%q is not %s", fmt.Sprint(pe.Value), kindName(pe.Expected.Type()))
	case strings.HasPrefix(err.Error(), "expected a map or struct"):
		// mapstructure returns this one as a plain error.
		return "expected a mapping"
	}
	return err.Error()
}

// kindName names a type the way a YAML author thinks of it.
func kindName(t reflect.Type) string {
	if t == nil {
		return "nothing"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == durationType:
		return "a duration"
	case t.Kind() == reflect.Map || t.Kind() == reflect.Struct:
		return "a mapping"
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return "a list"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "a number"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "a whole number"
	}
	return t.String()
}

// dayPattern matches a count of days, like the "30d" in "30d12h".
var dayPattern = regexp.MustCompile(`([0-9]+(?:\.[0-9]+)?)d`)

// ParseDuration parses a Go duration such as "90s" or "720h" that may also
// use a "d" suffix for days of 24 hours, such as "30d" or "1d12h".
func ParseDuration(s string) (time.Duration, error) {
	var convErr error
	expanded := dayPattern.ReplaceAllStringFunc(s, func(m string) string {
		days, err := strconv.ParseFloat(strings.TrimSuffix(m, "d"), 64)
		if err != nil {
			convErr = err
		}
		return strconv.FormatFloat(days*24, 'f', -1, 64) + "h"
	})
	if convErr != nil {
		return 0, convErr
	}
	return time.ParseDuration(expanded)
}

// durationHook reads durations from strings with ParseDuration. A bare
// number is accepted only when it is 0, because a unitless 3600 would
// otherwise mean 3600 nanoseconds.
func durationHook(from, to reflect.Type, data any) (any, error) {
	if to != durationType {
		return data, nil
	}
	switch v := data.(type) {
	case string:
		d, err := ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return nil, hookErrorf("%q is not a duration; use Go syntax like 90s, 720h or 30d", v)
		}
		return d, nil
	case int, int64, uint64, float64:
		if fmt.Sprint(v) == "0" {
			return time.Duration(0), nil
		}
		return nil, hookErrorf("%v has no unit; write a duration like 90s, 720h or 30d", v)
	}
	return data, nil
}

// partitionPartHook reads a partition template part written as
// {type: tag|time, value: string} or
// {type: bucket, value: {tagName: string, numberOfBuckets: int}}.
func partitionPartHook(from, to reflect.Type, data any) (any, error) {
	if to != reflect.TypeFor[mgmt.PartitionPart]() {
		return data, nil
	}
	m, ok := data.(map[string]any)
	if !ok {
		return nil, hookErrorf("expected a mapping with type and value, got %s", kindName(reflect.TypeOf(data)))
	}
	for key := range m {
		if key != "type" && key != "value" {
			return nil, hookErrorf("unknown key %q in a partition part; use type and value", key)
		}
	}

	part := mgmt.PartitionPart{Type: fmt.Sprint(m["type"])}
	if m["type"] == nil {
		part.Type = ""
	}
	if part.Type != mgmt.PartBucket {
		if m["value"] != nil {
			part.Value = fmt.Sprint(m["value"])
		}
		return part, nil
	}

	part.Bucket = &mgmt.Bucket{}
	dc := &mapstructure.DecoderConfig{Result: part.Bucket, WeaklyTypedInput: true, ErrorUnused: true}
	dec, err := mapstructure.NewDecoder(dc)
	if err != nil {
		return nil, err
	}
	if err := dec.Decode(m["value"]); err != nil {
		return nil, hookErrorf("a bucket part's value must be a mapping with tagName and numberOfBuckets")
	}
	return part, nil
}
