package engine

import (
	"testing"

	"github.com/pixdesk/pixdesk/store/pgtest"
)

// TestMain stops the PostgreSQL server the close tests start, if any.
func TestMain(m *testing.M) { pgtest.Main(m) }
