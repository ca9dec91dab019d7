//go:build race

package engine

// raceDetector reports that the tests run with the race detector: the
// storm and the flood then send their -short sizes (the same races show
// with fewer requests, each several times dearer), and .ci/run sends the
// full sizes in a run without it.
const raceDetector = true
