package engine

import "time"

// Failed polls back off.
//
// A charge is polled on its schedule (nextPoll) while ConnectPSP answers.
// When a poll fails — ConnectPSP down or slow, or not knowing the charge
// (404) — each next poll of that charge waits longer, as the background
// resumer's retries do: backoff(failures-1), from ResumeBase doubling to
// ResumeCap with jitter, or the schedule's own time if that is later. So
// the open charges of a chain do not hammer a ConnectPSP that is failing
// or recovering (2,000 overdue charges it answered 404 were polled 800
// times a second at PollFast, one log line each), and the first answer
// puts the charge back on its schedule. The log tells a charge's first
// failure, then each time the count doubles, and the first answer after
// failures. A person's refresh (PollNow) polls at once whatever the count;
// webhooks are not affected.

// maxPollFails bounds how many charges' failure counts are kept. Counts of
// charges that another process polls since, or that left the schedule
// unseen, would otherwise stay; past the bound they are all forgotten,
// which only puts those charges back on their plain schedule.
const maxPollFails = 10_000

// pollFailed counts a failed poll of charge id and returns the count.
func (e *Engine) pollFailed(id int64) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pollFails == nil || len(e.pollFails) >= maxPollFails {
		e.pollFails = map[int64]int{}
	}
	e.pollFails[id]++
	return e.pollFails[id]
}

// pollAnswered forgets charge id's failures and returns how many there were.
func (e *Engine) pollAnswered(id int64) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := e.pollFails[id]
	delete(e.pollFails, id)
	return n
}

// afterFailures returns due, moved later while charge id's polls fail.
func (e *Engine) afterFailures(id int64, due time.Time) time.Time {
	e.mu.Lock()
	n := e.pollFails[id]
	e.mu.Unlock()
	if n == 0 {
		return due
	}
	if t := e.now().Add(e.backoff(n - 1)); t.After(due) {
		return t
	}
	return due
}

// logPollFailure reports whether the n-th failure in a row of one charge's
// polls gets a log line: the first, then each power of two.
func logPollFailure(n int) bool { return n&(n-1) == 0 }
