package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/pixdesk/pixdesk/psp"
)

// problemTypeBase is where ConnectPSP's problem types live (API digest §8).
const problemTypeBase = "https://connect-psp.redocly.app/errors/"

// newProblem builds the RFC 7807 problem ConnectPSP would answer.
func newProblem(status int, code, detail string) *psp.Error {
	return &psp.Error{
		Type:   problemTypeBase + strings.ReplaceAll(strings.ToLower(code), "_", "-"),
		Title:  title(code),
		Status: status,
		Code:   code,
		Detail: detail,
	}
}

// title turns INVALID_SIGNATURE into "Invalid Signature".
func title(code string) string {
	words := strings.Split(strings.ToLower(code), "_")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	writeError(w, newProblem(status, code, detail))
}

// writeError writes e as application/problem+json.
func writeError(w http.ResponseWriter, e *psp.Error) {
	b, _ := json.Marshal(e)
	w.Header().Set("Content-Type", "application/problem+json")
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="connectpsp-sandbox"`)
	}
	w.WriteHeader(e.Status)
	w.Write(b)
}

// writeErr writes err, which is a *psp.Error or an unexpected failure.
func writeErr(w http.ResponseWriter, err error) {
	var pe *psp.Error
	if errors.As(err, &pe) {
		writeError(w, pe)
		return
	}
	writeProblem(w, http.StatusInternalServerError, psp.CodeInternal, "unexpected sandbox error")
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, psp.CodeInternal, "could not encode the response")
		return
	}
	writeRaw(w, status, b)
}

// readBody reads at most maxBody bytes of the request body.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return nil, newProblem(http.StatusBadRequest, psp.CodeValidation, "could not read the request body")
	}
	return b, nil
}

// decodeJSON decodes b into v, answering 400 on malformed JSON, wrong types
// and trailing data. Decoder messages name fields, never values.
// readJSON reads the request body into v; on failure it has written the
// problem and reports false.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := readBody(w, r)
	if err == nil {
		err = decodeJSON(body, v)
	}
	if err != nil {
		writeErr(w, err)
		return false
	}
	return true
}

func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return newProblem(http.StatusBadRequest, psp.CodeValidation, "invalid JSON body: "+jsonErrDetail(err))
	}
	if dec.More() {
		return newProblem(http.StatusBadRequest, psp.CodeValidation, "invalid JSON body: trailing data")
	}
	return nil
}

func jsonErrDetail(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "field " + te.Field + " has the wrong type"
	}
	if errors.Is(err, psp.ErrAmountPrecision) {
		return "amount has more than two decimals"
	}
	if errors.Is(err, psp.ErrAmountTooLarge) {
		return "amount is too large"
	}
	if errors.Is(err, psp.ErrAmountNegative) || errors.Is(err, psp.ErrAmountSyntax) || errors.Is(err, psp.ErrAmountEmpty) {
		return "amount must be a positive number with at most two decimals"
	}
	return "malformed JSON"
}

// counted counts a request by its route pattern.
func (s *Sandbox) counted(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.stats.Requests[r.Pattern]++
		s.mu.Unlock()
		h(w, r)
	})
}

// api wraps an API endpoint with the injected faults.
func (s *Sandbox) api(h http.HandlerFunc) http.Handler {
	return s.counted(func(w http.ResponseWriter, r *http.Request) {
		// Reading the body first lets net/http notice a client that hangs
		// up during the latency below, which cancels r.Context().
		body, err := readBody(w, r)
		if err != nil {
			writeErr(w, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		latency := s.faults.Latency
		s.mu.Unlock()
		if latency > 0 && psp.Sleep(r.Context(), latency) != nil {
			return // the client gave up; nothing to answer
		}
		s.mu.Lock()
		fail, drop := s.faults.FailNext > 0, false
		if fail {
			s.faults.FailNext--
		} else if s.faults.DropNext > 0 {
			s.faults.DropNext--
			drop = true
		}
		s.mu.Unlock()
		switch {
		case fail:
			s.log.Info("sandbox: injected failure", "route", r.Pattern)
			writeProblem(w, http.StatusInternalServerError, psp.CodeInternal, "an unexpected error occurred, try again")
		case drop:
			h(newDiscardWriter(), r)
			s.log.Info("sandbox: injected drop after commit", "route", r.Pattern)
			dropConnection(w)
		default:
			h(w, r)
		}
	})
}

// dropConnection closes the client's connection without a response.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	// HTTP/2 or a wrapped writer: abort the stream instead.
	panic(http.ErrAbortHandler)
}

// discardWriter is a ResponseWriter whose answer nobody will read.
type discardWriter struct{ h http.Header }

func newDiscardWriter() *discardWriter               { return &discardWriter{h: http.Header{}} }
func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}
