//go:build crashpoints

package engine

import (
	"context"
	"net/http"
	"net/http/httptrace"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Crash points exist only for the crash tests of package main
// (internal/cli/crash_test.go), which run the real binary, kill it at one step of a
// charge and start it again. A test names the step in the environment
// variable PIXDESK_CRASH_AT; the process then kills itself with SIGKILL
// when it gets there: no deferred call, no flush, no answer, as a power
// cut or an OOM kill would leave it.
//
// They are compiled only into a binary built with -tags crashpoints, as
// the crash tests build theirs; the production build takes
// crashpoint_off.go, where a crash point is an empty function and nothing
// reads the variable. The variable is read here rather than passed
// through Config because the call sites sit deep in the create and webhook
// paths and the hook must not widen their API.
//
// The points, in the order a charge meets them:
//
//	after-intent    the intent and its idempotency key are committed (Create)
//	after-send      the POST /cash-in request is on the network and its
//	                answer arriving, not one byte of it read (send)
//	after-response  ConnectPSP's 201 is decoded, not yet recorded (send)
//	after-webhook   a delivery is recorded, not yet answered (the sink)
const crashEnv = "PIXDESK_CRASH_AT"

// crashAt is the crash point this process dies at, "" for none.
var crashAt = sync.OnceValue(func() string { return os.Getenv(crashEnv) })

// crashPoint kills the process at once if PIXDESK_CRASH_AT names point.
func crashPoint(point string) {
	if at := crashAt(); at == "" || at != point {
		return
	}
	die()
}

// die sends SIGKILL to this process (TerminateProcess on Windows) and never
// returns.
func die() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		p.Kill()
	}
	for {
		time.Sleep(time.Hour) // the signal is on its way
	}
}

// crashAfterSend returns ctx set to run the after-send crash point when the
// answer to a create request (the one carrying X-Idempotency-Key; the token
// request made on the same ctx before it carries none) starts to arrive:
// the request is wholly on the network and ConnectPSP has acted on it, and
// not one byte of its answer has been read. That is the case the stored key
// exists for: a charge made at ConnectPSP that this process never heard of.
//
// httptrace has no hook for "flushed to the socket": WroteRequest runs
// before the transport flushes its buffer, so a kill there would usually
// send nothing (the after-intent case again). Killing from the sandbox's
// side while it holds the request (Faults.Latency) is no better: the
// sandbox drops a request whose client hung up, so no charge is made.
func crashAfterSend(ctx context.Context) context.Context {
	if crashAt() != "after-send" {
		return ctx
	}
	var keyed atomic.Bool
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteHeaderField: func(key string, _ []string) {
			if http.CanonicalHeaderKey(key) == "X-Idempotency-Key" {
				keyed.Store(true)
			}
		},
		GotFirstResponseByte: func() {
			if keyed.Load() {
				die()
			}
		},
	})
}
