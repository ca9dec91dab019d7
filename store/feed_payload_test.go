package store

import (
	"strings"
	"testing"
)

// A notification's payload says whose the charge is and whether it is open;
// one from a pixdesk before that ("id:version") says neither, and a
// subscriber then reads the charge.
func TestChangePayload(t *testing.T) {
	for _, c := range []Change{
		{ChargeID: 7, Version: 42, Terminal: "caixa3-k7pq2m", Open: true},
		{ChargeID: 8, Version: 43, Terminal: "C:01"},
	} {
		if got, ok := parseChange(c.payload()); !ok || got != c {
			t.Errorf("%+v → %q → %+v, %v", c, c.payload(), got, ok)
		}
	}
	for payload, want := range map[string]Change{
		"7:42":     {ChargeID: 7, Version: 42},
		"7:42:2:x": {ChargeID: 7, Version: 42},
		"7:42:1:":  {ChargeID: 7, Version: 42},
	} {
		if got, ok := parseChange(payload); !ok || got != want {
			t.Errorf("%q → %+v, %v; want %+v", payload, got, ok, want)
		}
	}
	for _, bad := range []string{"", "7", "x:1", "0:5:1:T1"} {
		if _, ok := parseChange(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

// The running transactions of a snapshot in pg_snapshot's text form.
func TestSnapshotRunning(t *testing.T) {
	for snap, want := range map[string]string{
		"732:732:":        "",
		"700:740:701,733": "701,733",
		"700:740:701":     "701",
		"":                "",
	} {
		got := snapshotRunning(snap)
		if strings.Join(got, ",") != want || got == nil {
			t.Errorf("%q → %q, want %q", snap, got, want)
		}
	}
}
