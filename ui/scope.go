package ui

import (
	"context"
	"errors"
)

// The contexts of the commands. Every command that does I/O takes one:
// the console's (env.ctx, which ends when the program quits or its
// Config.Context ends) for actions — a create, a refund, a resend, an
// import — whose answer matters wherever the cashier has gone; a screen's
// scope for the reads that fill it, so that work the cashier has moved on
// from stops: the pages and count of a search replaced by the next
// keystroke, the history of a detail left.

// scope is the context of what a screen is reading now.
type scope struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// renew cancels the reads of what the screen showed before and returns the
// context of the next ones, under parent.
func (s *scope) renew(parent context.Context) context.Context {
	s.end()
	s.ctx, s.cancel = context.WithCancel(parent)
	return s.ctx
}

// context is the current reads' context: a new one when the last ended.
func (s *scope) context(parent context.Context) context.Context {
	if s.ctx == nil || s.ctx.Err() != nil {
		return s.renew(parent)
	}
	return s.ctx
}

// end cancels the reads in flight: nobody waits for them any more.
func (s *scope) end() {
	if s.cancel != nil {
		s.cancel()
	}
}

// superseded reports whether a read under ctx (a command's own, with its
// timeout) was cancelled from above — its scope ended — rather than timed
// out or failed: its answer is dropped, not shown as a failure, since
// whatever replaced it resets the screen's state.
func superseded(ctx context.Context) bool { return errors.Is(ctx.Err(), context.Canceled) }
