package psp

import (
	"context"
	"time"
)

// Stage is what a call is doing, for progress reports.
type Stage string

// The stages of a call.
const (
	StageAuthenticating Stage = "authenticating" // obtaining an access token
	StageSending        Stage = "sending"        // one attempt is on the wire
	StageRetrying       Stage = "retrying"       // waiting Wait before the next attempt
	StageDone           Stage = "done"           // finished; Err is the outcome
)

// Progress reports a call's stage. Attempt is 1-based: the attempt being
// sent, or for StageRetrying the one that follows the wait. Err is the
// failure that caused a retry, or the final error at StageDone.
type Progress struct {
	Stage   Stage
	Attempt int
	Wait    time.Duration
	Err     error
}

type progressKey struct{}

// WithProgress returns a context whose calls report their progress to fn.
// fn runs on the calling goroutine and must return quickly.
func WithProgress(ctx context.Context, fn func(Progress)) context.Context {
	if fn == nil {
		return ctx
	}
	return context.WithValue(ctx, progressKey{}, fn)
}

func report(ctx context.Context, p Progress) {
	if fn, ok := ctx.Value(progressKey{}).(func(Progress)); ok {
		fn(p)
	}
}
