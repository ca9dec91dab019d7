package safetext

import (
	"context"
	"fmt"
	"log/slog"
)

// LogValueMax is how many bytes of one string a log line keeps.
const LogValueMax = 256

// Handler wraps h so that every string it logs — the message and every
// string attribute, inside groups too — is cleaned (String) and clipped
// to LogValueMax bytes. Errors and other values are logged through their
// text, cleaned likewise. A log is read in a terminal too.
func Handler(h slog.Handler) slog.Handler { return handler{h} }

type handler struct{ h slog.Handler }

var _ slog.Handler = handler{}

// Enabled implements slog.Handler.
func (s handler) Enabled(ctx context.Context, l slog.Level) bool { return s.h.Enabled(ctx, l) }

// Handle implements slog.Handler.
func (s handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Clip(r.Message, LogValueMax), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(cleanAttr(a))
		return true
	})
	return s.h.Handle(ctx, out)
}

// WithAttrs implements slog.Handler.
func (s handler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = cleanAttr(a)
	}
	return handler{s.h.WithAttrs(clean)}
}

// WithGroup implements slog.Handler.
func (s handler) WithGroup(name string) slog.Handler {
	return handler{s.h.WithGroup(Clip(name, LogValueMax))}
}

// cleanAttr cleans one attribute's key and value.
func cleanAttr(a slog.Attr) slog.Attr {
	a.Key = Clip(a.Key, LogValueMax)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(Clip(v.String(), LogValueMax))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]slog.Attr, len(g))
		for i, x := range g {
			clean[i] = cleanAttr(x)
		}
		a.Value = slog.GroupValue(clean...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			a.Value = slog.StringValue(Clip(err.Error(), LogValueMax))
		} else if s, ok := v.Any().(interface{ String() string }); ok {
			a.Value = slog.StringValue(Clip(s.String(), LogValueMax))
		} else {
			a.Value = slog.StringValue(Clip(fmt.Sprintf("%+v", v.Any()), LogValueMax))
		}
	default:
		a.Value = v
	}
	return a
}
