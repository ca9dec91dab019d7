package psp

// Status is the state of a Cash-In as ConnectPSP reports it.
type Status string

// The statuses of the API digest §5.
const (
	StatusAwaitingPayment Status = "AWAITING_PAYMENT"
	StatusPaid            Status = "PAID"
	StatusExpired         Status = "EXPIRED"
	StatusRefunded        Status = "REFUNDED"
	StatusCancelled       Status = "CANCELLED"
)

// Statuses lists every known status in lifecycle order.
var Statuses = []Status{StatusAwaitingPayment, StatusPaid, StatusExpired, StatusRefunded, StatusCancelled}

// transitions holds the only moves ConnectPSP documents.
var transitions = map[Status][]Status{
	StatusAwaitingPayment: {StatusPaid, StatusExpired, StatusCancelled},
	StatusPaid:            {StatusRefunded},
}

// Valid reports whether s is one of the documented statuses.
func (s Status) Valid() bool {
	for _, k := range Statuses {
		if s == k {
			return true
		}
	}
	return false
}

// CanBecome reports whether a transaction in status s may move to next.
// A status never "moves" to itself: callers treat that as a duplicate.
func (s Status) CanBecome(next Status) bool {
	for _, n := range transitions[s] {
		if n == next {
			return true
		}
	}
	return false
}

// Reachable reports whether next can be reached from s by one or more
// allowed transitions (PAID → REFUNDED skips nothing, AWAITING_PAYMENT →
// REFUNDED passes through PAID).
func (s Status) Reachable(next Status) bool {
	for _, n := range transitions[s] {
		if n == next || n.Reachable(next) {
			return true
		}
	}
	return false
}

// Final reports whether no further transition can leave s.
func (s Status) Final() bool { return s.Valid() && len(transitions[s]) == 0 }
