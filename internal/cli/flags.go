package cli

import (
	"errors"
	"flag"
	"io"
	"strings"
	"time"
)

// flagSet is the one flag and environment layer every subcommand parses
// with. It is a flag.FlagSet whose flags fall back to an environment
// variable (trimmed; empty counts as unset), then to the settings file,
// then to their default — flag > environment > file > default — and it
// remembers where each value came from, so that a bad value is reported
// under the name the user gave it. Every command parses the same way:
// flags anywhere among the arguments, and "--" ends them, everything after
// it being an argument.
//
// github.com/peterbourgon/ff/v3 was weighed for this and left out: its
// environment names derive from the flag names by one prefix, while
// pixdesk's do not (--base-url is CONNECTPSP_BASE_URL, --expiry
// PIXDESK_EXPIRY_MINUTES, the credentials have no flag), its config files
// are not the settings file's "key = value" lines with their messages, and
// it reads the process environment rather than the getenv a test hands in.
type flagSet struct {
	*flag.FlagSet
	getenv func(string) string
	envOf  map[string]string // flag name → the variable it falls back to
	fileOf map[string]string // flag name → where the settings file gave it
}

// newFlagSet returns command name's flags; getenv reads the environment
// and stderr receives the flag package's complaints and -h.
func newFlagSet(name string, getenv func(string) string, stderr io.Writer) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &flagSet{FlagSet: fs, getenv: getenv, envOf: map[string]string{}, fileOf: map[string]string{}}
}

// env is variable k, trimmed.
func (f *flagSet) env(k string) string { return strings.TrimSpace(f.getenv(k)) }

// stringVar defines flag name, defaulting to the variable env when it is
// set ("" for none) and else to def.
func (f *flagSet) stringVar(p *string, name, env, def, usage string) {
	if env != "" {
		f.envOf[name] = env
		if v := f.env(env); v != "" {
			def = v
		}
	}
	f.StringVar(p, name, def, usage)
}

// settingVar is stringVar with the settings file between the variable and
// def: the file's value for the key name.
func (f *flagSet) settingVar(p *string, name, env, def, usage string) error {
	path := settingsPath(f.getenv)
	settings, err := readSettings(path)
	if err != nil {
		return err
	}
	if v, ok := settings[name]; ok && v != "" {
		def, f.fileOf[name] = v, path+": "+name
	}
	f.stringVar(p, name, env, def, usage)
	return nil
}

// dbVar defines --db, the journal, which every command that reads it takes.
func (f *flagSet) dbVar(p *string) {
	f.stringVar(p, "db", "PIXDESK_DB", "", "SQLite file or postgres:// DSN (PIXDESK_DB)")
}

// langVar defines --lang, the language of what is shown.
func (f *flagSet) langVar(p *string, usage string) {
	f.stringVar(p, "lang", "PIXDESK_LANG", "pt-BR", usage)
}

// given reports whether flag name was on the command line.
func (f *flagSet) given(name string) bool {
	set := false
	f.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

// source names where flag name's value came from: the flag, its variable
// or the settings file.
func (f *flagSet) source(name string) string {
	switch env := f.envOf[name]; {
	case f.given(name):
	case env != "" && f.env(env) != "":
		return env
	case f.fileOf[name] != "":
		return f.fileOf[name]
	}
	return "--" + name
}

// parse reads args and returns the arguments that are not flags. Flags may
// stand anywhere among them (`tx show ID --json` as `tx show --json ID`);
// "--" ends the flags. -h returns flag.ErrHelp; any other error is a
// *usageError.
func (f *flagSet) parse(args []string) ([]string, error) {
	var flags, positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			positional = append(positional, args[i+1:]...)
			i = len(args)
		case len(a) < 2 || a[0] != '-':
			positional = append(positional, a)
		default:
			flags = append(flags, a)
			name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if fl := f.Lookup(name); fl != nil && !hasValue && !isBool(fl) && i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		}
	}
	if err := f.Parse(flags); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, badUsage("%v", err)
	}
	return positional, nil
}

// parseNone is parse for a command that takes no arguments.
func (f *flagSet) parseNone(args []string) error {
	positional, err := f.parse(args)
	if err == nil && len(positional) > 0 {
		err = badUsage("unexpected argument %q", positional[0])
	}
	return err
}

// isBool reports whether fl is a boolean flag, which takes no value after
// it (-json, not -json true).
func isBool(fl *flag.Flag) bool {
	b, ok := fl.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// durationAtLeast reads flag name's text as a duration of at least min:
// zero for "", a usage error naming the flag and an example otherwise.
func durationAtLeast(name, text string, min time.Duration, example string) (time.Duration, error) {
	if text == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(text)
	if err != nil || d < min {
		return 0, badUsage("--%s %q: give a duration of at least %v, e.g. %s", name, text, min, example)
	}
	return d, nil
}
