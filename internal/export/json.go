package export

import (
	"encoding/json"
	"io"

	"github.com/pixdesk/pixdesk/internal/safetext"
)

// WriteJSON writes v as JSON and a newline, indented by indent ("" for
// one line). encoding/json escapes C0 controls but writes C1 controls and
// bidi overrides as they are; safetext.JSON escapes those too, so that
// the output is as harmless in a terminal as it is readable by a script.
func WriteJSON(w io.Writer, v any, indent string) error {
	var b []byte
	var err error
	if indent == "" {
		b, err = json.Marshal(v)
	} else {
		b, err = json.MarshalIndent(v, "", indent)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(append(safetext.JSON(b), '\n'))
	return err
}

// JSONArray writes a JSON array one element at a time, byte for byte as
// WriteJSON writes the whole slice, so that a long listing is never held
// in memory. Close ends it.
type JSONArray struct {
	w      io.Writer
	indent string
	n      int
}

// NewJSONArray starts an array on w, indented by indent ("" for one line).
func NewJSONArray(w io.Writer, indent string) *JSONArray {
	return &JSONArray{w: w, indent: indent}
}

// Write adds v to the array.
func (a *JSONArray) Write(v any) error {
	var b []byte
	var err error
	if a.indent == "" {
		b, err = json.Marshal(v)
	} else {
		b, err = json.MarshalIndent(v, a.indent, a.indent)
	}
	if err != nil {
		return err
	}
	sep := "[" + a.newline()
	if a.n > 0 {
		sep = "," + a.newline()
	}
	a.n++
	_, err = a.w.Write(append([]byte(sep), safetext.JSON(b)...))
	return err
}

// Close ends the array and the line.
func (a *JSONArray) Close() error {
	end := "[]\n"
	if a.n > 0 {
		end = "\n]\n"
		if a.indent == "" {
			end = "]\n"
		}
	}
	_, err := io.WriteString(a.w, end)
	return err
}

// newline is what stands before an element: a newline and the indent, or
// nothing on one line.
func (a *JSONArray) newline() string {
	if a.indent == "" {
		return ""
	}
	return "\n" + a.indent
}
