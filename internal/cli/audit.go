package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pixdesk/pixdesk/internal/export"
	"github.com/pixdesk/pixdesk/internal/safetext"
	"github.com/pixdesk/pixdesk/store"
)

const auditUsage = `usage:
  pixdesk audit verify                       check the audit trail's hash chain; exit 1 naming the first broken entry
  pixdesk audit list [--charge ID] [--json]  the audit trail, oldest first
flags: --db DSN (PIXDESK_DB)
`

// auditRecord is the JSON shape of an audit entry.
type auditRecord struct {
	Seq      int64             `json:"seq"`
	At       time.Time         `json:"at"`
	Terminal string            `json:"terminal"`
	Operator string            `json:"operator,omitempty"`
	Action   store.AuditAction `json:"action"`
	ChargeID int64             `json:"chargeId,omitempty"`
	Detail   map[string]string `json:"detail,omitempty"`
	Hash     string            `json:"hash"`
}

// runAudit is `pixdesk audit verify|list`. Exit 0 done (verify: the chain
// holds), 1 failed (verify: a break), 2 bad usage.
func runAudit(args []string, sys system) int {
	stderr := sys.stderr
	fs := newFlagSet("pixdesk audit", sys.getenv, stderr)
	fs.Usage = func() { fmt.Fprint(stderr, auditUsage) }
	var db string
	fs.dbVar(&db)
	asJSON := fs.Bool("json", false, "list: print JSON")
	charge := fs.Int64("charge", 0, "list: only this charge's entries")
	positional, err := fs.parse(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(positional) != 1 || (positional[0] != "verify" && positional[0] != "list") ||
		(positional[0] == "verify" && (*asJSON || *charge != 0)) {
		fmt.Fprint(stderr, auditUsage)
		return 2
	}
	ctx := context.Background()
	d, ok := openTxStore(ctx, db, sys.getenv, stderr)
	if !ok {
		return 1
	}
	defer d.Close()
	if positional[0] == "verify" {
		n, err := d.VerifyAudit(ctx)
		if err != nil {
			var b *store.AuditBreak
			if errors.As(err, &b) {
				fmt.Fprintf(stderr, "pixdesk audit verify: BROKEN at entry %d: %v (%d entries before it are intact)\n", b.Seq, err, n)
			} else {
				fmt.Fprintf(stderr, "pixdesk audit verify: %v\n", err)
			}
			return 1
		}
		fmt.Fprintf(sys.stdout, "audit trail intact: %d entries, each chained to the one before\n", n)
		return 0
	}
	return listAudit(ctx, d, sys, *charge, *asJSON)
}

func listAudit(ctx context.Context, d *store.DB, sys system, charge int64, asJSON bool) int {
	var arr *export.JSONArray
	if asJSON {
		arr = export.NewJSONArray(sys.stdout, "  ")
	}
	var after int64
	for {
		page, err := d.AuditTrail(ctx, store.AuditQuery{ChargeID: charge, After: after, Limit: store.MaxLimit})
		if err != nil {
			fmt.Fprintf(sys.stderr, "pixdesk audit list: %v\n", err)
			return 1
		}
		for _, e := range page {
			after = e.Seq
			if arr != nil {
				err = arr.Write(auditRecord{Seq: e.Seq, At: e.At, Terminal: e.Terminal, Operator: e.Operator, Action: e.Action,
					ChargeID: e.ChargeID, Detail: e.DetailMap(), Hash: e.Hash})
			} else {
				_, err = safetext.Fprintf(sys.stdout, "%6d  %s  %-8s %-14s %-17s %s%s\n", e.Seq, e.At.Local().Format("02/01/2006 15:04:05"),
					e.Terminal, orDash(e.Operator), e.Action, chargeOf(e.ChargeID), detailText(e.DetailMap()))
			}
			if err != nil {
				fmt.Fprintf(sys.stderr, "pixdesk audit list: %v\n", err)
				return 1
			}
		}
		if len(page) < store.MaxLimit {
			break
		}
	}
	if arr != nil {
		if err := arr.Close(); err != nil {
			fmt.Fprintf(sys.stderr, "pixdesk audit list: %v\n", err)
			return 1
		}
	}
	return 0
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func chargeOf(id int64) string {
	if id == 0 {
		return ""
	}
	return fmt.Sprintf("charge %d  ", id)
}

// detailText is an entry's detail as "k=v k=v", keys sorted.
func detailText(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%s", k, safetext.Clip(m[k], 60))
	}
	return b.String()
}
