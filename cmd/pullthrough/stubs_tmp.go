package main

import "io"

func runMigrate(args []string, stdout, stderr io.Writer) error { return usagef("not yet") }
