package safetext

import (
	"fmt"
	"io"
	"strconv"
)

// Sprintf formats like fmt.Sprintf, but the text of every argument is
// cleaned (String) before it is padded, cut or quoted: the format is
// pixdesk's own sentence, the arguments may come from anywhere — a payer's
// name, an id, an error's text. Widths and precisions therefore count the
// visible form. Numbers printed with %d, %x, %f… are printed as they are.
func Sprintf(format string, args ...any) string {
	return fmt.Sprintf(format, cleanArgs(args)...)
}

// Fprintf is Sprintf writing to w.
func Fprintf(w io.Writer, format string, args ...any) (int, error) {
	return fmt.Fprintf(w, format, cleanArgs(args)...)
}

func cleanArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = arg{a}
	}
	return out
}

// arg formats one argument of Sprintf with its text cleaned.
type arg struct{ v any }

var _ fmt.Formatter = arg{}

// Format implements fmt.Formatter: the text verbs (%s, %v, %q, %c) print
// the cleaned text with the directive's width, precision and '-' flag;
// every other verb prints the value as fmt would.
func (a arg) Format(f fmt.State, verb rune) {
	switch verb {
	case 's', 'v', 'q', 'c':
	default:
		fmt.Fprintf(f, fmt.FormatString(f, verb), a.v)
		return
	}
	inner := "%"
	if f.Flag('+') {
		inner += "+"
	}
	if f.Flag('#') {
		inner += "#"
	}
	text := String(fmt.Sprintf(inner+string(verb), a.v))
	outer := "%"
	if f.Flag('-') {
		outer += "-"
	}
	if w, ok := f.Width(); ok {
		outer += strconv.Itoa(w)
	}
	if p, ok := f.Precision(); ok {
		outer += "." + strconv.Itoa(p)
	}
	fmt.Fprintf(f, outer+"s", text)
}
