package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/pixdesk/pixdesk/internal/export"
	"github.com/pixdesk/pixdesk/internal/safetext"
	"github.com/pixdesk/pixdesk/store"
)

// refusedHeadShown is how much of a refused body a line of text shows; the
// journal keeps store.RefusedHead bytes and --json prints them all.
const refusedHeadShown = 160

// refusedRecord is the JSON shape of a refused delivery. Head is the
// body's first bytes exactly as received (base64, as JSON writes bytes);
// the text fields are as received too, with safetext.JSON's escaping.
type refusedRecord struct {
	ReceivedAt time.Time `json:"receivedAt"`
	RemoteAddr string    `json:"remoteAddr"`
	Size       int       `json:"size"`
	SHA256     string    `json:"sha256"`
	EventID    string    `json:"eventId,omitempty"`
	Signature  string    `json:"signature,omitempty"`
	Head       []byte    `json:"head"`
}

// refusedReport is what `tx refused --json` prints.
type refusedReport struct {
	LastHour   int64           `json:"refusedLastHour"`
	LastDay    int64           `json:"refusedLastDay"`
	SampleRows int             `json:"sampleMaxRows"`
	Sample     []refusedRecord `json:"sample"`
}

// runTxRefused is `pixdesk tx refused`: how many webhook deliveries were
// refused (signature missing or wrong) and the journal's sample of the
// latest, newest first. Exit 0 when the sample holds any, 1 when none (or
// the store failed), 2 bad usage.
func runTxRefused(args []string, sys system) int {
	getenv, stdout, stderr := sys.getenv, sys.stdout, sys.stderr
	fs := newFlagSet("pixdesk tx refused", getenv, stderr)
	fs.Usage = func() { fmt.Fprint(stderr, txUsage) }
	var db string
	fs.dbVar(&db)
	asJSON := fs.Bool("json", false, "print JSON, the sample's bytes exactly")
	limit := fs.Int("limit", 20, "at most this many of the sample (at most 500)")
	positional, err := fs.parse(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(positional) > 0 || *limit < 1 || *limit > store.MaxLimit {
		fmt.Fprint(stderr, txUsage)
		return 2
	}
	ctx := context.Background()
	d, ok := openTxStore(ctx, db, getenv, stderr)
	if !ok {
		return 1
	}
	defer d.Close()
	now := time.Now()
	rep := refusedReport{SampleRows: store.RefusedMaxRows}
	if rep.LastHour, err = d.RefusedSince(ctx, now.Add(-time.Hour)); err == nil {
		rep.LastDay, err = d.RefusedSince(ctx, now.Add(-24*time.Hour))
	}
	var sample []store.RefusedDelivery
	if err == nil {
		sample, err = d.RefusedDeliveries(ctx, *limit)
	}
	if err != nil {
		fmt.Fprintf(stderr, "pixdesk tx refused: %v\n", err)
		return 1
	}
	if *asJSON {
		rep.Sample = []refusedRecord{}
		for _, r := range sample {
			rep.Sample = append(rep.Sample, refusedRecord{ReceivedAt: r.ReceivedAt, RemoteAddr: r.RemoteAddr, Size: r.Size,
				SHA256: r.SHA256, EventID: r.EventID, Signature: r.Signature, Head: r.Head})
		}
		if err := export.WriteJSON(stdout, rep, "  "); err != nil {
			fmt.Fprintf(stderr, "pixdesk tx refused: %v\n", err)
			return 1
		}
	} else {
		fmt.Fprintf(stdout, "refused deliveries (signature missing or wrong): %d in the last hour, %d in the last 24 hours\n",
			rep.LastHour, rep.LastDay)
		fmt.Fprintf(stdout, "they changed no charge; the journal keeps a sample of the latest (at most %d), newest first:\n", store.RefusedMaxRows)
		for _, r := range sample {
			sig := "signature " + safetext.Clip(r.Signature, 16)
			if r.Signature == "" {
				sig = "no signature"
			}
			safetext.Fprintf(stdout, "%s  %-21s %6d bytes  sha256 %s  %s  event %s\n", r.ReceivedAt.Local().Format("02/01/2006 15:04:05"),
				safetext.Clip(r.RemoteAddr, 45), r.Size, r.SHA256, sig, safetext.Clip(r.EventID, 40))
			safetext.Fprintf(stdout, "    %s\n", safetext.Clip(string(r.Head), refusedHeadShown))
		}
	}
	if len(sample) == 0 {
		return 1
	}
	return 0
}
