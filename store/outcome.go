package store

import "context"

// DeliveryOutcome returns what RecordDelivery made of the delivery with
// X-Event-Id eventID naming charge chargeID (applied, duplicate, forged…),
// for metrics; ErrNotFound if there is none. Event ids are new for every
// delivery attempt, so the answer is exact even when several deliveries of
// one charge arrive at once.
func (db *DB) DeliveryOutcome(ctx context.Context, chargeID int64, eventID string) (Outcome, error) {
	var out string
	err := db.sql.QueryRowContext(ctx, db.rebind(`SELECT outcome FROM deliveries
		WHERE charge_id = ? AND event_id = ? ORDER BY id DESC LIMIT 1`), chargeID, clip(eventID)).Scan(&out)
	if err != nil {
		return "", mapErr(err)
	}
	return Outcome(out), nil
}
